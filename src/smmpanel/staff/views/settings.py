"""Panel settings (owner only): one form over ``configuration.services``; each save is
audited with the names of the fields that changed, never their (secret) values."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from smmpanel.audit.services import audit
from smmpanel.billing.models import LedgerEntry
from smmpanel.configuration import selectors, services
from smmpanel.configuration.models import PanelSettings
from smmpanel.staff.forms.settings import PanelSettingsForm
from smmpanel.staff.permissions import SETTINGS, staff_required


def _stored() -> dict:
    row = PanelSettings.objects.filter(pk=selectors.SINGLETON_PK).defer("logo").first()
    if row is None:
        return {}
    return {f.name: getattr(row, f.name) for f in PanelSettings._meta.concrete_fields}


@staff_required(SETTINGS)
def panel_settings(request):
    current = selectors.config()
    form = PanelSettingsForm(
        request.POST or None, request.FILES or None, current=current, stored=_stored()
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            changed = services.save_settings(
                form.values(),
                logo=form.cleaned_data["logo"],
                remove_logo=form.cleaned_data["remove_logo"],
            )
            if changed:
                audit(
                    "settings.change",
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    fields=", ".join(changed),
                )
        if changed:
            messages.success(
                request, _("Settings saved: %(fields)s.") % {"fields": ", ".join(changed)}
            )
        else:
            messages.info(request, _("Nothing changed."))
        return redirect("staff:settings")
    return render(
        request,
        "staff/settings.html",
        {"form": form, "current": current, "money_exists": _currency_locked()},
    )


def _currency_locked() -> bool:
    """Whether money exists: then the currency code can never change (every amount is in
    it). It is set by the CURRENCY environment variable either way."""
    return LedgerEntry.objects.exists()
