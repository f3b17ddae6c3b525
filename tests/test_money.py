"""Money arithmetic: integer micro-units inside, exact decimal strings at the edges."""

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smmpanel.money import (
    MICROS,
    InvalidAmount,
    charge_for,
    div_round_half_up,
    format_amount,
    quantize_display,
    share_of,
    to_decimal,
    to_micros,
)

amounts = st.integers(min_value=-(10**15), max_value=10**15)
rates = st.integers(min_value=0, max_value=10**9)  # up to 1000.00 per 1000
quantities = st.integers(min_value=1, max_value=10**8)


def exact_half_up(numerator: int, denominator: int) -> int:
    """The reference rounding, computed the slow, obvious way with Decimal."""
    return int((Decimal(numerator) / Decimal(denominator)).quantize(Decimal(1), ROUND_HALF_UP))


# --- to_micros ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "micros"),
    [
        ("0.90", 900_000),
        ("12", 12_000_000),
        (12, 12_000_000),
        (Decimal("0.000001"), 1),
        (" 1.5 ", 1_500_000),
        ("0.27819", 278_190),
        ("-2.5", -2_500_000),
        ("100.840000", 100_840_000),
        ("0", 0),
    ],
)
def test_to_micros_parses_decimal_amounts_exactly(text, micros):
    assert to_micros(text) == micros


@pytest.mark.parametrize(
    "text", ["", "abc", "1,5", "NaN", "Infinity", "-inf", "0.0000001", "1.23456789", "1e-7"]
)
def test_to_micros_refuses_anything_that_is_not_an_exact_micro_amount(text):
    with pytest.raises(InvalidAmount):
        to_micros(text)


def test_to_micros_never_rounds_a_seventh_decimal_away():
    with pytest.raises(InvalidAmount, match="six decimal places"):
        to_micros("0.9000001")


# --- format_amount ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("micros", "text"),
    [
        (900_000, "0.90"),
        (278_190, "0.27819"),
        (100_840_000, "100.84"),
        (0, "0.00"),
        (1, "0.000001"),
        (12_000_000, "12.00"),
        (10_000_000, "10.00"),
        (-1_500_000, "-1.50"),
        (-1, "-0.000001"),
    ],
)
def test_format_amount_shows_at_least_two_decimals_and_no_trailing_zeros_past_them(micros, text):
    assert format_amount(micros) == text


@given(amounts)
def test_format_then_parse_gives_back_the_same_micros(micros):
    assert to_micros(format_amount(micros)) == micros


@given(amounts)
def test_format_amount_is_the_exact_decimal_value(micros):
    text = format_amount(micros)

    assert Decimal(text) == to_decimal(micros) == Decimal(micros) / MICROS
    decimals = text.split(".")[1]
    assert 2 <= len(decimals) <= 6
    assert len(decimals) == 2 or not decimals.endswith("0")


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False))
def test_parse_then_format_keeps_the_value(amount):
    assert Decimal(format_amount(to_micros(amount))) == amount


# --- charge_for ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "quantity", "charge"),
    [
        ("0.90", 100, "0.09"),
        ("0.27819", 1000, "0.27819"),
        ("2.7819", 100, "0.27819"),
        ("0.90", 10000, "9.00"),
        ("12.00", 3, "0.036"),
        ("0.000005", 100, "0.000001"),  # 0.0000005 rounds half-up, not to even
        ("0.000015", 100, "0.000002"),  # 0.0000015 → 0.000002
        ("0.000025", 100, "0.000003"),  # 0.0000025 → 0.000003 (banker's would give 2)
        ("0.000024", 100, "0.000002"),  # 0.0000024 → 0.000002
        ("0.000001", 1, "0.000001"),  # 0.000000001: a paid order is never free
        ("0", 1000, "0.00"),
    ],
)
def test_charge_is_rate_times_quantity_over_1000_rounded_half_up(rate, quantity, charge):
    assert charge_for(to_micros(rate), quantity) == to_micros(charge)


