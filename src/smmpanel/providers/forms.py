"""Forms of the staff provider pages. The URL's safety is checked by the services
(``providers.services``), whose refusal comes back as a field error."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from smmpanel.providers.models import Provider


class ProviderForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    api_url = forms.CharField(
        label=_("API URL"),
        max_length=500,
        help_text=_("https only; private, loopback and metadata addresses are refused."),
    )
    # Write-only: never rendered back (render_value=False), empty keeps the stored key.
    api_key = forms.CharField(
        label=_("API key"),
        max_length=500,
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            self.fields["api_key"].help_text = _("Leave empty to keep the current key.")
        else:
            self.fields["api_key"].required = True
            del self.fields["active"]


class ImportForm(forms.Form):
    markup_percent = forms.DecimalField(
        label=_("Markup, %"), max_digits=7, decimal_places=2, min_value=0, initial=30
    )
    only = forms.CharField(
        label=_("Only these provider service IDs (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Separated by commas, spaces or new lines; empty imports every service "
            "not imported yet."
        ),
    )

    def clean_only(self) -> set[str] | None:
        ids = {part for part in re.split(r"[\s,;]+", self.cleaned_data["only"]) if part}
        if any(len(i) > 64 for i in ids):
            raise forms.ValidationError(_("A service ID is at most 64 characters."))
        return ids or None


class RouteForm(forms.Form):
    """A new route: which provider's service a panel service is bought from."""

    provider = forms.ModelChoiceField(label=_("Provider"), queryset=Provider.objects.all())
    provider_service_id = forms.CharField(label=_("Provider's service ID"), max_length=64)
    cost = forms.DecimalField(
        label=_("Provider's rate per 1000"), min_value=0, max_digits=18, decimal_places=6
    )
    markup_percent = forms.DecimalField(
        label=_("Markup, %"), max_digits=7, decimal_places=2, min_value=0, initial=0
    )
    priority = forms.IntegerField(label=_("Priority (0 = primary, then fallbacks)"), min_value=0)


class RouteEditForm(forms.Form):
    priority = forms.IntegerField(label=_("Priority"), min_value=0)
    markup_percent = forms.DecimalField(
        label=_("Markup, %"), max_digits=7, decimal_places=2, min_value=0
    )
    active = forms.BooleanField(label=_("Active"), required=False)
    reprice = forms.BooleanField(
        label=_("Set the service's rate to this route's cost plus markup"), required=False
    )
