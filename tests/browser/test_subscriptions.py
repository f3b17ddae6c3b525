"""A subscription ordered over API v2 and followed on its page, in a real browser, in
English and Ukrainian: Active with no post delivered, then posts delivered as the
provider reports, then Expired once it ended short after its expiry date (the API says
the same)."""

import httpx
import pytest
from playwright.sync_api import expect

from smmpanel.money import to_micros
from smmpanel.orders.models import Order, OrderStatus
from smmpanel.orders.services import refund_remains
from smmpanel.orders.state import transition
from tests.browser.conftest import screenshot, serious_accessibility_violations
from tests.browser.journey import words_in
from tests.browser.test_page_widths import LANGUAGES, signed_in
from tests.factories import make_key, make_service, make_user


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_subscription_ordered_over_the_api_is_followed_on_its_page(
    page_in, live_server, transactional_db, language
):
    tr = words_in(LANGUAGES[language])
    service = make_service(
        name="Instagram Auto Likes — new posts",
        type="subscriptions",
        rate_micros=to_micros("1.00"),
        link_format="instagram_profile",
    )
    customer = make_user("50")
    key = make_key(customer)
    api = f"{live_server.url}/api/v2"
    placed = httpx.post(
        api,
        data={
            "key": key,
            "action": "add",
            "service": service.pk,
            "username": "natgeo",
            "min": 100,
            "max": 200,
            "posts": 5,
            "delay": 30,
            "expiry": "01/01/2027",
        },
    ).json()
    order = Order.objects.get(pk=placed["order"])

    page = page_in(LANGUAGES[language])
    signed_in(page, customer, language)
    page.goto("/subscriptions/")
    row = page.locator(f"#subscription-{order.pk}")
    expect(row).to_contain_text("@natgeo")
    expect(row).to_contain_text(tr("%(done)s of %(total)s posts") % {"done": 0, "total": 5})
    expect(row.locator(".status")).to_have_text(tr("Active"))
    expect(
        row.get_by_role("link", name=tr("Cancel order %(id)s") % {"id": order.pk})
    ).to_be_visible()
    screenshot(page, f"subscriptions-{language}")
    assert serious_accessibility_violations(page) == []

    transition(order, OrderStatus.IN_PROGRESS, remains=1000 - 450)  # the provider's figures
    page.reload()
    expect(row).to_contain_text(tr("%(done)s of %(total)s posts") % {"done": 2, "total": 5})

    Order.objects.filter(pk=order.pk).update(params=order.params | {"expiry": "01/01/2020"})
    order.refresh_from_db()
    refund_remains(order, 300)  # ended short: the rest refunded
    page.reload()
    expect(row.locator(".status")).to_have_text(tr("Expired"))
    status = httpx.post(api, data={"key": key, "action": "status", "order": order.pk}).json()
    assert status["status"] == "Expired"
