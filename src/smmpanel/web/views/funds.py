"""Add funds: payment methods, the price of a deposit before paying, deposit requests and
the ledger history. Thin views over ``billing.services``, ``billing.payments``,
``billing.gateways`` and ``billing.selectors``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from smmpanel.billing import deposits, gateways, payments, selectors
from smmpanel.billing.forms import DepositForm
from smmpanel.web.templatetags.money import money
from smmpanel.web.views.payments import notify_url, return_url

HISTORY_ON_FUNDS_PAGE = 10
HISTORY_PAGE_SIZE = 50


def _methods(enabled: list[gateways.PaymentGateway]) -> list[dict]:
    """Each enabled method with its limits and fee, as the Add funds page lists them."""
    methods = []
    for gateway in enabled:
        low, high = deposits.deposit_limits(gateway)
        config = gateway.config
        methods.append(
            {
                "gateway": gateway,
                "min": low,
                "max": high,
                "fee_percent_bp": config.fee_percent_bp,
                "fee_fixed": config.fee_fixed_micros,
                "fee_by_customer": config.fee_paid_by == "customer",
                "currency": config.pay_currency,
            }
        )
    return methods


def funds_page(request, form: DepositForm):
    enabled = gateways.enabled_gateways()
    return render(
        request,
        "web/funds/funds.html",
        {
            "gateways": enabled,
            "methods": _methods(enabled),
            "bonus_tiers": deposits.bonus_tiers(),
            "form": form,
            "balance": selectors.balance_of(request.user),
            "deposits": selectors.deposits_of(request.user),
            "history": selectors.ledger_page(request.user, size=HISTORY_ON_FUNDS_PAGE),
            "min_deposit": money(deposits.deposit_limits()[0]),
        },
    )


@login_required
def funds(request):
    return funds_page(request, DepositForm(gateways=gateways.enabled_gateways()))


@login_required
def quote(request):
    """What the chosen deposit costs and brings, before anything is written or paid."""
    form = DepositForm(request.GET or None, gateways=gateways.enabled_gateways())
    priced = gateway = None
    if form.is_valid():
        try:
            gateway = deposits.chosen_gateway(form.cleaned_data["gateway"])
            amount = deposits.parse_deposit_amount(form.cleaned_data["amount"], gateway)
            priced = deposits.quote_deposit(gateway, amount)
        except deposits.DepositRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    if priced is None:
        return funds_page(request, form)
    response = render(
        request, "web/funds/quote.html", {"form": form, "quote": priced, "gateway": gateway}
    )
    if gateway.checkout_origins():
        # The Pay button's form is answered by a redirect to the gateway's checkout page.
        response._csp_update = {"form-action": gateway.checkout_origins()}
    return response


@login_required
@require_POST
def deposit(request):
    form = DepositForm(request.POST, gateways=gateways.enabled_gateways())
    if form.is_valid():
        try:
            made = deposits.request_deposit(
                request.user,
                form.cleaned_data["gateway"],
                form.cleaned_data["amount"],
                customer_reference=form.cleaned_data["customer_reference"],
            )
            made = payments.start_payment(
                made,
                return_url=return_url(request, made),
                notify_url=notify_url(request, made.gateway),
            )
        except deposits.DepositRefused as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        except payments.PaymentUnavailable:
            form.add_error(
                "gateway",
                _(
                    "This payment method cannot be reached right now. Nothing was charged; "
                    "please try again in a few minutes or choose another method."
                ),
            )
        else:
            if made.checkout_url:
                return redirect(made.checkout_url)
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
    return funds_page(request, form)


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
