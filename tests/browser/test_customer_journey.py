"""The customer's whole path in a real browser, in English and in Ukrainian:

sign up → request a deposit → staff confirms it (a second browser context) → place an
order with the live price → watch it complete against the provider simulator through
a real worker process, the orders table updating without a reload → request a refill →
open a ticket about the order → staff answers → the customer reads the answer.
"""

import re

import pytest
from playwright.sync_api import expect

from smmpanel.accounts.models import User
from smmpanel.billing.selectors import balance_of
from smmpanel.money import to_micros
from smmpanel.orders.models import Order, OrderStatus, Refill
from smmpanel.support.models import Ticket, TicketStatus
from tests.browser.conftest import screenshot
from tests.browser.journey import (
    PASSWORD,
    UK_CATALOG,
    choose_service,
    enable_totp,
    fulfilment,
    log_in_with_totp,
    money_in,
    route_to_simulator,
    sign_up,
    words_in,
)
from tests.factories import make_service, make_user

# The first status poll comes 5 s after forwarding and the orders page polls every 5 s;
# a minute leaves room for a loaded machine without letting a stuck run hang.
COMPLETION_TIMEOUT_MS = 60_000


@pytest.fixture
def stack(transactional_db, tmp_path):
    with fulfilment(tmp_path / "worker.log") as running:
        yield running


