"""Favourites and "Order again" in a real browser, in English and Ukrainian: a customer
stars a service on the services list, finds it with New order's favourites filter,
orders it, and orders the same again from the order's page."""

import re

import pytest
from playwright.sync_api import expect

from smmpanel.orders.models import FavouriteService, Order
from smmpanel.orders.services import complete_order
from tests.browser.conftest import screenshot, serious_accessibility_violations
from tests.browser.journey import words_in
from tests.browser.test_page_widths import LANGUAGES, signed_in
from tests.factories import make_service, make_user

LINK = "https://www.instagram.com/p/HabitPost1/"
HTMX_IDLE = (
    "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_customer_stars_a_service_and_orders_it_again(page_in, transactional_db, language):
    tr = words_in(LANGUAGES[language])
    liked = make_service(name="Instagram Likes Favourite")
    make_service(name="Instagram Likes Other")
    customer = make_user("20")
    page = page_in(LANGUAGES[language])
    signed_in(page, customer, language)

    page.goto("/services/")
    star = page.get_by_role("button", name=tr("Favourite service %(id)s") % {"id": liked.pk})
    expect(star).to_have_attribute("aria-pressed", "false")
    star.click()
    expect(star).to_have_attribute("aria-pressed", "true")  # swapped in by htmx, no reload
    assert FavouriteService.objects.filter(user=customer, service=liked).exists()
    page.get_by_label(tr("My favourites")).check()
    page.get_by_role("button", name=tr("Show"), exact=True).click()
    expect(page.locator("table.services tbody tr")).to_have_count(2)  # group + the favourite
    assert serious_accessibility_violations(page) == []

    page.goto("/orders/new/")
    page.get_by_label(tr("My favourites only")).check()
    expect(page.locator("#pick-service option")).to_have_count(2)  # the prompt + the favourite
    # htmx wires the swapped-in picker when it settles: choose only once it has.
    page.wait_for_function(HTMX_IDLE)
    page.locator("#pick-service").select_option(str(liked.pk))
    page.locator("#id_link").fill(LINK)
    page.locator("#id_quantity").fill("300")
    page.get_by_role("button", name=tr("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    first = Order.objects.get(user=customer)
    complete_order(first)  # the link is free for another order

    page.reload()
    again = page.get_by_role("link", name=tr("Order again: order %(id)s") % {"id": first.pk})
    again.click()
    expect(page.locator("#id_link")).to_have_value(LINK)
    expect(page.locator("#id_quantity")).to_have_value("300")
    screenshot(page, f"order-again-{language}")
    page.get_by_role("button", name=tr("Place order")).click()
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    second = Order.objects.filter(user=customer).exclude(pk=first.pk).get()
    assert (second.service_id, second.link, second.quantity) == (liked.pk, LINK, 300)
