"""Order reports over the known dataset of ``tests/report_dataset.py``."""

import pytest

from smmpanel.money import to_micros
from smmpanel.orders.reports import orders_by_status, top_services
from tests import report_dataset
from tests.report_dataset import MARCH


@pytest.fixture
def data(db):
    return report_dataset.build()


def test_orders_by_status_counts_the_orders_placed_in_the_range(data):
    counts = {s.status: s.orders for s in orders_by_status(MARCH) if s.orders}
    assert counts == {"in_progress": 1, "completed": 2, "partial": 1, "canceled": 1}


def test_orders_by_status_lists_every_status_even_without_orders(data):
    pending = next(s for s in orders_by_status(MARCH) if s.status == "pending")
    assert (pending.orders, pending.charged) == (0, 0)


def test_orders_by_status_sums_the_charges(data):
    completed = next(s for s in orders_by_status(MARCH) if s.status == "completed")
    assert completed.charged == to_micros("7.00")


def test_top_services_are_ranked_by_revenue_after_refunds(data):
    ranked = [(s.service_id, s.orders, s.charged, s.refunded) for s in top_services(MARCH)]
    assert ranked == [
        (data.b.pk, 3, to_micros("9.00"), to_micros("0.50")),
        (data.a.pk, 2, to_micros("3.00"), to_micros("2.00")),
    ]


def test_top_services_stops_at_the_limit(data):
    assert [s.service_id for s in top_services(MARCH, limit=1)] == [data.b.pk]