@pytest.mark.parametrize("locale", ["en-US", "uk-UA"])
def test_sign_up_fund_order_complete_refill_and_get_help(
    page_in, stack, staff_2fa_enforced, locale
):
    tr, shown = words_in(locale), money_in(locale)
    slug = locale[:2]
    service = make_service(name=f"Instagram Likes Journey {slug}", refill=True, refill_days=30)
    route_to_simulator(stack.simulator_url)
    staff = make_user(role=User.Role.STAFF)
    staff_secret = enable_totp(staff)  # staff pages require two-factor sign-in
    customer_page = page_in(locale)
    staff_page = page_in("en-US")
    email = f"journey-{slug}@example.com"

    # Sign up; the account keeps the language it signed up in.
    sign_up(customer_page, email)
    customer = User.objects.get(email=email)
    assert customer.language == ("uk" if slug == "uk" else "en")
    expect(customer_page.locator("html")).to_have_attribute("lang", "uk" if slug == "uk" else "en")

    # Ask for a deposit with the manual method (the only one, so already chosen).
    customer_page.goto("/funds/")
    expect(customer_page.get_by_role("radio")).to_be_checked()
    customer_page.get_by_label(tr("Amount")).fill("25")
    customer_page.get_by_role("button", name=tr("Continue")).click()
    # The price before paying: what the balance receives.
    expect(customer_page.locator("#receive-total")).to_contain_text(shown(to_micros("25")))
    customer_page.get_by_role("button", name=tr("Request deposit")).click()
    requests = customer_page.locator("section[aria-labelledby=requests-h] tbody tr")
    expect(requests).to_have_count(1)
    reference = requests.locator("code").inner_text()
    expect(requests).to_contain_text(tr("Pending"))
    if slug == "en":
        screenshot(customer_page, "journey-funds-requested")

    # Staff (signed in with password and TOTP code) confirms it from the deposits queue.
    log_in_with_totp(staff_page, staff.email, staff_secret)
    staff_page.goto("/staff/funds/deposits/")
    row = staff_page.get_by_role("row").filter(has_text=reference)
    row.get_by_role("button", name="Confirm and credit").click()
    expect(staff_page.locator(".messages")).to_contain_text(f"Deposit {reference} confirmed")
    assert balance_of(customer) == to_micros("25")

    customer_page.reload()
    expect(customer_page.locator("main")).to_contain_text(shown(to_micros("25")))
    expect(requests).to_contain_text(tr("Paid"))

    # New order: pick the service, type, watch the live price, place it.
    customer_page.goto("/orders/new/")
    choose_service(customer_page, tr, service)
    expect(customer_page.locator("#service-h")).to_contain_text(service.name)
    customer_page.get_by_label(tr("Link"), exact=True).fill(
        f"https://www.instagram.com/p/Journey{slug.upper()}1/"
    )
    customer_page.get_by_label(tr("Quantity"), exact=True).fill("200")
    charge_micros = service.rate_micros * 200 // 1000
    expect(customer_page.locator("#quote")).to_contain_text(
        f"{tr('Charge')}: {shown(charge_micros)}"
    )
    if slug == "en":
        screenshot(customer_page, "journey-new-order-quote")
    customer_page.get_by_role("button", name=tr("Place order")).click()
    customer_page.wait_for_url(re.compile(r"/orders/\d+/$"))
    order = Order.objects.get(user=customer)
    assert customer_page.url.endswith(f"/orders/{order.pk}/")
    expect(customer_page.locator(".messages")).to_contain_text(str(order.pk))
    assert order.charge_micros == charge_micros

    # The orders table: the status moves to Completed by htmx polling, no reload.
    customer_page.goto("/orders/")
    customer_page.evaluate("window.__sameDocument = true")
    order_row = customer_page.locator(f"#order-{order.pk}")
    try:
        expect(order_row).to_contain_text(
            tr(OrderStatus.COMPLETED.label), timeout=COMPLETION_TIMEOUT_MS
        )
    except AssertionError as failure:
        order.refresh_from_db()
        raise AssertionError(
            f"order {order.pk} is {order.status}; worker log:\n{stack.log_tail()}"
        ) from failure
    assert customer_page.evaluate("window.__sameDocument") is True, "the page was reloaded"
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED and order.remains == 0
    if slug == "en":
        screenshot(customer_page, "journey-orders-completed")

    # A refill from the order's page.
    customer_page.get_by_role("link", name=str(order.pk), exact=True).click()
    refill_name = tr("Refill order %(id)s") % {"id": order.pk}
    customer_page.get_by_role("button", name=refill_name).click()
    refill = Refill.objects.get(order=order)
    expect(customer_page.locator(".messages")).to_contain_text(str(refill.pk))
    customer_page.goto("/refills/")
    refill_row = customer_page.get_by_role("row").filter(
        has=customer_page.get_by_role("link", name=str(order.pk), exact=True)
    )
    expect(refill_row).to_have_count(1)
    expect(refill_row).to_contain_text(str(refill.pk))

    # A ticket about the order, from the order's page (the order comes preselected).
    customer_page.goto(f"/orders/{order.pk}/")
    customer_page.get_by_role("link", name=tr("Ask support about this order")).click()
    expect(customer_page.locator(f"input[name=orders][value='{order.pk}']")).to_be_checked()
    question = "Did the likes arrive? <b>not bold</b>"
    customer_page.get_by_label(tr("Message")).fill(question)
    customer_page.get_by_role("button", name=tr("Open ticket")).click()
    customer_page.wait_for_url(re.compile(r"/tickets/\d+/$"))
    ticket = Ticket.objects.get(user=customer)
    assert list(ticket.orders.values_list("pk", flat=True)) == [order.pk]
    expect(customer_page.locator("#thread")).to_contain_text(question)  # shown as text

    # Staff answers from the inbox.
    staff_page.goto("/staff/tickets/")
    staff_page.get_by_role("link", name=str(ticket.pk), exact=True).click()
    expect(staff_page.locator("main")).to_contain_text(f"Order #{order.pk}")
    answer = f"Yes: order {order.pk} completed, and refill {refill.pk} is on its way."
    staff_page.get_by_label("Your reply").fill(answer)
    staff_page.get_by_role("button", name="Send reply").click()
    expect(staff_page.locator(".messages")).to_contain_text("Reply sent.")

    # The customer sees the answer.
    customer_page.reload()
    expect(customer_page.locator("#thread article").last).to_contain_text(answer)
    expect(customer_page.locator("#thread article").last).to_contain_text(tr("Support"))
    expect(customer_page.locator("main .status").first).to_have_text(
        tr(TicketStatus.ANSWERED.label)
    )
    if slug == "en":
        screenshot(customer_page, "journey-ticket-answered")
    else:
        screenshot(customer_page, "journey-ticket-answered-uk")
    if slug == "uk" and UK_CATALOG.exists():
        # With the project's catalog compiled, the customer's pages are in Ukrainian.
        assert tr("Send reply") != "Send reply"
        expect(customer_page.get_by_role("button", name=tr("Send reply"))).to_be_visible()


@pytest.mark.skipif(
    not UK_CATALOG.exists(),
    reason=f"Ukrainian translations are not compiled yet ({UK_CATALOG} is missing)",
)
def test_the_customer_pages_are_in_ukrainian_for_a_browser_that_prefers_it(
    page_in, transactional_db
):
    tr = words_in("uk-UA")
    make_service()
    user = make_user("10")
    User.objects.filter(pk=user.pk).update(language="uk")  # a saved language wins
    page = page_in("uk-UA")
    page.goto("/login/")
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/login/" not in url)
    for path, heading in [
        ("/orders/new/", "New order"),
        ("/orders/mass/", "Mass order"),
        ("/orders/", "Orders"),
        ("/refills/", "Refills"),
        ("/funds/", "Add funds"),
        ("/tickets/", "Support tickets"),
    ]:
        page.goto(path)
        assert tr(heading) != heading, f"{heading!r} has no Ukrainian translation"
        expect(page.get_by_role("heading", level=1)).to_have_text(tr(heading))
