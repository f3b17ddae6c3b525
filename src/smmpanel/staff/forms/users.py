"""Forms of the staff users pages: search, balance adjustment, own rates. They only read
and check input; the writes are ``policy.services`` functions."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from smmpanel.catalog.models import Service
from smmpanel.money import InvalidAmount, to_micros
from smmpanel.staff.forms.policy import ReasonForm


class UserSearchForm(forms.Form):
    q = forms.CharField(label=_("Email, name or user ID"), max_length=200, required=False)


def _amount(text: str) -> int:
    """A positive money amount typed by staff (``12.5``, ``12,50``), in micros."""
    text = (text or "").strip().replace(" ", "").replace(",", ".")
    try:
        micros = to_micros(text)
    except InvalidAmount:
        raise forms.ValidationError(
            _("Enter the amount as a number with at most six decimals, e.g. 12.50.")
        ) from None
    if micros <= 0:
        raise forms.ValidationError(_("The amount must be greater than zero."))
    if micros > 10**15:
        raise forms.ValidationError(_("The amount is too large."))
    return micros


class AdjustForm(ReasonForm):
    """Add or deduct funds; ``cleaned_data["micros"]`` is the signed amount."""

    ADD = "add"
    DEDUCT = "deduct"
    field_order = ["direction", "amount", "reason"]
    direction = forms.ChoiceField(
        label=_("Direction"), choices=[(ADD, _("Add funds")), (DEDUCT, _("Deduct funds"))]
    )
    amount = forms.CharField(label=_("Amount"), max_length=30)

    def clean_amount(self) -> int:
        return _amount(self.cleaned_data["amount"])

    def clean(self):
        data = super().clean()
        if "amount" in data and "direction" in data:
            sign = -1 if data["direction"] == self.DEDUCT else 1
            data["micros"] = sign * data["amount"]
        return data


class CustomRateForm(ReasonForm):
    """A customer's own rate for one service, or a discount for one service or all."""

    RATE = "rate"
    DISCOUNT = "discount"
    field_order = ["service", "kind", "value", "reason"]
    service = forms.IntegerField(
        label=_("Service ID (empty: every service)"), required=False, min_value=1
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(DISCOUNT, _("Discount, %")), (RATE, _("Own rate per 1000"))],
    )
    value = forms.CharField(label=_("Value"), max_length=30)

    def clean_service(self) -> Service | None:
        pk = self.cleaned_data.get("service")
        if pk is None:
            return None
        service = Service.objects.filter(pk=pk).first()
        if service is None:
            raise forms.ValidationError(_("No service has this ID."))
        return service

    def clean(self):
        data = super().clean()
        kind, value = data.get("kind"), (data.get("value") or "").strip().replace(",", ".")
        if not kind or not value:
            return data
        if kind == self.RATE:
            if data.get("service") is None:
                self.add_error("service", _("An own rate is for one service; give its ID."))
                return data
            try:
                micros = to_micros(value)
            except InvalidAmount:
                self.add_error("value", _("Enter the rate as a number, e.g. 0.75."))
                return data
            if micros < 0:
                self.add_error("value", _("The rate must not be negative."))
                return data
            data["rate_micros"], data["discount_bp"] = micros, None
        else:
            try:
                percent = Decimal(value)
            except InvalidOperation:
                percent = Decimal("NaN")
            bp = percent * 100
            if not percent.is_finite() or bp != bp.to_integral_value() or not 0 < bp <= 10000:
                self.add_error(
                    "value",
                    _("Enter a discount above 0 and at most 100, with at most two decimals."),
                )
                return data
            data["rate_micros"], data["discount_bp"] = None, int(bp)
        return data
