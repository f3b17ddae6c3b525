"""Sensitive terms are found however the text spells them: case, zero-width characters,
fullwidth forms and Cyrillic or Greek look-alike letters (compared as TR39 skeletons)."""

import pytest

from smmpanel.orders.models import OrderStatus
from smmpanel.orders.services import place_order
from smmpanel.policy.models import DenyEntry
from smmpanel.policy.services import add_deny_entry
from smmpanel.unicode_text import skeleton
from tests.factories import make_service, post_link


@pytest.fixture
def comments(db, staff):
    add_deny_entry(DenyEntry.Kind.TERM, "badterm", actor=staff, reason="abuse")
    return make_service(
        name="Instagram Custom Comments", type="custom comments", min_quantity=1, max_quantity=9
    )


@pytest.mark.parametrize(
    "text",
    [
        "buy bad\u200bterm now",  # zero-width space
        "buy bad\u2060te\u00adrm now",  # word joiner, soft hyphen
        "buy b\u0430dterm now",  # Cyrillic а
        "buy B\u0410D\u0422\u0415R\u041c now",  # Cyrillic А, Т, Е, М in capitals
        "buy b\u03b1dterm now",  # Greek α
        "buy ＢＡＤＴＥＲＭ now",  # fullwidth
        "buy bad\u202eterm now",  # right-to-left override
    ],
)
def test_a_disguised_sensitive_term_is_held_for_review(customer, comments, text):
    held = place_order(customer, comments, {"link": post_link(), "comments": text})

    assert held.status == OrderStatus.REVIEW


def test_text_without_the_term_is_not_held(customer, comments):
    placed = place_order(
        customer, comments, {"link": post_link(), "comments": "bad terms\nгарний допис"}
    )

    assert placed.status == OrderStatus.PENDING


def test_a_cyrillic_term_is_found_in_any_case():
    assert skeleton("Шахрайство") in skeleton("це ШАХРАЙСТВО")
