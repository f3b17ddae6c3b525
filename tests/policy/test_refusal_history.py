"""An order's link state and its customer's recent invalid orders are read together, in
one statement, and come out as each would read alone."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from smmpanel.orders.links import canonicalise
from smmpanel.policy import engine, refusal_history, rulebook
from smmpanel.policy.link_checkers import known_targets
from smmpanel.policy.models import Decision, KnownTarget, Outcome
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


def decision_at(monkeypatch, when: datetime, user, **fields) -> Decision:
    """A refusal recorded at ``when`` (``created_at`` is ``auto_now_add``)."""
    values = {"point": rulebook.ORDER_PLACE, "rule_code": "link.private", "outcome": "reject"}
    with monkeypatch.context() as clock:
        clock.setattr(timezone, "now", lambda: when)
        return Decision.objects.create(user=user, **(values | fields))


def test_the_gates_count_enforced_refusals_in_the_window_only(monkeypatch, customer):
    now = timezone.now()
    decision_at(monkeypatch, now - timedelta(hours=3), customer)  # before the window
    decision_at(monkeypatch, now - timedelta(minutes=5), customer)
    decision_at(monkeypatch, now - timedelta(minutes=4), customer, outcome=Outcome.LIMIT)
    decision_at(monkeypatch, now - timedelta(minutes=3), customer, enforced=False)  # shadow
    decision_at(monkeypatch, now - timedelta(minutes=2), customer, outcome=Outcome.REVIEW)
    decision_at(monkeypatch, now - timedelta(minutes=1), customer, rule_code="balance.review")
    decision_at(monkeypatch, now - timedelta(minutes=1), customer, point=rulebook.ORDER_REFILL)
    decision_at(monkeypatch, now - timedelta(minutes=1), make_user())  # someone else

    assert refusal_history.count_refusals(customer, rulebook.ORDER_PLACE, minutes=60) == 2
    assert refusal_history.count_refusals(customer, rulebook.ORDER_REFILL, minutes=60) == 1
    assert refusal_history.count_refusals(make_user(), rulebook.ORDER_PLACE, minutes=60) == 0
