"""Numbers and money on customer pages are written the reader's way (issue 16, item 15):
grouped thousands, a balance to the cent, a rate or a sub-cent charge with the digits it
needs; English ``10,000,000`` and ``49.20``, Ukrainian ``10 000 000`` and ``49,20`` (with
a no-break space). Inputs and the API keep plain numbers."""

import html
import re

import pytest
from django.conf import settings

from smmpanel.money import to_micros
from tests.factories import make_order, make_service, make_user

NBSP = "\xa0"


def page(client, path: str, language: str) -> str:
    """The text of ``path`` in ``language`` (markup kept, entities decoded)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(path)
    assert response.status_code == 200, path
    return html.unescape(response.content.decode())


@pytest.fixture
def customer(db):
    return make_user("12345.19545")


def test_a_balance_reads_to_the_cent_with_grouped_thousands_in_english(client, customer):
    client.force_login(customer)
    text = page(client, "/funds/", "en")
    assert "12,345.20 USD" in text and "12345.19545" not in text


def test_a_balance_reads_with_a_decimal_comma_and_spaced_thousands_in_ukrainian(client, customer):
    client.force_login(customer)
    assert f"12{NBSP}345,20 USD" in page(client, "/funds/", "uk")


def test_a_big_maximum_quantity_is_grouped_in_the_price_list(client, db):
    make_service(name="Telegram Views Big", max_quantity=10_000_000)
    assert " – 10,000,000<" in page(client, "/services/", "en")
    assert f" – 10{NBSP}000{NBSP}000<" in page(client, "/services/", "uk")


def test_a_rate_keeps_its_sub_cent_digits(client, db):
    make_service(name="Telegram Views Cheap", rate_micros=to_micros("0.045"))
    assert "0.045 USD" in page(client, "/services/", "en")
    assert "0,045 USD" in page(client, "/services/", "uk")


def test_a_charge_below_one_cent_keeps_its_digits(client, customer):
    cheap = make_service(rate_micros=to_micros("0.045"))
    order = make_order(customer, cheap, quantity=100)  # 0.0045
    client.force_login(customer)
    text = page(client, f"/orders/{order.pk}/", "en")
    assert "0.0045 USD" in text


def test_a_charge_above_a_cent_reads_to_the_cent(client, customer):
    order = make_order(customer, make_service(rate_micros=to_micros("2.7819")), quantity=100)
    client.force_login(customer)
    assert "0.28 USD" in page(client, f"/orders/{order.pk}/", "en")


def test_an_order_quantity_is_grouped_in_the_orders_list(client, customer):
    make_order(customer, make_service(max_quantity=1_000_000), quantity=12_500)
    client.force_login(customer)
    assert ">12,500<" in page(client, "/orders/", "en")
    assert f">12{NBSP}500<" in page(client, "/orders/", "uk")


def test_the_order_form_keeps_a_typed_quantity_plain_in_ukrainian(client, customer):
    service = make_service(max_quantity=1_000_000)
    client.force_login(customer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "uk"
    response = client.post(
        "/orders/new/", {"service": service.pk, "link": "not a link", "quantity": "12500"}
    )
    value = re.search(r'name="quantity"[^>]*value="([^"]*)"', response.content.decode())
    assert value and value.group(1) == "12500"
