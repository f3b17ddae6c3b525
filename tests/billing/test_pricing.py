"""The price of a deposit: fee, bonus and the gateway's minor units, one rule a test."""

import pytest

from smmpanel.billing import pricing
from smmpanel.money import to_micros


def test_a_percentage_fee_is_rounded_half_up_to_a_cent():
    # 2.9 % of 10.05 = 0.29145 → 0.29
    assert pricing.fee_for(to_micros("10.05"), 290, 0) == to_micros("0.29")
    # 2.9 % of 10.35 = 0.30015 + 0.30 fixed → 0.60015 → 0.60
    assert pricing.fee_for(to_micros("10.35"), 290, to_micros("0.30")) == to_micros("0.60")


def test_a_fee_of_half_a_cent_rounds_up():
    assert pricing.fee_for(to_micros("1.00"), 50, 0) == to_micros("0.01")  # 0.005


def test_the_customer_pays_the_fee_on_top_when_it_is_theirs():
    quote = _quote("100", fee_paid_by=pricing.FEE_CUSTOMER)
    assert quote.fee_micros == to_micros("3.30")
    assert quote.pay_micros == to_micros("103.30")
    assert quote.pay_minor == 10330
    assert quote.amount_micros == to_micros("100")  # paid money credited


def test_an_absorbed_fee_leaves_the_price_at_the_amount():
    quote = _quote("100", fee_paid_by=pricing.FEE_OPERATOR)
    assert quote.fee_micros == to_micros("3.30")
    assert quote.pay_minor == 10000
    assert quote.amount_micros == to_micros("100")


def test_the_highest_bonus_tier_reached_applies():
    tiers = [(to_micros("50"), 500), (to_micros("100"), 1000)]
    assert pricing.bonus_for(to_micros("49.99"), tiers) == 0
    assert pricing.bonus_for(to_micros("50"), tiers) == to_micros("2.50")
    assert pricing.bonus_for(to_micros("150"), tiers) == to_micros("15")


def test_a_bonus_is_rounded_down_to_a_cent():
    assert pricing.bonus_for(to_micros("50.19"), [(to_micros("50"), 500)]) == to_micros("2.50")


def test_the_bonus_is_not_part_of_what_the_customer_pays():
    quote = _quote("100", tiers=[(to_micros("100"), 1000)])
    assert quote.bonus_micros == to_micros("10")
    assert quote.pay_minor == 10330
    assert quote.received_micros == to_micros("110")


def test_another_currency_is_converted_at_the_operators_rate_and_both_are_kept():
    quote = _quote("10", pay_currency="UAH", rate_micros=to_micros("41.25"))
    assert quote.pay_currency == "UAH"
    assert quote.pay_micros == to_micros("10.60")  # in the panel's currency: 10 + 0.60 fee
    assert quote.pay_minor == 43725  # 10.60 × 41.25 = 437.25 UAH
    assert quote.rate_micros == to_micros("41.25")


def test_another_currency_without_a_rate_is_refused():
    with pytest.raises(ValueError, match="no rate"):
        _quote("10", pay_currency="UAH", rate_micros=None)


def test_zero_decimal_currencies_have_no_minor_unit():
    assert pricing.to_minor(to_micros("1500"), "JPY") == 1500
    assert pricing.to_minor(to_micros("15.25"), "USD") == 1525
    assert pricing.from_minor(1525, "usd") == to_micros("15.25")


def _quote(
    amount, *, fee_paid_by=pricing.FEE_CUSTOMER, tiers=(), pay_currency="USD", rate_micros=None
):
    return pricing.quote(
        to_micros(amount),
        percent_bp=300,
        fixed_micros=to_micros("0.30"),
        fee_paid_by=fee_paid_by,
        tiers=list(tiers),
        panel_currency="USD",
        pay_currency=pay_currency,
        rate_micros=rate_micros,
    )


def test_three_decimal_currencies_are_counted_in_thousandths():
    """1.234 KWD is 1234 fils: two decimals would charge a tenth of the price."""
    assert pricing.to_minor(to_micros("1.234"), "KWD") == 1234
    assert pricing.from_minor(1234, "KWD") == to_micros("1.234")
