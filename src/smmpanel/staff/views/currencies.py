"""Staff page: the display currencies customers may see amounts in, and their rates.
Writes go through ``currencies.services`` (audited)."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from smmpanel.currencies.selectors import display_rates
from smmpanel.currencies.services import BadRate, set_display_rate
from smmpanel.staff.permissions import PRICES, staff_required


class DisplayRateForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Currency code"), max_length=3)
    rate = forms.CharField(
        label=gettext_lazy("Units per one unit of the panel's currency"), max_length=20
    )


@staff_required(PRICES)
def currencies(request):
    form = DisplayRateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rate = set_display_rate(
                form.cleaned_data["code"],
                form.cleaned_data["rate"],
                actor=request.user,
                panel_currency=settings.CURRENCY,
            )
        except BadRate:
            form.add_error(
                None, _("Give a three-letter code other than the panel's and a positive rate.")
            )
        else:
            messages.success(request, _("Rate of %(code)s saved.") % {"code": rate.code})
            return redirect("staff:currencies")
    return render(request, "staff/currencies.html", {"form": form, "rates": display_rates()})
