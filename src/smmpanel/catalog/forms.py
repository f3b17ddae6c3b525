"""Forms of the staff catalog pages. They check shape only; the catalog rules (limits,
audit, public updates) are ``catalog.services``' and ``providers.services``'."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from smmpanel.catalog import link_formats, service_types
from smmpanel.catalog.models import Category, Service
from smmpanel.money import to_decimal, to_micros

# The service fields a staff form edits directly (the rate is typed as a decimal).
SERVICE_FIELDS = (
    "category",
    "name",
    "type",
    "min_quantity",
    "max_quantity",
    "refill",
    "refill_days",
    "cancel",
    "dripfeed",
    "start_time",
    "speed",
    "link_format",
    "description",
    "allow_multiple_active",
    "active",
)


def _link_format_choices() -> list[tuple[str, str]]:
    return [(f.code, f"{f.label} — {f.code}") for f in link_formats.LINK_FORMATS]


class CategoryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Category) -> str:
        return f"{obj.platform.name} / {obj.name}"


class ServiceForm(forms.Form):
    category = CategoryChoiceField(
        label=_("Category"), queryset=Category.objects.select_related("platform")
    )
    name = forms.CharField(label=_("Name"), max_length=255)
    type = forms.ChoiceField(label=_("Type"), choices=service_types.CHOICES)
    rate = forms.DecimalField(
        label=_("Rate per 1000"),
        min_value=0,
        max_digits=18,
        decimal_places=6,
        help_text=_("Per package for package services."),
    )
    min_quantity = forms.IntegerField(label=_("Minimum"), min_value=1)
    max_quantity = forms.IntegerField(label=_("Maximum"), min_value=1)
    refill = forms.BooleanField(label=_("Refill"), required=False)
    refill_days = forms.IntegerField(label=_("Refill period, days"), min_value=0, initial=0)
    cancel = forms.BooleanField(label=_("Cancel allowed"), required=False)
    dripfeed = forms.BooleanField(label=_("Drip-feed allowed"), required=False)
    start_time = forms.CharField(label=_("Start time"), max_length=100, required=False)
    speed = forms.CharField(label=_("Speed"), max_length=100, required=False)
    link_format = forms.ChoiceField(label=_("Link format"), choices=_link_format_choices)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    allow_multiple_active = forms.BooleanField(
        label=_("Allow several active orders on the same link"), required=False
    )
    active = forms.BooleanField(label=_("Enabled"), required=False, initial=True)
    note = forms.CharField(
        label=_("Note for the audit log (optional)"), max_length=500, required=False
    )

    def clean(self):
        data = super().clean()
        low, high = data.get("min_quantity"), data.get("max_quantity")
        if low and high and low > high:
            self.add_error("max_quantity", _("The maximum must not be below the minimum."))
        return data

    def service_fields(self) -> dict[str, object]:
        """The cleaned input as ``Service`` field values."""
        data = self.cleaned_data
        fields = {name: data[name] for name in SERVICE_FIELDS}
        fields["rate_micros"] = to_micros(data["rate"])
        return fields

    @staticmethod
    def initial_for(service: Service) -> dict[str, object]:
        initial = {name: getattr(service, name) for name in SERVICE_FIELDS}
        initial["rate"] = to_decimal(service.rate_micros).normalize()
        return initial


class BulkForm(forms.Form):
    """An action on the ticked services, or on every service of one category."""

    ACTIONS = [
        ("percent", _("Change the rate by a percentage")),
        ("enable", _("Enable")),
        ("disable", _("Disable")),
    ]

    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    percent = forms.DecimalField(
        label=_("Percentage (e.g. 10 or -5.5)"),
        required=False,
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("-99.99"),
        max_value=Decimal("10000"),
    )
    services = forms.ModelMultipleChoiceField(queryset=Service.objects.all(), required=False)
    category = CategoryChoiceField(
        label=_("…or every service of the category"),
        queryset=Category.objects.select_related("platform"),
        required=False,
    )
    note = forms.CharField(
        label=_("Note for the audit log (optional)"), max_length=500, required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == "percent" and not data.get("percent"):
            self.add_error("percent", _("Enter a percentage other than zero."))
        if not data.get("services") and not data.get("category"):
            raise forms.ValidationError(_("Tick some services or choose a category."))
        return data

    def targets(self):
        """The services to act on: the ticked ones, or the category's."""
        if self.cleaned_data.get("services"):
            return self.cleaned_data["services"].order_by("pk")
        return Service.objects.filter(category=self.cleaned_data["category"]).order_by("pk")


class CategoryForm(forms.Form):
    platform_name = forms.CharField(label=_("Platform"), max_length=60)
    name = forms.CharField(label=_("Category name"), max_length=200)
