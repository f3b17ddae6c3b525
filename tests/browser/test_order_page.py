"""The order page in a real browser: cancel asks first, a staff rejection shows its
reason and refund, and a long link wraps instead of painting over the next cell."""

import re

from playwright.sync_api import expect

from smmpanel.accounts.models import User
from smmpanel.orders.models import OrderStatus
from smmpanel.staff.actions import orders as order_actions
from tests.browser.conftest import log_in, screenshot, serious_accessibility_violations
from tests.browser.journey import PASSWORD
from tests.factories import make_order, make_service, make_user
from tests.policy.conftest import tune


def test_cancel_asks_for_confirmation_before_canceling(page, transactional_db):
    customer = make_user("10")
    order = make_order(customer, make_service())
    log_in(page, customer.email, PASSWORD)
    page.goto(f"/orders/{order.pk}/")
    page.get_by_role("link", name=f"Cancel order {order.pk}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Cancel order {order.pk}?")
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    screenshot(page, "order-cancel-confirm")
    assert serious_accessibility_violations(page) == []

    page.get_by_role("button", name="Yes, cancel the order").click()
    expect(page).to_have_url(re.compile(rf"/orders/{order.pk}/$"))
    expect(page.locator("main")).to_contain_text(f"Order {order.pk} is canceled")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELED


def test_a_rejected_order_shows_the_staff_reason_and_the_refund(page, transactional_db):
    customer = make_user("10")
    staff = make_user(role=User.Role.STAFF)
    tune("order.large", staff, shadow=False, thresholds={"review_at_micros": 0})
    held = make_order(customer, make_service())
    order_actions.reject_order(held, actor=staff, reason="The target account is private")
    log_in(page, customer.email, PASSWORD)
    page.goto(f"/orders/{held.pk}/")
    expect(page.locator("#staff-reason")).to_contain_text("The target account is private")
    expect(page.locator("#refunded")).to_have_text("0.09 USD")
    screenshot(page, "order-rejected")


def test_a_long_link_stays_inside_its_cell(page, transactional_db):
    customer = make_user("10")
    link = "https://www.instagram.com/p/" + "x" * 200 + "/"
    order = make_order(customer, make_service(), link=link)
    log_in(page, customer.email, PASSWORD)
    page.set_viewport_size({"width": 1024, "height": 800})
    page.goto(f"/orders/{order.pk}/")
    cell = page.locator("dd", has_text="x" * 200)
    expect(cell).to_be_visible()
    # The cell is no wider than it is laid out: the link breaks instead of overflowing.
    assert cell.evaluate("el => el.scrollWidth <= el.clientWidth")
