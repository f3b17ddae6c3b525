"""A customer's own prices: a fixed rate for one service or a discount for one or all
services, used by order pricing, the quote and the API ``services`` list."""

import json

import pytest

from smmpanel.api.actions import services as services_action
from smmpanel.billing.models import LedgerEntry
from smmpanel.billing.selectors import balance_of, ledger_mismatches
from smmpanel.catalog.models import CustomRate, discounted
from smmpanel.catalog.selectors import rate_for
from smmpanel.catalog.services import set_custom_rate
from smmpanel.money import charge_for, share_of, to_micros
from smmpanel.orders.order_input import check_order
from smmpanel.orders.services import cancel_and_refund, quote_order, refund_remains
from tests.factories import make_order, make_service, make_user, post_link


def api_services(user) -> list[dict]:
    return json.loads(services_action(user, {}))


@pytest.fixture
def shopper(db):
    return make_user("100")


def test_without_an_own_price_the_charge_is_the_list_rate(shopper, service):
    order = make_order(shopper, service, quantity=1000)
    assert order.charge_micros == service.rate_micros


def test_a_discount_for_every_service_lowers_the_charge(shopper, service):
    set_custom_rate(shopper, None, discount_bp=1000)  # 10 %
    order = make_order(shopper, service, quantity=1000)
    assert order.charge_micros == to_micros("0.81")


def test_the_discounted_charge_is_what_the_ledger_debits(shopper, service):
    set_custom_rate(shopper, None, discount_bp=2500)
    before = balance_of(shopper)
    order = make_order(shopper, service, quantity=500)
    charge = LedgerEntry.objects.get(order=order, kind=LedgerEntry.Kind.CHARGE)
    assert charge.amount_micros == -order.charge_micros == -charge_for(to_micros("0.675"), 500)
    assert balance_of(shopper) == before - order.charge_micros


def test_an_own_rate_for_the_service_wins_over_the_discount_for_all(shopper, service):
    set_custom_rate(shopper, None, discount_bp=1000)
    set_custom_rate(shopper, service, rate_micros=to_micros("0.50"))
    assert make_order(shopper, service, quantity=1000).charge_micros == to_micros("0.50")


def test_the_discount_for_all_still_applies_to_other_services(shopper, service):
    other = make_service(rate_micros=to_micros("2.00"))
    set_custom_rate(shopper, None, discount_bp=1000)
    set_custom_rate(shopper, service, rate_micros=to_micros("0.50"))
    assert make_order(shopper, other, quantity=1000).charge_micros == to_micros("1.80")


def test_another_customers_own_price_does_not_apply(shopper, service):
    set_custom_rate(make_user(), service, rate_micros=to_micros("0.10"))
    assert make_order(shopper, service, quantity=1000).charge_micros == service.rate_micros


def test_a_partial_refund_stays_proportional_to_the_own_price(shopper, service):
    set_custom_rate(shopper, service, rate_micros=to_micros("0.333333"))
    order = make_order(shopper, service, quantity=300)
    refund_remains(order, 77)
    refund = LedgerEntry.objects.get(order=order, kind=LedgerEntry.Kind.REFUND)
    assert refund.amount_micros == share_of(order.charge_micros, 77, 300)
    assert not ledger_mismatches()


def test_a_cancel_refunds_exactly_the_discounted_charge(shopper, service):
    set_custom_rate(shopper, None, discount_bp=3333)
    before = balance_of(shopper)
    order = make_order(shopper, service, quantity=1000)
    cancel_and_refund(order)
    assert balance_of(shopper) == before
    assert not ledger_mismatches()


def test_an_earlier_order_keeps_its_charge_when_the_price_changes(shopper, service):
    order = make_order(shopper, service, quantity=1000)
    set_custom_rate(shopper, service, rate_micros=to_micros("0.10"))
    order.refresh_from_db()
    assert order.charge_micros == service.rate_micros


def test_a_drip_feed_order_pays_the_own_rate_for_every_run(shopper):
    drip = make_service(dripfeed=True)
    set_custom_rate(shopper, drip, rate_micros=to_micros("0.40"))
    order = make_order(shopper, drip, quantity=100, runs=3, interval=10)
    assert order.charge_micros == charge_for(to_micros("0.40"), 300)


def test_a_package_service_costs_the_own_price_per_package(shopper):
    package = make_service(
        type="package", min_quantity=1, max_quantity=1, rate_micros=to_micros("5.00")
    )
    set_custom_rate(shopper, None, discount_bp=2000)
    assert make_order(shopper, package).charge_micros == to_micros("4.00")


def test_check_order_without_a_user_prices_at_the_list_rate(shopper, service):
    set_custom_rate(shopper, service, rate_micros=to_micros("0.10"))
    checked = check_order(service, {"link": post_link(), "quantity": 1000})
    assert checked.charge_micros == service.rate_micros


def test_the_quote_shows_the_own_price(shopper, service):
    set_custom_rate(shopper, service, rate_micros=to_micros("0.25"))
    quote = quote_order(shopper, service, {"link": post_link(), "quantity": 1000})
    assert quote.checked.charge_micros == to_micros("0.25")


def test_the_api_services_list_shows_the_callers_own_rate(shopper, service):
    set_custom_rate(shopper, service, rate_micros=to_micros("0.25"))
    row = next(r for r in api_services(shopper) if r["service"] == service.pk)
    assert row["rate"] == "0.25"


def test_the_api_services_list_shows_list_rates_to_others(shopper, service):
    set_custom_rate(shopper, service, rate_micros=to_micros("0.25"))
    row = next(r for r in api_services(make_user()) if r["service"] == service.pk)
    assert row["rate"] == "0.90"


def test_setting_an_own_price_again_replaces_the_rule(shopper, service):
    set_custom_rate(shopper, service, rate_micros=to_micros("0.25"))
    set_custom_rate(shopper, service, discount_bp=500)
    assert CustomRate.objects.filter(user=shopper).count() == 1
    assert rate_for(shopper, service) == discounted(service.rate_micros, 500)


def test_a_discount_rounds_half_up_to_a_micro():
    assert discounted(5, 1000) == 5  # 4.5 micros → 5
    assert discounted(900_000, 3333) == 600_030


@pytest.mark.parametrize(
    ("service_given", "fields"),
    [
        (False, {"rate_micros": 100}),  # a fixed rate for every service
        (True, {"rate_micros": 100, "discount_bp": 100}),  # both kinds
        (True, {}),  # neither
        (True, {"discount_bp": 0}),
        (True, {"discount_bp": 10001}),
        (True, {"rate_micros": -1}),
    ],
)
def test_a_rule_that_is_not_one_is_refused(shopper, service, service_given, fields):
    with pytest.raises(ValueError):
        set_custom_rate(shopper, service if service_given else None, **fields)
    assert not CustomRate.objects.exists()
