"""The order page as its owner sees it: staff decisions with their reason, the refund of
an ended order, long links, the parameters of special order types, and cancel's second
step."""

import pytest
from django.urls import reverse

from smmpanel.accounts.models import User
from smmpanel.money import share_of
from smmpanel.orders.models import OrderStatus
from smmpanel.orders.services import refund_remains
from smmpanel.orders.state import transition
from smmpanel.policy import services as policy
from smmpanel.staff.actions import orders as order_actions
from tests.factories import make_order, make_service, make_user
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
    order_actions.reject_order(held_order, actor=staff, reason="The target account is private")
    assert "The target account is private" in detail(client, held_order)


def test_a_rejected_order_shows_its_refund(client, held_order, staff):
    order_actions.reject_order(held_order, actor=staff, reason="The target account is private")
    page = detail(client, held_order)
    assert '<dd id="refunded">0.09 USD</dd>' in page


def test_an_approval_note_stays_internal(client, held_order, staff):
    order_actions.approve_order(held_order, actor=staff, reason="checked by Olena")
    assert "checked by Olena" not in detail(client, held_order)


def test_a_partial_order_shows_the_refund_of_its_remains(client, shopper, service):
    order = transition(make_order(shopper, service, quantity=1000), OrderStatus.IN_PROGRESS)
    refund_remains(order, 400)
    refund = share_of(order.charge_micros, 400, 1000)
    assert refund == 360_000
    assert '<dd id="refunded">0.36 USD</dd>' in detail(client, order)


def test_a_refund_held_by_a_balance_review_is_not_said_to_be_on_the_balance(
    client, held_order, staff, shopper
):
    policy.open_balance_review(shopper, reason="payment check", actor=staff)
    order_actions.reject_order(held_order, actor=staff, reason="The target account is private")

    page = detail(client, held_order)

    assert "it reaches your balance when the balance review ends" in page
    assert "was refunded to your balance" not in page


def test_a_running_order_shows_no_refund(client, shopper, service):
    order = make_order(shopper, service)
    assert 'id="refunded"' not in detail(client, order)


def test_a_custom_comments_order_shows_its_comments_under_a_translated_label(client, shopper):
    service = make_service(type="custom comments", min_quantity=1)
    order = make_order(shopper, service, comments="Nice!\nGreat")
    client.cookies["django_language"] = "uk"
    page = detail(client, order)
    assert "<dt>Коментарі</dt>" in page and "<dt>comments</dt>" not in page


def test_a_subscription_order_shows_its_parameters_under_readable_labels(client, shopper):
    service = make_service(type="subscriptions", link_format="instagram_profile")
    order = make_order(shopper, service, username="someone", min=100, max=200, posts=3, delay=30)
    page = detail(client, order)
    for label in (
        "Username",
        "Minimum per post",
        "Maximum per post",
        "Number of new posts",
        "Delay, minutes",
    ):
        assert f"<dt>{label}</dt>" in page
    assert "<dt>min</dt>" not in page and "<dt>delay</dt>" not in page


def test_a_long_link_may_break_inside_its_cell(client, shopper, service):
    order = make_order(shopper, service, link="https://www.instagram.com/p/" + "x" * 200 + "/")
    assert '<dd class="wrap"><a href=' in detail(client, order)
