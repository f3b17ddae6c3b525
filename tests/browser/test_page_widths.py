"""No page of the panel scrolls sideways, at a phone's, a tablet's and two desktops'
widths, in English and in Ukrainian (issue 16, items 7 and 16).

Every customer, public and staff page is opened once per language, filled with real
rows (orders of every status with long links, long service names, a ticket, a deposit,
a provider and its route…), then laid out at each width in turn on the same browser
page. At each width neither the document nor any box inside it may scroll sideways
(a table in an ``overflow-x: auto`` wrapper wider than the column hides its last
columns just as surely), and the header stays on one line at desktop widths. A
screenshot of every page at every width and language goes to test-artifacts/.
The assertion lists every page and width with a problem at once."""

import re

import pytest
from playwright.sync_api import expect

from smmpanel.accounts.models import User
from smmpanel.billing.deposits import request_deposit
from smmpanel.content.models import Announcement
from smmpanel.content.services import AnnouncementText, publish_announcement, save_page
from smmpanel.orders.models import Order
from smmpanel.orders.services import (
    cancel_and_refund,
    complete_order,
    refund_remains,
    request_refill,
)
from smmpanel.policy.models import Rule
from smmpanel.policy.services import add_deny_entry
from smmpanel.providers.models import Provider
from smmpanel.providers.secrets import seal
from smmpanel.providers.services import add_route
from smmpanel.support.services import open_ticket, reply
from tests.browser.conftest import ARTIFACTS, serious_accessibility_violations
from tests.browser.journey import PASSWORD
from tests.factories import make_key, make_order, make_service, make_user, page_fields

WIDTHS = {390: 844, 768: 1024, 1366: 768, 1920: 1080}
DESKTOP = 1366
LANGUAGES = {"en": "en-US", "uk": "uk-UA"}
SHOTS = ARTIFACTS.parent / "widths"

LONG_NAME = (
    "Instagram Likes — Real Active Accounts, Instant Start, Max 50K/day, 30 days refill guarantee"
)

# What scrolls sideways: the document itself, or any scrollable box whose content is
# wider than the box. Reported with a short name of the box to find it by.
SIDEWAYS = """() => {
  const found = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth) {
    found.push(`page ${root.scrollWidth}px wide in ${window.innerWidth}px`);
  }
  for (const el of document.querySelectorAll("body *")) {
    const x = getComputedStyle(el).overflowX;
    if ((x === "auto" || x === "scroll") && el.scrollWidth > el.clientWidth + 1) {
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
        (el.classList.length ? "." + [...el.classList].join(".") : "");
      found.push(`${name} ${el.scrollWidth}px wide in ${el.clientWidth}px`);
    }
  }
  return found;
}"""

# The header is on one line when all its visible items (the brand, each link, the
# language switch, the account) share a row: the lowest top is above the highest bottom.
# Otherwise it says so, with how wide the items are without the gaps between them.
HEADER_ON_ONE_LINE = """() => {
  const items = [...document.querySelectorAll(
    "header.top > a, header.top > button, header.top nav a, .menu-panel > form, .menu-panel > a"
  )].filter((el) => el.getClientRects().length && el.offsetWidth > 1);
  const tops = items.map((el) => el.getBoundingClientRect().top);
  const bottoms = items.map((el) => el.getBoundingClientRect().bottom);
  if (Math.max(...tops) < Math.min(...bottoms)) return "";
  const needed = items.reduce((sum, el) => sum + el.getBoundingClientRect().width, 0);
  return `header on more than one line (its items alone are ${Math.round(needed)}px wide)`;
}"""


