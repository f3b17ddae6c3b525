"""Money reports over the known dataset of ``tests/report_dataset.py``: revenue per
period on an order-date basis, refund figures, top customers."""

from datetime import date

import pytest

from smmpanel.billing.reports import (
    RefundSummary,
    ReportRange,
    Revenue,
    refund_summary,
    revenue_by_period,
    top_users,
)
from smmpanel.money import to_micros
from tests import report_dataset
from tests.report_dataset import MARCH


@pytest.fixture
def data(db):
    return report_dataset.build()


def m(amount: str) -> int:
    return to_micros(amount)


# -- the range and its periods ----------------------------------------------------------


def test_week_periods_start_on_monday():
    rng = ReportRange(date(2025, 3, 1), date(2025, 3, 12), "week")
    assert rng.buckets() == [date(2025, 2, 24), date(2025, 3, 3), date(2025, 3, 10)]


def test_month_periods_start_on_the_first():
    rng = ReportRange(date(2024, 12, 15), date(2025, 2, 1), "month")
    assert rng.buckets() == [date(2024, 12, 1), date(2025, 1, 1), date(2025, 2, 1)]


def test_the_end_day_is_included():
    rng = ReportRange(date(2025, 3, 1), date(2025, 3, 31))
    assert (rng.until - rng.since).days == 31


def test_a_range_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError):
        ReportRange(date(2025, 3, 2), date(2025, 3, 1))


def test_more_than_400_periods_are_refused():
    with pytest.raises(ValueError):
        ReportRange(date(2020, 1, 1), date(2025, 1, 1), "day")


def test_an_unknown_period_is_refused():
    with pytest.raises(ValueError):
        ReportRange(date(2025, 3, 1), date(2025, 3, 2), "year")


# -- revenue -------------------------------------------------------------------------------


def test_revenue_per_day_is_charges_minus_refunds_of_that_days_orders(data):
    revenue = revenue_by_period(MARCH)
    assert {day: r.net for day, r in revenue.items()} == {
        date(2025, 3, 3): m("2.50"),
        date(2025, 3, 4): m("1.00"),
        date(2025, 3, 12): m("6.00"),
    }


def test_revenue_keeps_charges_and_refunds_apart(data):
    assert revenue_by_period(MARCH)[date(2025, 3, 4)] == Revenue(
        charged=m("3.00"), refunded=m("2.00"), orders=2, refunded_orders=1
    )


def test_revenue_per_week(data):
    week = ReportRange(date(2025, 3, 1), date(2025, 3, 31), "week")
    revenue = revenue_by_period(week)
    assert {day: r.net for day, r in revenue.items()} == {
        date(2025, 3, 3): m("3.50"),
        date(2025, 3, 10): m("6.00"),
    }


def test_revenue_per_month(data):
    months = ReportRange(date(2025, 3, 1), date(2025, 4, 30), "month")
    revenue = revenue_by_period(months)
    assert {day: r.net for day, r in revenue.items()} == {
        date(2025, 3, 1): m("9.50"),
        date(2025, 4, 1): m("1.00"),
    }


def test_orders_outside_the_range_are_not_counted(data):
    only_april = ReportRange(date(2025, 4, 1), date(2025, 4, 30))
    assert sum(r.charged for r in revenue_by_period(only_april).values()) == m("1.00")


def test_revenue_is_aggregated_in_one_query(data, django_assert_num_queries):
    with django_assert_num_queries(1):
        revenue_by_period(MARCH)


# -- refunds and customers -------------------------------------------------------------------


def test_refund_summary_counts_orders_and_money(data):
    assert refund_summary(MARCH) == RefundSummary(
        orders=5, refunded_orders=2, charged=m("12.00"), refunded=m("2.50")
    )


def test_top_users_are_ranked_by_what_they_spent_after_refunds(data):
    u1, u2 = data.users
    ranked = [(u.user_id, u.orders, u.net) for u in top_users(MARCH)]
    assert ranked == [(u1.pk, 4, m("9.50")), (u2.pk, 1, 0)]


def test_top_users_stops_at_the_limit(data):
    assert len(top_users(MARCH, limit=1)) == 1
