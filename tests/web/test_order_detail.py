"""The order page as its owner sees it: staff decisions with their reason, the refund of
an ended order, long links, the parameters of special order types, and cancel's second
step."""

import pytest
from django.urls import reverse

from smmpanel.accounts.models import User
from smmpanel.billing.money import share_of
from smmpanel.orders.models import OrderStatus
from smmpanel.orders.services import refund_remains
from smmpanel.orders.state import transition
from smmpanel.policy import services as policy
from tests.factories import make_order, make_user
from tests.policy.conftest import tune


@pytest.fixture
def shopper(client, customer):
    """A signed-in customer with a balance of 100."""
    client.force_login(customer)
    return customer


@pytest.fixture
def staff(db):
    return make_user(role=User.Role.STAFF)


@pytest.fixture
def held_order(shopper, service, staff):
    """An order held for review (the large-order rule, enforced at threshold 0)."""
    tune("order.large", staff, shadow=False, thresholds={"review_at_micros": 0})
    order = make_order(shopper, service)
    assert order.status == OrderStatus.REVIEW
    return order


def detail(client, order) -> str:
    return client.get(reverse("web:order-detail", args=[order.pk])).content.decode()


def test_a_rejected_order_shows_the_staff_reason(client, held_order, staff):
    policy.reject_order(held_order, actor=staff, reason="The target account is private")
    assert "The target account is private" in detail(client, held_order)


def test_a_rejected_order_shows_its_refund(client, held_order, staff):
    policy.reject_order(held_order, actor=staff, reason="The target account is private")
    page = detail(client, held_order)
    assert '<dd id="refunded">0.09 USD</dd>' in page


def test_an_approval_note_stays_internal(client, held_order, staff):
    policy.approve_order(held_order, actor=staff, reason="checked by Olena")
    assert "checked by Olena" not in detail(client, held_order)


def test_a_partial_order_shows_the_refund_of_its_remains(client, shopper, service):
    order = transition(make_order(shopper, service, quantity=1000), OrderStatus.IN_PROGRESS)
    refund_remains(order, 400)
    refund = share_of(order.charge_micros, 400, 1000)
    assert refund == 360_000
    assert '<dd id="refunded">0.36 USD</dd>' in detail(client, order)


def test_a_running_order_shows_no_refund(client, shopper, service):
    order = make_order(shopper, service)
    assert 'id="refunded"' not in detail(client, order)
