"""Add funds: payment methods, deposit requests and the ledger history. Thin views over
``billing.services``, ``billing.gateways`` and ``billing.selectors``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from smmpanel.billing import gateways, selectors, services
from smmpanel.billing.forms import DepositForm
from smmpanel.web.templatetags.money import money

HISTORY_ON_FUNDS_PAGE = 10
HISTORY_PAGE_SIZE = 50


def _funds_page(request, form: DepositForm):
    enabled = gateways.enabled_gateways()
    return render(
        request,
        "web/funds/funds.html",
        {
            "gateways": enabled,
            "form": form,
            "balance": selectors.balance_of(request.user),
            "deposits": selectors.deposits_of(request.user),
            "history": selectors.ledger_page(request.user, size=HISTORY_ON_FUNDS_PAGE),
            "min_deposit": money(services.deposit_limits()[0]),
        },
    )


@login_required
def funds(request):
    return _funds_page(request, DepositForm(gateways=gateways.enabled_gateways()))


@login_required
@require_POST
def deposit(request):
    form = DepositForm(request.POST, gateways=gateways.enabled_gateways())
    if form.is_valid():
        try:
            made = services.request_deposit(
                request.user, form.cleaned_data["gateway"], form.cleaned_data["amount"]
            )
        except services.DepositRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                _(
                    "Deposit request %(ref)s for %(amount)s %(currency)s recorded. Pay it as "
                    "described under the payment method and quote the reference %(ref)s."
                )
                % {
                    "ref": made.reference,
                    "amount": money(made.amount_micros),
                    "currency": made.currency,
                },
            )
            return redirect("web:funds")
    return _funds_page(request, form)


@login_required
def transactions(request):
    page = selectors.ledger_page(
        request.user, selectors.cursor(request.GET.get("before")), size=HISTORY_PAGE_SIZE
    )
    return render(
        request,
        "web/funds/transactions.html",
        {"history": page, "balance": selectors.balance_of(request.user)},
    )
