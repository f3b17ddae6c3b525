"""The back-office in a real browser: a moderator approves a held order after seeing
what was flagged, and the owner raises prices by a percentage; both land in the audit
log."""

from playwright.sync_api import expect

from smmpanel.accounts.models import User
from smmpanel.audit.models import Decision
from smmpanel.catalog.models import ServiceUpdate
from smmpanel.orders.models import OrderStatus
from smmpanel.orders.services import place_order
from smmpanel.policy.services import add_deny_entry
from tests.browser.conftest import log_in, screenshot
from tests.browser.journey import PASSWORD
from tests.factories import make_service, make_user


def test_a_moderator_approves_a_held_order_after_seeing_what_was_flagged(page, transactional_db):
    staff = make_user(role=User.Role.STAFF)
    add_deny_entry("term", "giveaway", actor=staff, reason="needs a human look")
    service = make_service(type="custom comments", min_quantity=1, max_quantity=50)
    held = {"link": "https://instagram.com/p/HeldInBrowser", "comments": "free giveaway\nnice"}
    order = place_order(make_user("20"), service, held)
    assert order.status == OrderStatus.REVIEW

    log_in(page, staff.email, PASSWORD)
    page.goto("/staff/")
    row = page.locator("tr", has_text="HeldInBrowser")
    # Why it was held, before deciding: the rule, the term it matched and the text.
    expect(row).to_contain_text("content.sensitive")
    expect(row).to_contain_text("giveaway")
    expect(row.locator(".held-text")).to_contain_text("free giveaway")
    row.locator("form", has=page.get_by_role("button", name="Approve")).get_by_label("Reason").fill(
        "a real giveaway post"
    )
    row.get_by_role("button", name="Approve").click()
    expect(page.get_by_text(f"Order {order.pk}: done.").first).to_be_visible()
    screenshot(page, "staff-flow-approved")

    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
    assert Decision.objects.get(rule_code="order.approve").actor == staff


def test_the_owner_raises_prices_by_a_percentage(page, transactional_db):
    owner = make_user(role=User.Role.STAFF)
    service = make_service(rate_micros=1_000_000)
    log_in(page, owner.email, PASSWORD)
    page.goto("/staff/catalog/services/")
    page.get_by_label(f"Select service {service.pk}").check()
    page.get_by_label("Action").select_option("percent")
    page.get_by_label("Percentage (e.g. 10 or -5.5)").fill("10")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator(".messages")).to_contain_text("1 service(s) changed.")
    screenshot(page, "staff-flow-bulk-price")

    service.refresh_from_db()
    assert service.rate_micros == 1_100_000
    assert ServiceUpdate.objects.filter(service=service, kind="rate").exists()
