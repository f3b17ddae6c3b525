"""The new-order form in a real browser while htmx swaps it in: what the customer types
is never dropped and the live price is always asked for, however fast they type or
however slowly the page settles."""

from playwright.sync_api import expect

from smmpanel.money import format_amount, to_micros
from tests.browser.conftest import log_in
from tests.browser.journey import PASSWORD, choose_service, words_in
from tests.factories import make_service, make_user, post_link

tr = words_in("en-US")


def _charge(service, quantity: int) -> str:
    return f"Charge: {format_amount(service.rate_micros * quantity // 1000)}"


def _signed_in_on_new_order(page) -> None:
    customer = make_user("10")
    log_in(page, customer.email, PASSWORD)
    page.goto("/orders/new/")


def test_what_is_typed_before_the_new_form_settles_is_priced(page, transactional_db):
    service = make_service()
    _signed_in_on_new_order(page)
    # A slow settle (a loaded machine, a slow phone) widens the moment between the form
    # appearing and htmx wiring its live price; typing in that moment used to price nothing.
    page.evaluate("htmx.config.defaultSettleDelay = 1500")
    choose_service(page, tr, service)
    page.get_by_label("Link", exact=True).fill(post_link())
    page.get_by_label("Quantity", exact=True).fill("200")

    expect(page.locator("#quote")).to_contain_text(_charge(service, 200))


def test_choosing_another_service_keeps_what_was_typed_and_prices_it_again(page, transactional_db):
    first = make_service(rate_micros=to_micros("0.90"))
    second = make_service(rate_micros=to_micros("2.00"))
    link = post_link()
    _signed_in_on_new_order(page)
    choose_service(page, tr, first)
    page.get_by_label("Link", exact=True).fill(link)
    page.get_by_label("Quantity", exact=True).fill("300")
    expect(page.locator("#quote")).to_contain_text(_charge(first, 300))

    choose_service(page, tr, second)

    expect(page.locator("#order-form input[name=service]")).to_have_value(str(second.pk))
    expect(page.get_by_label("Link", exact=True)).to_have_value(link)
    expect(page.get_by_label("Quantity", exact=True)).to_have_value("300")
    expect(page.locator("#quote")).to_contain_text(_charge(second, 300))
