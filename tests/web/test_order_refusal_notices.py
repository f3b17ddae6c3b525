"""How a pause for too many refused orders (``abuse.invalid_orders``) reaches the customer
on the web: above the order form, naming the rule and until when, never beside the link
as if the link were wrong; and the policy page states the thresholds in force."""

import html
import re

import pytest
from django.urls import reverse

from smmpanel.policy import engine, rulebook
from smmpanel.policy.models import Rule
from smmpanel.policy.services import update_rule
from tests.factories import make_service, make_staff, make_user, post_link
from tests.policy.conftest import refuse_over_api
from tests.web.test_order_pages import error_beside

pytestmark = pytest.mark.django_db


def _seeded_rule() -> Rule:
    engine.rules_for(rulebook.ORDER_PLACE)  # rules are seeded on first use
    return Rule.objects.get(code="abuse.invalid_orders")


def _paused(customer) -> None:
    """Two refused orders over the API, with the rule pausing at two."""
    update_rule(
        _seeded_rule(),
        actor=make_staff("owner"),
        reason="test tuning",
        thresholds={"window_minutes": 10, "reject_at": 2, "limit_at": 30, "restrict_at": 40},
    )
    refuse_over_api(customer, 2)


def _form_notice(page: str) -> str:
    match = re.search(r'<div class="errorlist" role="alert">(.*?)</div>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))) if match else ""


def test_a_paused_customer_is_told_above_the_form_not_beside_the_link(client):
    customer = make_user("10")
    service = make_service()
    client.force_login(customer)
    _paused(customer)

    page = client.post(
        reverse("web:order-new"),
        {"service": service.pk, "link": post_link(), "quantity": "100"},
    ).content.decode()

    notice = _form_notice(page)
    assert "New orders are paused until" in notice
    assert "abuse.invalid_orders" in notice and "open a support ticket" in notice
    assert error_beside(page, "link") == ""


def test_the_policy_page_states_the_thresholds_in_force(client):
    update_rule(
        _seeded_rule(),
        actor=make_staff("owner"),
        reason="stricter",
        thresholds={"window_minutes": 15, "reject_at": 7, "limit_at": 14, "restrict_at": 28},
    )

    page = html.unescape(client.get(reverse("web:aup")).content.decode())

    counted = re.search(r'id="invalid-orders-count">(.*?)</p>', page, re.S).group(1)
    assert "over the last 15 minutes" in counted
    assert "as a quarter" in counted
    assert "At 7 counted" in counted and "at 14 the API" in counted and "at 28 ordering" in counted
