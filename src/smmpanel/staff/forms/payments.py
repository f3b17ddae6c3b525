"""The owner's payment settings forms (/staff/settings/payments/): one gateway's settings,
and the deposit bonus tiers. Keys and webhook secrets are never filled back in."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from smmpanel.billing.payment_gateway import PaymentGateway
from smmpanel.billing.pricing import FEE_CUSTOMER, FEE_OPERATOR
from smmpanel.money import InvalidAmount, to_micros

REASON_LABEL = _("Reason (for the audit log)")


def _micros(text: str, *, places: int = 2, allow_zero: bool = True) -> int:
    text = (text or "").strip().replace(",", ".").replace(" ", "")
    try:
        micros = to_micros(text)
    except InvalidAmount:
        raise forms.ValidationError(_("Enter a number like 25.50.")) from None
    if micros < 0 or (micros == 0 and not allow_zero):
        raise forms.ValidationError(_("The amount must be greater than zero."))
    if micros % 10 ** (6 - places):
        raise forms.ValidationError(_("Use at most %(n)d decimals.") % {"n": places})
    return micros


def _percent_bp(text: str) -> int:
    """A percentage typed by a person (``2.9``) as basis points (290)."""
    micros = _micros(text)
    if micros > 100_000_000:
        raise forms.ValidationError(_("A percentage is at most 100."))
    return micros // 10_000


class GatewaySettingsForm(forms.Form):
    enabled = forms.BooleanField(label=_("Offered to customers"), required=False)
    position = forms.IntegerField(label=_("Display order"), min_value=0, max_value=999)
    min_amount = forms.CharField(
        label=_("Minimum deposit"),
        required=False,
        max_length=20,
        help_text=_("Empty: the panel's minimum."),
    )
    max_amount = forms.CharField(
        label=_("Maximum deposit"),
        required=False,
        max_length=20,
        help_text=_("Empty: the panel's maximum."),
    )
    fee_percent = forms.CharField(label=_("Fee, %"), max_length=10, initial="0")
    fee_fixed = forms.CharField(label=_("Fee, fixed part"), max_length=20, initial="0")
    fee_paid_by = forms.ChoiceField(
        label=_("Fee paid by"),
        choices=[(FEE_CUSTOMER, _("the customer, on top")), (FEE_OPERATOR, _("the operator"))],
    )
    currency = forms.CharField(
        label=_("Currency charged"),
        required=False,
        max_length=3,
        help_text=_("ISO code; empty: the panel's currency."),
    )
    rate = forms.CharField(
        label=_("Exchange rate"),
        required=False,
        max_length=20,
        help_text=_("How much of the charged currency one unit of the panel's currency buys."),
    )
    reason = forms.CharField(label=REASON_LABEL, max_length=500)

    def __init__(self, *args, gateway: PaymentGateway, **kwargs):
        super().__init__(*args, **kwargs)
        self.gateway = gateway
        for secret in gateway.secret_fields:
            self.fields[f"secret_{secret.name}"] = forms.CharField(
                label=secret.label,
                required=False,
                help_text=secret.help_text,
                widget=forms.PasswordInput(render_value=False),
            )
        if gateway.staff_confirms:  # a transfer: nothing to collect, no keys, no rate
            for name in ("currency", "rate"):
                del self.fields[name]

    def clean_min_amount(self) -> int | None:
        text = self.cleaned_data["min_amount"].strip()
        return _micros(text, allow_zero=False) if text else None

    def clean_max_amount(self) -> int | None:
        text = self.cleaned_data["max_amount"].strip()
        return _micros(text, allow_zero=False) if text else None

    def clean_fee_percent(self) -> int:
        return _percent_bp(self.cleaned_data["fee_percent"])

    def clean_fee_fixed(self) -> int:
        return _micros(self.cleaned_data["fee_fixed"])

    def clean_currency(self) -> str:
        code = self.cleaned_data["currency"].strip().upper()
        if code and not (len(code) == 3 and code.isascii() and code.isalpha()):
            raise forms.ValidationError(_("Enter a three-letter currency code, like UAH."))
        if not self.gateway.accepts_currency(code or settings.CURRENCY.upper()):
            raise forms.ValidationError(
                _("%(gateway)s cannot charge in %(currency)s.")
                % {"gateway": self.gateway.name, "currency": code or settings.CURRENCY.upper()}
            )
        return "" if code == settings.CURRENCY.upper() else code

    def clean_rate(self) -> int | None:
        text = self.cleaned_data["rate"].strip()
        return _micros(text, places=6, allow_zero=False) if text else None

    def clean(self):
        data = super().clean()
        low, high = data.get("min_amount"), data.get("max_amount")
        if low and high and low > high:
            self.add_error("max_amount", _("The maximum must not be below the minimum."))
        if data.get("currency") and not data.get("rate"):
            self.add_error("rate", _("Another currency needs the rate to convert at."))
        return data

    def values(self) -> dict:
        data = self.cleaned_data
        values = {
            "enabled": data["enabled"],
            "position": data["position"],
            "min_micros": data["min_amount"],
            "max_micros": data["max_amount"],
            "fee_percent_bp": data["fee_percent"],
            "fee_fixed_micros": data["fee_fixed"],
            "fee_paid_by": data["fee_paid_by"],
        }
        if "currency" in data:
            values |= {"currency": data["currency"], "rate_micros": data["rate"]}
        return values

    def new_secrets(self) -> dict[str, str]:
        return {
            s.name: self.cleaned_data.get(f"secret_{s.name}", "").strip()
            for s in self.gateway.secret_fields
        }


class BonusTierForm(forms.Form):
    from_amount = forms.CharField(label=_("From a deposit of"), max_length=20)
    percent = forms.CharField(label=_("Bonus, %"), max_length=10)
    reason = forms.CharField(label=REASON_LABEL, max_length=500)

    def clean_from_amount(self) -> int:
        return _micros(self.cleaned_data["from_amount"], allow_zero=False)

    def clean_percent(self) -> int:
        bp = _percent_bp(self.cleaned_data["percent"])
        if bp <= 0:
            raise forms.ValidationError(_("The bonus must be greater than zero."))
        return bp


class BonusTierRemoveForm(forms.Form):
    remove = forms.IntegerField(min_value=1)
    reason = forms.CharField(label=REASON_LABEL, max_length=500)
