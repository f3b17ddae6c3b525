"""The staff order page in a real browser (issue 18): staff work a running order from
its page, cancel it at the provider, the simulator confirms, and the customer sees the
refund on their own order page and a notification of it behind the header's bell."""

# The simulator fixtures are imported from tests/providers/conftest.py and named as
# test arguments, which ruff reads as redefinitions.
# ruff: noqa: F811

from playwright.sync_api import expect

from smmpanel.accounts.models import User
from smmpanel.fulfilment.customer_requests import forward_cancels
from smmpanel.notifications.kinds import render
from smmpanel.notifications.models import Notification
from smmpanel.orders.models import OrderStatus
from smmpanel.web.templatetags.money import money
from tests.browser.conftest import log_in, screenshot
from tests.browser.journey import PASSWORD
from tests.factories import make_user
from tests.providers.conftest import (  # noqa: F401 - fixtures
    forwarded,
    likes,
    provider,
    requests_for,
    sim,
    sim_clock,
    sync,
    user,
)


def test_staff_cancel_a_running_order_at_the_provider_and_the_customer_is_refunded_and_told(
    transactional_db, page_in, user, likes, provider, sim
):
    order = forwarded(user, likes)
    assert order.status == OrderStatus.IN_PROGRESS
    staff = make_user(role=User.Role.STAFF)

    desk = page_in("en-US")
    log_in(desk, staff.email, PASSWORD)
    desk.goto(f"/staff/orders/{order.pk}/")
    expect(desk.locator("#run-1 .run-state")).to_have_text("sent")
    cancel = desk.locator("form", has=desk.get_by_role("button", name="Cancel at the provider"))
    cancel.get_by_label("Reason").fill("customer asked by ticket")
    cancel.get_by_role("button", name="Cancel at the provider").click()
    expect(desk.locator(".notice")).to_contain_text("Cancel asked of the provider")
    screenshot(desk, "staff-order-cancel-asked")

    # The worker's sweep, called directly: send the cancel, then poll the provider.
    assert forward_cancels() == 1
    sync(provider)
    assert requests_for(sim, "cancel") == 1
    desk.reload()
    expect(desk.locator("h1 .status")).to_have_text("Canceled")

    customer = page_in("en-US")
    log_in(customer, user.email, PASSWORD)
    customer.goto(f"/orders/{order.pk}/")
    expect(customer.locator("#refunded")).to_have_text(f"{money(order.charge_micros)} USD")
    screenshot(customer, "customer-order-canceled-upstream")

    # The refund told the customer: the bell counts it and the list shows it.
    note = Notification.objects.get(user=user)
    assert (note.kind, note.params["order"]) == ("order_canceled", order.pk)
    bell = customer.locator("a.bell")
    expect(bell.locator(".count")).to_have_text("1")
    bell.click()
    title, body = render(note.kind, note.params, "en")
    item = customer.locator(f"#notification-{note.pk}.unread")
    expect(item.locator("strong")).to_have_text(title)
    expect(item.locator("p")).to_have_text(body)
    assert f"{money(order.charge_micros)} USD" in body