@pytest.fixture
def full_shop(transactional_db):
    """A customer with orders in every state (long links, long service names), refills,
    a deposit request, a ticket with a staff reply and an API key; a staff member; a
    provider with a route; a deny-list entry."""
    customer = make_user("500")
    staff = make_user(role=User.Role.STAFF)
    long_service = make_service(name=LONG_NAME)
    followers = make_service(
        name="Instagram Followers — High Quality Worldwide Profiles (Drop-protected)",
        link_format="instagram_profile",
    )
    make_service(
        name="Telegram Channel Members", platform="Telegram", link_format="telegram_channel"
    )

    def post(n: int) -> str:
        return f"https://www.instagram.com/p/CzLongPostIdentifier{n}AbCdEfGhIjKlMnOpQrStUvWx/"

    orders = [make_order(customer, long_service, post(n), quantity=1000 + n) for n in range(6)]
    drip = make_service(name=LONG_NAME + " (drip-feed)", dripfeed=True)
    make_order(customer, drip, post(99), quantity=100, runs=12, interval=60)
    auto = make_service(
        name=LONG_NAME + " (new posts)", type="subscriptions", link_format="instagram_profile"
    )
    make_order(
        customer,
        auto,
        username="long.profile_name.2024_with_more",
        min="100",
        max="200",
        posts="25",
        delay="30",
        expiry="31/12/2030",
    )
    follow = make_order(customer, followers, "https://www.instagram.com/long.profile_name.2024/")
    done = complete_order(orders[0], start_count=123456)
    request_refill(customer, done.pk)
    complete_order(orders[1], start_count=98765)
    refund_remains(orders[2], 250)
    cancel_and_refund(orders[3])
    Order.objects.filter(pk=orders[4].pk).update(status="fail")
    deposit = request_deposit(customer, "manual", "25", customer_reference="SEPA 2024-000123")
    make_key(customer)
    ticket = open_ticket(
        customer,
        "order",
        f"Order #{done.pk}: the likes stopped at half and the counter has not moved since",
        "Where are my likes? " * 20,
        [done.pk],
    )
    reply(ticket, staff, "They are on their way; the provider reports a queue. " * 5)
    publish_announcement(
        AnnouncementText(
            "Maintenance on Sunday: orders keep their place in the queue " * 2,
            "Обслуговування в неділю: замовлення зберігають своє місце в черзі " * 2,
            "We move to a faster provider. " * 30 + "\n\n- https://example.com/" + "x" * 120,
            "Переходимо до швидшого постачальника. " * 30,
        ),
        actor=staff,
    )
    faq = save_page(None, page_fields("faq"), actor=staff)

    provider = Provider.objects.create(
        name="Upstream Provider With A Long Name",
        api_url="https://provider.example/api/v2/with/a/rather/long/path",
        api_key_sealed=seal("key-0001"),
        api_key_last4="0001",
    )
    route = add_route(long_service, provider, "4711", actor=staff, cost_micros=500_000)
    add_deny_entry(
        "link",
        "https://www.instagram.com/p/BlockedPostWithAVeryLongIdentifierAbCdEfGhIjKl/",
        actor=staff,
        reason="Reported by the account owner",
    )
    return {
        "customer": customer,
        "staff": staff,
        "deposit": deposit,
        "service": long_service,
        "order": done,
        "pending": orders[5],
        "follow": follow,
        "ticket": ticket,
        "provider": provider,
        "route": route,
        "category": long_service.category,
        "rule": Rule.objects.order_by("code").first(),
        "page": faq,
        "announcement": Announcement.objects.get(),
    }


def customer_pages(shop) -> list[tuple[str, str]]:
    order, ticket = shop["order"], shop["ticket"]
    return [
        ("dashboard", "/dashboard/"),
        ("new-order", f"/orders/new/?service={shop['service'].pk}"),
        ("orders", "/orders/"),
        ("order-detail", f"/orders/{order.pk}/"),
        ("order-cancel", f"/orders/{shop['pending'].pk}/cancel/"),
        ("mass-order", "/orders/mass/"),
        ("refills", "/refills/"),
        ("dripfeed", "/dripfeed/"),
        ("subscriptions", "/subscriptions/"),
        ("news", "/news/"),
        ("page", "/pages/faq/"),
        ("funds", "/funds/"),
        ("transactions", "/funds/history/"),
        ("funds-quote", "/funds/quote/?gateway=manual&amount=25"),
        ("payments", "/funds/payments/"),
        ("receipt", f"/funds/payments/{shop['deposit'].reference}/"),
        ("tickets", "/tickets/"),
        ("ticket-new", f"/tickets/new/?order={order.pk}"),
        ("ticket-thread", f"/tickets/{ticket.pk}/"),
        ("settings", "/settings/"),
        ("api-keys", "/api-keys/"),
        ("services", "/services/"),
        ("updates", "/updates/"),
        ("api-docs", "/api-docs/"),
        ("aup", "/policy/acceptable-use/"),
        ("terms", "/policy/terms/"),
    ]


def public_pages() -> list[tuple[str, str]]:
    return [
        ("public-home", "/"),
        ("public-services", "/services/"),
        ("login", "/login/"),
        ("signup", "/signup/"),
    ]


