"""Refusals the customer sees in a real browser: a mass order with bad lines (the good
ones placed and charged, each bad one refused with its reason and charged nothing),
and orders the Acceptable Use Policy refuses, with the rule's own message beside the
link field — live while typing and again after submitting."""

import re

import pytest
from playwright.sync_api import expect

from smmpanel.accounts.models import User
from smmpanel.billing.selectors import balance_of
from smmpanel.money import format_amount, to_micros
from smmpanel.orders.models import Order
from smmpanel.policy.models import DenyEntry
from smmpanel.policy.rulebook import BY_CODE
from smmpanel.policy.services import add_deny_entry
from tests.browser.conftest import log_in, screenshot, serious_accessibility_violations
from tests.browser.journey import PASSWORD, choose_service, words_in
from tests.factories import make_service, make_user, post_link


def test_a_mass_order_places_the_good_lines_and_refuses_the_bad_ones(page, transactional_db):
    customer = make_user("10")
    service = make_service(min_quantity=50)
    log_in(page, customer.email, PASSWORD)
    page.goto("/orders/mass/")
    lines = [
        f"{service.pk} | {post_link(1)} | 100",
        f"{service.pk} | {post_link(2)} | 5",
        "not an order line",
        f"{service.pk} | {post_link(3)} | 200",
    ]
    page.get_by_label("Orders, one per line").fill("\n".join(lines))
    page.get_by_role("button", name="Place orders").click()

    expect(page.get_by_role("status").filter(has_text="accepted")).to_contain_text(
        "2 lines accepted, 2 lines refused"
    )
    placed = list(Order.objects.filter(user=customer).order_by("pk"))
    assert [o.quantity for o in placed] == [100, 200]
    results = page.locator("section[aria-labelledby=results-h] tbody tr")
    expect(results).to_have_count(4)
    expect(results.nth(0)).to_contain_text(f"Accepted: order {placed[0].pk}")
    expect(results.nth(1)).to_contain_text("Refused: Quantity less than minimal 50")
    expect(results.nth(2)).to_contain_text("Refused: Expected service_id | link | quantity")
    expect(results.nth(3)).to_contain_text(f"Accepted: order {placed[1].pk}")
    # The refused lines come back in the box, ready to correct and resend.
    expect(page.get_by_label("Orders, one per line")).to_have_value(f"{lines[1]}\n{lines[2]}")
    screenshot(page, "mass-order-result")
    assert serious_accessibility_violations(page) == []

    # Charged for the two placed orders only.
    charged = sum(o.charge_micros for o in placed)
    assert charged == to_micros("0.27")  # 0.90 per 1000 × (100 + 200)
    assert balance_of(customer) == to_micros("10") - charged
    results.nth(0).get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/orders/{placed[0].pk}/$"))
    page.goto("/funds/")
    expect(page.locator("main")).to_contain_text(f"Balance: {format_amount(to_micros('9.73'))}")


@pytest.mark.parametrize("locale", ["en-US", "uk-UA"])
@pytest.mark.parametrize(
    ("link", "what"),
    [
        ("https://phish.example/login", "blocked domain phish.example"),
        ("https://bit.ly/x", "link shortener bit.ly"),
    ],
    ids=["denied-domain", "shortener"],
)
def test_an_order_the_policy_refuses_shows_the_rules_message(
    page_in, transactional_db, locale, link, what
):
    tr = words_in(locale)
    customer = make_user("10")
    User.objects.filter(pk=customer.pk).update(language=locale[:2])
    service = make_service(name="Website Traffic", link_format="website", platform="Website")
    add_deny_entry(DenyEntry.Kind.DOMAIN, "phish.example", actor=None, reason="phishing kit")
    spec = BY_CODE["target.blocked"]
    message = (spec.message_uk if locale.startswith("uk") else spec.message_en).format(what=what)
    page = page_in(locale)
    page.goto("/login/")
    page.locator("#id_login").fill(customer.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)

    page.goto("/orders/new/")
    choose_service(page, tr, service)
    link_field = page.get_by_label(tr("Link"), exact=True)
    link_field.fill(link)
    page.get_by_label(tr("Quantity"), exact=True).fill("100")
    beside_link = page.locator("#id_link_error")
    expect(beside_link).to_have_text(message)  # live, from the quote
    # Assistive technology reads the refusal with the field.
    expect(link_field).to_have_accessible_description(re.compile(re.escape(message)))

    page.get_by_role("button", name=tr("Place order")).click()
    expect(page).to_have_url(re.compile(r"/orders/new/$"))
    expect(beside_link).to_have_text(message)  # and from the server
    expect(link_field).to_have_value(link)  # what was typed is kept
    if "phish" in link:
        screenshot(page, f"order-refused-by-policy-{locale[:2]}")
        assert serious_accessibility_violations(page) == []  # the error state too
    assert not Order.objects.exists()
    assert balance_of(customer) == to_micros("10")
