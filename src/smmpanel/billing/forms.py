"""Forms of the funds pages (customer and staff). They check shape only; the money rules
(limits, decimals, gateways, double confirmation) are the services' and come back as
field errors."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from smmpanel.billing.gateways import PaymentGateway
from smmpanel.money import InvalidAmount, to_micros


class DepositForm(forms.Form):
    gateway = forms.ChoiceField(label=_("Payment method"), widget=forms.RadioSelect)
    amount = forms.CharField(
        label=_("Amount"),
        max_length=32,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    customer_reference = forms.CharField(
        label=_("Your payment reference (bank transfer)"),
        max_length=100,
        required=False,
        help_text=_("Optional: the transfer's number or the payer's name, so staff find it."),
    )

    def __init__(self, *args, gateways: list[PaymentGateway], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gateway"].choices = [(g.code, g.name) for g in gateways]
        if len(gateways) == 1:
            self.fields["gateway"].initial = gateways[0].code
        self.fields["amount"].help_text = _("In %(currency)s, for example 25 or 25.50.") % {
            "currency": settings.CURRENCY
        }


class DepositNoteForm(forms.Form):
    """Confirming needs no words, but a note (the bank's transaction id) helps later."""

    note = forms.CharField(label=_("Note (optional)"), max_length=1000, required=False)


class DepositRejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (shown to the customer)"), max_length=1000, widget=forms.TextInput
    )


class ChargebackForm(forms.Form):
    amount = forms.CharField(label=_("Amount taken back"), max_length=32)
    memo = forms.CharField(label=_("Memo (bank case, payment reference)"), max_length=255)

    def clean_amount(self) -> int:
        text = self.cleaned_data["amount"].strip().replace(",", ".")
        try:
            micros = to_micros(text)
        except InvalidAmount:
            raise forms.ValidationError(_("Enter an amount like 25.50.")) from None
        if micros <= 0:
            raise forms.ValidationError(_("The amount must be greater than zero."))
        if micros % 10_000:
            raise forms.ValidationError(_("Use at most two decimals."))
        return micros