def staff_pages(shop) -> list[tuple[str, str]]:
    customer, service = shop["customer"], shop["service"]
    pages = [
        ("staff-moderation", "/staff/"),
        ("staff-rules", "/staff/rules/"),
        ("staff-deny-lists", "/staff/deny/"),
        ("staff-audit", "/staff/audit/"),
        ("staff-tickets", "/staff/tickets/"),
        ("staff-ticket", f"/staff/tickets/{shop['ticket'].pk}/"),
        ("staff-canned-replies", "/staff/tickets/canned/"),
        ("staff-deposits", "/staff/funds/deposits/"),
        ("staff-chargeback", f"/staff/funds/users/{customer.pk}/chargeback/"),
        ("staff-users", "/staff/users/"),
        ("staff-user", f"/staff/users/{customer.pk}/"),
        ("staff-view-as", f"/staff/view-as/{customer.pk}/"),
        ("staff-orders", "/staff/orders/"),
        ("staff-order", f"/staff/orders/{shop['order'].pk}/"),
        ("staff-services", "/staff/catalog/services/"),
        ("staff-service-new", "/staff/catalog/services/new/"),
        ("staff-service-edit", f"/staff/catalog/services/{service.pk}/"),
        ("staff-service-routes", f"/staff/catalog/services/{service.pk}/routes/"),
        ("staff-categories", "/staff/catalog/categories/"),
        ("staff-category-edit", f"/staff/catalog/categories/{shop['category'].pk}/"),
        ("staff-providers", "/staff/providers/"),
        ("staff-provider-new", "/staff/providers/new/"),
        ("staff-settings", "/staff/settings/"),
        ("staff-payment-settings", "/staff/settings/payments/"),
        ("staff-payment-gateway", "/staff/settings/payments/stripe/"),
        ("staff-currencies", "/staff/currencies/"),
        ("staff-announcements", "/staff/content/news/"),
        ("staff-announcement", f"/staff/content/news/{shop['announcement'].pk}/"),
        ("staff-pages", "/staff/content/pages/"),
        ("staff-page", f"/staff/content/pages/{shop['page'].pk}/"),
        ("staff-provider-edit", f"/staff/providers/{shop['provider'].pk}/"),
        ("staff-provider-import", f"/staff/providers/{shop['provider'].pk}/import/"),
        ("staff-reports", "/staff/reports/"),
    ]
    pages += [
        (f"staff-report-{slug}", f"/staff/reports/{slug}/")
        for slug in ("profit", "statuses", "services", "users", "refunds", "providers")
    ]
    if shop["rule"] is not None:
        pages.append(("staff-rule-edit", f"/staff/rules/{shop['rule'].code}/"))
    return pages


def walk(page, language: str, pages: list[tuple[str, str]]) -> dict[str, list[str]]:
    """Open each page once and lay it out at every width; what scrolls sideways (and a
    header on two lines at desktop widths), by page and width."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: dict[str, list[str]] = {}
    for name, path in pages:
        response = page.goto(path)
        assert response is not None and response.status == 200, (name, path, response)
        expect(page.locator("html")).to_have_attribute("lang", language)
        for width, height in WIDTHS.items():
            page.set_viewport_size({"width": width, "height": height})
            found = page.evaluate(SIDEWAYS)
            if width >= DESKTOP and (header := page.evaluate(HEADER_ON_ONE_LINE)):
                found.append(header)
            if found:
                problems[f"{language} {name} @{width}"] = found
            page.screenshot(path=str(SHOTS / f"{language}-{name}-{width}.png"), full_page=True)
    return problems


def signed_in(page, user, language: str) -> None:
    """Sign in through the form (by field ids: allauth's labels are in the page's
    language), with ``language`` as the account's own."""
    User.objects.filter(pk=user.pk).update(language=language)
    page.goto("/login/")
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form[action$='/login/'] button[type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_customer_or_public_page_scrolls_sideways(page_in, full_shop, language):
    page = page_in(LANGUAGES[language])
    problems = walk(page, language, public_pages())
    page.set_viewport_size({"width": DESKTOP, "height": WIDTHS[DESKTOP]})
    signed_in(page, full_shop["customer"], language)
    problems |= walk(page, language, customer_pages(full_shop))
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_staff_page_scrolls_sideways(page_in, full_shop, language):
    page = page_in(LANGUAGES[language])
    signed_in(page, full_shop["staff"], language)
    problems = walk(page, language, staff_pages(full_shop))
    assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())


def test_the_menu_button_folds_the_header_on_a_phone(page, full_shop):
    """On a phone the header's links fold behind a Menu button that the keyboard reaches
    and that says whether they are shown; Escape folds them again. At desktop widths the
    links show without it. Open or folded, axe finds nothing serious."""
    page.set_viewport_size({"width": 390, "height": 844})
    signed_in(page, full_shop["customer"], "en")
    page.goto("/orders/")
    menu = page.get_by_role("button", name="Menu")
    orders_link = page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Orders", exact=True
    )
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(orders_link).to_be_hidden()
    assert serious_accessibility_violations(page) == []

    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(orders_link).to_be_visible()
    expect(page.get_by_role("link", name=full_shop["customer"].email)).to_be_visible()
    assert serious_accessibility_violations(page) == []
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(orders_link).to_be_hidden()
    expect(menu).to_be_focused()

    menu.click()
    orders_link.click()
    page.wait_for_url(re.compile(r"/orders/$"))
    page.set_viewport_size({"width": 1366, "height": 768})
    expect(menu).to_be_hidden()
    expect(orders_link).to_be_visible()
