"""Deny-list entries hold whatever way a link is spelled: links and entries are compared
in the one canonical form the one-active-order rule uses (catalog.links.canonicalise),
so percent-escapes and dot segments do not dodge them."""

import pytest

from smmpanel.orders.models import OrderStatus
from smmpanel.orders.services import OrderRefused, place_order
from smmpanel.policy.models import DenyEntry
from smmpanel.policy.services import add_deny_entry
from tests.factories import make_service


@pytest.fixture
def web(db):
    return make_service(platform="Web", name="Website Traffic", link_format="website")


def refusal(customer, service, link) -> OrderRefused:
    with pytest.raises(OrderRefused) as caught:
        place_order(customer, service, {"link": link, "quantity": 100})
    return caught.value


@pytest.mark.parametrize(
    "link",
    [
        "https://example.org/banned/%70age",
        "https://example.org/%62anned/page",
        "https://example.org/%62%61%6E%6E%65%64/page",
        "https://example.org/banned/./page",
        "https://example.org/x/../banned/page",
        "https://example.org/x/%2E%2E/banned/page",
        "https://EXAMPLE.org/banned/page",
    ],
)
def test_an_escaped_or_dotted_spelling_of_a_denied_address_is_refused(customer, staff, web, link):
    add_deny_entry(
        DenyEntry.Kind.URL, "https://example.org/banned/page", actor=staff, reason="abuse"
    )

    assert refusal(customer, web, link).rule == "target.blocked"


def test_an_escaped_keyword_is_refused(customer, staff, web):
    add_deny_entry(DenyEntry.Kind.KEYWORD, "forbiddenword", actor=staff, reason="abuse")

    assert refusal(customer, web, "https://example.org/forbidden%77ord").rule == "target.blocked"


def test_a_denied_address_written_with_escapes_blocks_its_plain_spelling(customer, staff, web):
    add_deny_entry(
        DenyEntry.Kind.URL, "https://example.org/%62anned/./page", actor=staff, reason="abuse"
    )

    assert refusal(customer, web, "https://example.org/banned/page").rule == "target.blocked"


def test_the_path_of_a_denied_address_keeps_its_case(customer, staff, web):
    """Paths are case-sensitive in the canonical form (post ids are): another case is
    another target."""
    add_deny_entry(
        DenyEntry.Kind.URL, "https://example.org/banned/page", actor=staff, reason="abuse"
    )

    placed = place_order(
        customer, web, {"link": "https://example.org/Banned/Page", "quantity": 100}
    )

    assert placed.status == OrderStatus.PENDING
