"""Payment settings (owner only): each gateway's settings and keys, and the deposit bonus
tiers. Every save is audited with what changed, never a key's value."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from smmpanel.billing import deposits, gateways
from smmpanel.billing.models import BonusTier
from smmpanel.money import format_amount
from smmpanel.staff.actions import payments as payment_actions
from smmpanel.staff.forms.payments import BonusTierForm, BonusTierRemoveForm, GatewaySettingsForm
from smmpanel.staff.permissions import SETTINGS, staff_required


@staff_required(SETTINGS)
def payment_settings(request):
    form = BonusTierForm(request.POST if "from_amount" in request.POST else None)
    removing = BonusTierRemoveForm(request.POST if "remove" in request.POST else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        payment_actions.add_bonus_tier(
            request.user, data["from_amount"], data["percent"], reason=data["reason"]
        )
        messages.success(request, _("Bonus tier saved."))
        return redirect("staff:payment-settings")
    if request.method == "POST" and removing.is_valid():
        payment_actions.remove_bonus_tier(
            request.user, removing.cleaned_data["remove"], reason=removing.cleaned_data["reason"]
        )
        messages.success(request, _("Bonus tier removed."))
        return redirect("staff:payment-settings")
    rows = []
    for gateway in gateways.all_gateways():
        low, high = deposits.deposit_limits(gateway)
        rows.append(
            {
                "gateway": gateway,
                "min": low,
                "max": high,
                "secrets": [(s.label, bool(gateway.secret(s.name))) for s in gateway.secret_fields],
            }
        )
    return render(
        request,
        "staff/payment_settings.html",
        {"rows": rows, "tiers": BonusTier.objects.all(), "form": form, "removing": removing},
    )


@staff_required(SETTINGS)
def payment_gateway(request, gateway: str):
    found = gateways.gateway_named(gateway)
    if found is None:
        raise Http404
    config = found.config
    initial = {
        "enabled": config.enabled,
        "position": config.position,
        "min_amount": format_amount(config.min_micros) if config.min_micros else "",
        "max_amount": format_amount(config.max_micros) if config.max_micros else "",
        "fee_percent": format_amount(config.fee_percent_bp * 10_000),
        "fee_fixed": format_amount(config.fee_fixed_micros),
        "fee_paid_by": config.fee_paid_by,
        "currency": config.currency,
        "rate": format_amount(config.rate_micros) if config.rate_micros else "",
    }
    form = GatewaySettingsForm(request.POST or None, initial=initial, gateway=found)
    if request.method == "POST" and form.is_valid():
        changed = payment_actions.configure_gateway(
            request.user,
            found.code,
            form.values(),
            form.new_secrets(),
            reason=form.cleaned_data["reason"],
        )
        if changed:
            messages.success(
                request, _("Settings saved: %(fields)s.") % {"fields": ", ".join(changed)}
            )
        else:
            messages.info(request, _("Nothing changed."))
        return redirect("staff:payment-settings")
    secrets = [(s.label, bool(found.secret(s.name))) for s in found.secret_fields]
    notify_url = request.build_absolute_uri(f"/payments/notify/{found.code}/")
    return render(
        request,
        "staff/payment_gateway.html",
        {
            "gateway": found,
            "form": form,
            "secrets": secrets,
            "notify_url": notify_url if not found.staff_confirms else "",
        },
    )
