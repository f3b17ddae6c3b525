"""Subscription orders: their state in PerfectPanel's words and the posts delivered."""

from datetime import UTC, date, datetime

import pytest

from smmpanel.orders.models import OrderStatus
from smmpanel.orders.services import cancel_and_refund, complete_order, refund_remains
from smmpanel.orders.state import transition
from smmpanel.orders.subscriptions import (
    SubscriptionState,
    expiry_of,
    is_subscription,
    subscription_rows,
    subscription_state,
)
from tests.factories import make_order, make_service, make_user

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
PAST, FUTURE = {"expiry": "01/12/2026"}, {"expiry": "31/12/2026"}
S = SubscriptionState


@pytest.mark.parametrize(
    ("status", "params", "cancel_asked", "state"),
    [
        (OrderStatus.PENDING, {}, False, S.ACTIVE),
        (OrderStatus.IN_PROGRESS, PAST, False, S.ACTIVE),  # until the provider ends it
        (OrderStatus.PROCESSING, {}, False, S.ACTIVE),
        (OrderStatus.REVIEW, {}, False, S.PAUSED),
        (OrderStatus.FAIL, {}, False, S.PAUSED),
        (OrderStatus.COMPLETED, PAST, False, S.COMPLETED),
        (OrderStatus.PARTIAL, PAST, False, S.EXPIRED),
        (OrderStatus.PARTIAL, FUTURE, False, S.CANCELED),
        (OrderStatus.PARTIAL, PAST, True, S.CANCELED),
        (OrderStatus.PARTIAL, {}, False, S.CANCELED),
        (OrderStatus.CANCELED, PAST, False, S.CANCELED),
    ],
)
def test_the_state_follows_the_order(status, params, cancel_asked, state):
    assert subscription_state(status, params, NOW if cancel_asked else None, NOW) == state


@pytest.mark.parametrize(
    ("text", "day"),
    [("31/12/2030", date(2030, 12, 31)), ("12/31/2030", date(2030, 12, 31)),
     ("2030-12-31", date(2030, 12, 31)), ("05/04/2030", date(2030, 4, 5)),
     ("tomorrow", None), ("", None)],
)  # fmt: skip
def test_the_expiry_is_read_as_clients_send_it(text, day):
    assert expiry_of({"expiry": text}) == day


def test_only_subscription_parameters_make_a_subscription():
    assert is_subscription({"username": "a", "min": "1", "max": "2", "posts": "3"})
    assert not is_subscription({"username": "a"}) and not is_subscription({})


@pytest.fixture
def subscription(db):
    user = make_user("100")
    service = make_service(type="subscriptions", link_format="instagram_profile")
    order = make_order(
        user,
        service,
        username="natgeo",
        min="100",
        max="200",
        posts="5",
        delay="30",
        expiry="31/12/2030",
    )
    return user, order


def test_a_row_shows_the_profile_limits_delay_and_expiry(subscription):
    user, order = subscription
    (row,), more = subscription_rows(user)
    assert more is None and row.order == order
    assert (row.username, row.posts, row.low, row.high, row.delay) == ("natgeo", 5, 100, 200, 30)
    assert row.expiry == date(2030, 12, 31)
    assert (row.state, row.posts_delivered, row.can_cancel) == (S.ACTIVE, 0, True)


def test_posts_delivered_follow_the_units_delivered(subscription):
    user, order = subscription
    transition(order, OrderStatus.IN_PROGRESS, remains=1000 - 450)  # 450 of 5 × 200
    (row,), _ = subscription_rows(user)
    assert row.posts_delivered == 2
    refund_remains(order, 200)
    (row,), _ = subscription_rows(user)
    assert (row.state, row.posts_delivered) == (S.CANCELED, 4)


def test_a_completed_subscription_delivered_every_post(subscription):
    user, order = subscription
    complete_order(order)
    (row,), _ = subscription_rows(user)
    assert (row.state, row.posts_delivered, row.can_cancel) == (S.COMPLETED, 5, False)


def test_a_canceled_subscription_is_canceled(subscription):
    user, order = subscription
    cancel_and_refund(order)
    (row,), _ = subscription_rows(user)
    assert row.state == S.CANCELED
    assert subscription_rows(make_user()) == ([], None)
