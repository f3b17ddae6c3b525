"""API v2: every numeric parameter takes ASCII digits only, as clients send them. Other
scripts' digits (Arabic-Indic ``٣``, fullwidth ``３``) that ``int()`` would read are
refused alike for service, quantity, order and refill ids, and nothing changes."""

import json

import pytest
from django.test import Client

from smmpanel.orders.models import Order, OrderStatus, Refill
from smmpanel.orders.services import complete_order
from tests.factories import make_key, make_order, make_service, make_user, post_link

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def call(key: str, action: str, **params) -> object:
    response = Client().post("/api/v2", data={"key": key, "action": action, **params})
    assert response.status_code == 200
    return json.loads(response.content)


@pytest.fixture
def customer_key(db):
    user = make_user("100")
    return user, make_key(user)


@pytest.mark.parametrize("digits", [ARABIC_INDIC, FULLWIDTH], ids=["arabic-indic", "fullwidth"])
def test_a_service_id_in_other_digits_is_refused(customer_key, digits):
    user, key = customer_key
    service = make_service()

    answer = call(
        key, "add", service=str(service.pk).translate(digits), link=post_link(), quantity=100
    )

    assert answer == {"error": "Incorrect service ID"}
    assert not Order.objects.filter(user=user).exists()


def test_a_cancel_id_in_other_digits_is_refused(customer_key):
    user, key = customer_key
    order = make_order(user, make_service())

    answer = call(key, "cancel", orders=str(order.pk).translate(ARABIC_INDIC))

    assert answer[0]["cancel"] == {"error": "Incorrect order ID"}
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING and not order.cancel_requested_at


def test_a_refill_id_in_other_digits_is_refused(customer_key):
    user, key = customer_key
    order = complete_order(make_order(user, make_service()))

    answer = call(key, "refill", order=str(order.pk).translate(ARABIC_INDIC))

    assert answer == {"error": "Incorrect order ID"}
    assert not Refill.objects.filter(order=order).exists()


def test_a_quantity_in_other_digits_is_refused(customer_key):
    user, key = customer_key
    service = make_service()

    answer = call(key, "add", service=service.pk, link=post_link(), quantity="١٠٠")

    assert "error" in answer
    assert not Order.objects.filter(user=user).exists()


def test_a_status_id_in_other_digits_is_refused(customer_key):
    user, key = customer_key
    order = make_order(user, make_service())

    answer = call(key, "status", order=str(order.pk).translate(ARABIC_INDIC))

    assert answer == {"error": "Incorrect order ID"}


def test_ascii_ids_still_work(customer_key):
    user, key = customer_key
    service = make_service()

    placed = call(key, "add", service=f" {service.pk} ", link=post_link(), quantity=" 100 ")

    assert call(key, "status", order=str(placed["order"]))["status"] == "Pending"
