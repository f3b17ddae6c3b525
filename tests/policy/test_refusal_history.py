"""An order's link state and its customer's recent invalid orders are read together, in
one statement, and come out as each would read alone."""

import pytest

from smmpanel.compiled_sql import scalars
from smmpanel.orders.links import canonicalise
from smmpanel.policy import engine, rulebook
from smmpanel.policy.link_checkers import RECORDED_STATE, known_targets
from smmpanel.policy.models import KnownTarget
from smmpanel.policy.refusal_history import OrderHistory, count_invalid_orders
from tests.factories import make_user, post_link
from tests.policy.conftest import refuse_over_api, tune

pytestmark = pytest.mark.django_db


def private_link():
    link = canonicalise(post_link())
    KnownTarget.objects.create(canonical_link=link.url, link_key=link.key, state="private")
    return link


def test_both_facts_come_from_one_statement(customer, django_assert_num_queries):
    refuse_over_api(customer, 3)
    engine.rules_for(rulebook.ORDER_PLACE)  # seeded, as evaluating an order's rules does
    history = OrderHistory(customer, private_link())

    with django_assert_num_queries(1):
        assert history.recorded_state() == "private"
        assert history.invalid_orders(10) == 3


def test_each_fact_equals_what_its_own_read_gives(customer):
    refuse_over_api(customer, 2)
    refuse_over_api(make_user(), 4)  # someone else's refusals do not count
    link = private_link()

    history = OrderHistory(customer, link)

    assert history.recorded_state() == known_targets(link, service=None) == "private"
    assert history.invalid_orders(10) == count_invalid_orders(customer, 10) == 2


def test_an_unknown_link_and_no_refusals_read_as_none_and_zero(customer):
    history = OrderHistory(customer, canonicalise(post_link()))

    assert (history.recorded_state(), history.invalid_orders(10)) == (None, 0)


def test_another_window_than_the_rules_is_counted_apart(customer, django_assert_num_queries):
    refuse_over_api(customer, 2)
    history = OrderHistory(customer, canonicalise(post_link()))
    history.recorded_state()

    with django_assert_num_queries(1):
        assert history.invalid_orders(60) == 2


def test_the_rules_own_window_is_the_one_read_with_the_link(customer, staff):
    tune("abuse.invalid_orders", staff, thresholds={"window_minutes": 30, "reject_at": 10})
    refuse_over_api(customer, 1)
    history = OrderHistory(customer, canonicalise(post_link()))
    history.recorded_state()

    assert history._read == (None, 4)  # quarters: one refusal over the API


def test_with_the_invalid_orders_rule_off_the_link_is_still_read(customer, staff):
    tune("abuse.invalid_orders", staff, enabled=False)
    refuse_over_api(customer, 1)

    history = OrderHistory(customer, private_link())

    assert history.recorded_state() == "private"
    assert history.invalid_orders(10) == 1  # read apart, if some rule still asks


def test_scalars_reads_the_first_column_of_each_query_and_none_without_a_row():
    link = private_link()
    unknown = canonicalise(post_link())

    read = scalars((RECORDED_STATE, {"key": link.key}), (RECORDED_STATE, {"key": unknown.key}))

    assert read == ("private", None)
