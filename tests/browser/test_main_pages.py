"""Every main page, filled with realistic data, in a real browser: a screenshot of each
(test-artifacts/screenshots/) and axe-core's check with no serious or critical
violations. Each audience signs in once and visits its pages; the assertion lists
every page with problems at once instead of stopping at the first."""

import pytest
from playwright.sync_api import expect

from smmpanel.accounts.models import User
from smmpanel.billing.deposits import request_deposit
from smmpanel.catalog.services import update_service
from smmpanel.content.services import save_page
from smmpanel.orders.services import complete_order, request_refill
from smmpanel.support.services import open_ticket, reply
from tests.browser.conftest import log_in, screenshot, serious_accessibility_violations
from tests.browser.journey import PASSWORD
from tests.factories import make_order, make_service, make_user, page_fields

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def shop(transactional_db):
    """A customer with orders (one completed and refilled, one pending), a deposit
    request, an answered ticket; a staff member; a catalog with a recorded change."""
    customer = make_user("50")
    staff = make_user(role=User.Role.STAFF)
    likes = make_service(name="Instagram Likes — 30 days refill")
    make_service(name="Telegram Members", platform="Telegram", link_format="telegram_channel")
    update_service(likes, rate_micros=likes.rate_micros + 100_000)
    done = complete_order(make_order(customer, likes), start_count=1200)
    request_refill(customer, done.pk)
    pending = make_order(customer, likes, quantity=300)
    request_deposit(customer, "manual", "25")
    ticket = open_ticket(customer, "order", f"Order #{done.pk}", "Where are my likes?", [done.pk])
    reply(ticket, staff, "They are on their way.")
    return {
        "customer": customer,
        "staff": staff,
        "service": likes,
        "order": done,
        "pending": pending,
        "ticket": ticket,
    }


def visit_all(page, pages: list[tuple[str, str]]) -> dict[str, list[dict]]:
    problems = {}
    for name, path in pages:
        response = page.goto(path)
        assert response is not None and response.status == 200, (name, path)
        page.wait_for_load_state("load")
        screenshot(page, name)
        violations = serious_accessibility_violations(page)
        if violations:
            problems[name] = violations
    return problems


def test_the_customer_pages_have_no_serious_accessibility_problems(page, shop):
    log_in(page, shop["customer"].email, PASSWORD)
    expect(page.get_by_role("link", name=shop["customer"].email)).to_be_visible()
    order, ticket = shop["order"], shop["ticket"]
    problems = visit_all(
        page,
        [
            ("dashboard", "/dashboard/"),
            ("new-order", f"/orders/new/?service={shop['service'].pk}"),
            ("orders", "/orders/"),
            ("order-detail", f"/orders/{order.pk}/"),
            ("mass-order", "/orders/mass/"),
            ("refills", "/refills/"),
            ("dripfeed", "/dripfeed/"),
            ("subscriptions", "/subscriptions/"),
            ("news", "/news/"),
            ("funds", "/funds/"),
            ("transactions", "/funds/history/"),
            ("tickets", "/tickets/"),
            ("ticket-new", f"/tickets/new/?order={order.pk}"),
            ("ticket-thread", f"/tickets/{ticket.pk}/"),
            ("settings", "/settings/"),
            ("api-keys", "/api-keys/"),
        ],
    )
    page.set_viewport_size(PHONE)
    problems |= visit_all(
        page,
        [
            ("phone-new-order", f"/orders/new/?service={shop['service'].pk}"),
            ("phone-orders", "/orders/"),
        ],
    )
    assert problems == {}


def test_the_public_pages_have_no_serious_accessibility_problems(page, shop):
    save_page(None, page_fields("faq"), actor=shop["staff"])
    problems = visit_all(
        page,
        [
            ("faq", "/pages/faq/"),
            ("services", "/services/"),
            ("updates", "/updates/"),
            ("api-docs", "/api-docs/"),
            ("aup", "/policy/acceptable-use/"),
            ("terms", "/policy/terms/"),
            ("signup", "/signup/"),
        ],
    )
    assert problems == {}


def test_the_staff_pages_have_no_serious_accessibility_problems(page, shop):
    log_in(page, shop["staff"].email, PASSWORD)
    expect(page.get_by_role("link", name=shop["staff"].email)).to_be_visible()
    problems = visit_all(
        page,
        [
            ("staff-moderation", "/staff/"),
            ("staff-deposits", "/staff/funds/deposits/"),
            ("staff-tickets", "/staff/tickets/"),
            ("staff-ticket", f"/staff/tickets/{shop['ticket'].pk}/"),
            ("staff-canned-replies", "/staff/tickets/canned/"),
            ("staff-announcements", "/staff/content/news/"),
            ("staff-pages", "/staff/content/pages/"),
            ("staff-users", f"/staff/users/?q={shop['customer'].email}"),
            ("staff-user", f"/staff/users/{shop['customer'].pk}/"),
            ("staff-view-as", f"/staff/view-as/{shop['customer'].pk}/"),
            ("staff-orders", "/staff/orders/"),
            ("staff-services", "/staff/catalog/services/"),
            ("staff-service-edit", f"/staff/catalog/services/{shop['service'].pk}/"),
            ("staff-service-routes", f"/staff/catalog/services/{shop['service'].pk}/routes/"),
            ("staff-categories", "/staff/catalog/categories/"),
            ("staff-providers", "/staff/providers/"),
            ("staff-provider-new", "/staff/providers/new/"),
            ("staff-reports", "/staff/reports/"),
            ("staff-report-profit", "/staff/reports/profit/"),
            ("staff-report-statuses", "/staff/reports/statuses/"),
            ("staff-report-providers", "/staff/reports/providers/"),
            ("staff-rules", "/staff/rules/"),
            ("staff-deny-lists", "/staff/deny/"),
            ("staff-audit", "/staff/audit/"),
        ],
    )
    assert problems == {}
