"""Favourite services and the worker's average completion times."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from smmpanel.orders.models import FavouriteService, Order, ServiceAverageTime
from smmpanel.orders.selectors_habits import average_times, duration_text, favourite_ids
from smmpanel.orders.services import complete_order
from smmpanel.orders.services_habits import compute_average_times, set_favourite
from smmpanel.orders.tasks import refresh_average_times
from tests.factories import make_order, make_service, make_user


def test_starring_twice_keeps_one_favourite_and_unstarring_removes_it(db):
    user, service = make_user(), make_service()
    assert set_favourite(user, service, True) and set_favourite(user, service, True)
    assert FavouriteService.objects.filter(user=user).count() == 1
    assert favourite_ids(user) == {service.pk}
    assert set_favourite(user, service, False) is False
    assert favourite_ids(user) == frozenset()


def test_favourites_are_each_customers_own(db):
    a, b, service = make_user(), make_user(), make_service()
    set_favourite(a, service, True)
    assert favourite_ids(b) == frozenset()


def finished(user, service, minutes: int, days_ago: float = 1, **data) -> Order:
    """A completed order that took ``minutes``, finished ``days_ago`` days ago."""
    order = complete_order(make_order(user, service, **data))
    done = timezone.now() - timedelta(days=days_ago)
    Order.objects.filter(pk=order.pk).update(
        created_at=done - timedelta(minutes=minutes), finished_at=done
    )
    return order


@override_settings(AVERAGE_TIME_DAYS=30, AVERAGE_TIME_MIN_ORDERS=3)
def test_the_average_time_is_the_mean_of_recent_completed_orders(db):
    user, service = make_user("100"), make_service()
    for minutes in (30, 60, 90):
        finished(user, service, minutes)
    finished(user, service, 600, days_ago=40)  # outside the window
    make_order(user, service)  # not finished
    assert compute_average_times() == 1
    row = ServiceAverageTime.objects.get(service=service)
    assert (row.orders, row.average_seconds) == (3, 3600)
    assert average_times().for_service(service.pk).text == "1 hour"


@override_settings(AVERAGE_TIME_MIN_ORDERS=3)
def test_below_the_minimum_count_there_is_not_enough_data(db):
    user, service = make_user("100"), make_service()
    finished(user, service, 30)
    finished(user, service, 30)
    compute_average_times()
    shown = average_times().for_service(service.pk)
    assert shown.seconds is None and shown.text == "not enough data"
    assert average_times().for_service(make_service().pk).text == "not enough data"


def test_drip_feed_orders_do_not_count_towards_the_average(db):
    user, service = make_user("100"), make_service(dripfeed=True)
    finished(user, service, 500, runs=2, interval=60)
    assert compute_average_times() == 0


def test_a_service_without_recent_orders_loses_its_figure(db):
    user, service = make_user("100"), make_service()
    finished(user, service, 30)
    compute_average_times()
    assert compute_average_times(now=timezone.now() + timedelta(days=60)) == 0
    assert not ServiceAverageTime.objects.exists()


def test_the_periodic_task_computes_the_figures(db):
    user, service = make_user("100"), make_service()
    finished(user, service, 45)
    refresh_average_times.call_local()
    assert ServiceAverageTime.objects.get(service=service).average_seconds == 45 * 60


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(30, "under a minute"), (60, "1 minute"), (3660, "1 hour 1 minute"),
     (2 * 86400 + 3 * 3600 + 120, "2 days 3 hours")],
)  # fmt: skip
def test_durations_read_in_words(seconds, text):
    assert duration_text(seconds) == text