@given(rates, quantities)
def test_charge_matches_exact_decimal_arithmetic_rounded_half_up(rate, quantity):
    expected = exact_half_up(rate * quantity, 1000)

    assert charge_for(rate, quantity) == (max(1, expected) if rate else 0)


@given(st.integers(min_value=1, max_value=10**9), quantities)
def test_a_paid_order_is_never_charged_zero(rate, quantity):
    assert charge_for(rate, quantity) >= 1


@given(rates, quantities, quantities)
def test_more_units_never_cost_less(rate, q1, q2):
    low, high = sorted((q1, q2))

    assert charge_for(rate, low) <= charge_for(rate, high)


@given(rates, st.integers(min_value=1, max_value=10**6), st.integers(min_value=1, max_value=1000))
def test_drip_feed_charge_is_the_charge_for_quantity_times_runs(rate, quantity, runs):
    assert charge_for(rate, quantity * runs) == max(
        int(rate > 0), exact_half_up(rate * quantity * runs, 1000)
    )


# --- share_of (refunds) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "part", "whole", "share"),
    [
        (278_190, 157, 1000, 43_676),  # 43675.83 → 43676
        (90_000, 50, 100, 45_000),
        (90_000, 0, 100, 0),
        (90_000, 100, 100, 90_000),
        (1, 1, 2, 1),  # 0.5 → 1 (half-up)
        (1, 1, 3, 0),  # 0.33 → 0
        (5, 1, 2, 3),  # 2.5 → 3
    ],
)
def test_share_of_is_amount_times_part_over_whole_rounded_half_up(amount, part, whole, share):
    assert share_of(amount, part, whole) == share


@pytest.mark.parametrize(("part", "whole"), [(-1, 10), (11, 10), (1, 0)])
def test_share_of_refuses_a_part_outside_the_whole(part, whole):
    with pytest.raises(ValueError):
        share_of(1000, part, whole)


@st.composite
def orders(draw):
    """(charge, remains, quantity) as a real order would have them."""
    quantity = draw(st.integers(min_value=1, max_value=10**7))
    charge = charge_for(draw(st.integers(min_value=1, max_value=10**9)), quantity)
    remains = draw(st.integers(min_value=0, max_value=quantity))
    return charge, remains, quantity


@given(orders())
def test_a_refund_of_remains_never_exceeds_the_charge(order):
    charge, remains, quantity = order

    refund = share_of(charge, remains, quantity)

    assert 0 <= refund <= charge


@given(orders())
def test_refund_of_remains_and_the_delivered_share_add_up_to_the_charge(order):
    charge, remains, quantity = order

    refund = share_of(charge, remains, quantity)
    delivered = share_of(charge, quantity - remains, quantity)

    # Each is rounded half-up on its own, so together they may exceed by one micro-unit,
    # never more, never less; the panel keeps charge − refund, which is never negative.
    assert refund + delivered - charge in (0, 1)
    assert charge - refund >= 0


@given(orders(), st.integers(min_value=0, max_value=10**7))
def test_more_remains_never_refund_less(order, other):
    charge, remains, quantity = order
    fewer = min(other, remains)

    assert share_of(charge, fewer, quantity) <= share_of(charge, remains, quantity)


# --- helpers ------------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=10**20), st.integers(min_value=1, max_value=10**9))
def test_div_round_half_up_matches_decimal_rounding(numerator, denominator):
    assert div_round_half_up(numerator, denominator) == exact_half_up(numerator, denominator)


@pytest.mark.parametrize(("numerator", "denominator"), [(-1, 2), (1, 0), (1, -3)])
def test_div_round_half_up_refuses_negative_or_zero_operands(numerator, denominator):
    with pytest.raises(ValueError):
        div_round_half_up(numerator, denominator)


def test_quantize_display_rounds_half_up_to_a_micro():
    assert quantize_display(Decimal("0.0000005")) == Decimal("0.000001")
    assert quantize_display(Decimal("0.0000025")) == Decimal("0.000003")
    assert quantize_display(Decimal("1.23456749")) == Decimal("1.234567")
