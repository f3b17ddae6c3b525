"""Rule rows and the deny list are read from the database at most once per
POLICY_CACHE_SECONDS per process: a change made in this process applies at once, one
made by another process within that time."""

import threading

import pytest

from smmpanel.policy import engine, rule_cache, rulebook
from smmpanel.policy.decision_points import deny_match, sensitive_terms
from smmpanel.policy.models import DenyEntry, Rule
from smmpanel.policy.services import add_deny_entry, remove_deny_entry
from tests.policy.conftest import rule_row, tune

pytestmark = pytest.mark.django_db
WAIT = 10  # seconds a test thread may wait for the other: bounded, never reached


def later(monkeypatch, seconds: float) -> None:
    """Move the cache's clock on, as if ``seconds`` had passed."""
    now = rule_cache._clock()
    monkeypatch.setattr(rule_cache, "_clock", lambda: now + seconds)


def test_rules_are_read_once_and_then_served_from_memory(django_assert_num_queries):
    engine.rules_for(rulebook.API_REQUEST)
    engine.rules_for(rulebook.ORDER_PLACE)  # seeds its rows, then reads them again
    rule_cache.forget()
    engine.rules_for(rulebook.API_REQUEST)

    with django_assert_num_queries(0):
        engine.rules_for(rulebook.API_REQUEST)
        engine.rules_for(rulebook.ORDER_PLACE)
        engine.rule_enabled("account.login_blocked")


def test_a_rule_change_applies_at_once_in_the_process_that_made_it(staff):
    engine.rules_for(rulebook.API_REQUEST)

    tune("api.key_ip_spread", staff, enabled=False)

    codes = [spec.code for spec, _ in engine.rules_for(rulebook.API_REQUEST)]
    assert "api.key_ip_spread" not in codes


def test_a_change_made_by_another_process_applies_within_the_cache_time(monkeypatch):
    rule_row("api.key_ip_spread")
    engine.rules_for(rulebook.API_REQUEST)
    # Another process's change: a plain UPDATE, no signal reaches this process.
    Rule.objects.filter(code="api.key_ip_spread").update(enabled=False)

    still = [spec.code for spec, _ in engine.rules_for(rulebook.API_REQUEST)]
    later(monkeypatch, rule_cache._SECONDS + 0.1)
    after = [spec.code for spec, _ in engine.rules_for(rulebook.API_REQUEST)]

    assert "api.key_ip_spread" in still
    assert "api.key_ip_spread" not in after


def test_a_rule_never_seeded_is_seeded_on_first_use():
    assert not Rule.objects.exists()

    rules = engine.rules_for(rulebook.ORDER_PLACE)

    expected = {spec.code for spec in rulebook.RULES if rulebook.ORDER_PLACE in spec.points}
    assert set(Rule.objects.values_list("code", flat=True)) == expected
    assert {spec.code for spec, _ in rules} <= expected


def test_a_deny_entry_applies_at_once_and_its_removal_too(staff):
    assert deny_match("https://evil.example/x", "evil.example") is None  # now cached

    entry = add_deny_entry(DenyEntry.Kind.DOMAIN, "evil.example", actor=staff, reason="phishing")
    blocked = deny_match("https://evil.example/x", "evil.example")
    remove_deny_entry(entry, actor=staff, reason="cleaned up")

    assert blocked == "blocked domain evil.example"
    assert deny_match("https://evil.example/x", "evil.example") is None


@pytest.mark.django_db(transaction=True)  # changes committed, as a staff save is
def test_sensitive_terms_come_from_the_same_cached_list(staff, django_assert_num_queries):
    add_deny_entry(DenyEntry.Kind.TERM, "scam", actor=staff, reason="abuse")
    sensitive_terms({"comments": "nice"})

    with django_assert_num_queries(0):
        found = sensitive_terms({"comments": "total SCAM here"})

    assert found == ["scam"]


def test_a_read_begun_before_the_first_seeding_does_not_leave_rules_missing(monkeypatch):
    # Another thread read the empty rule table before this one seeded the rules, and
    # finishes after this one dropped the old copy but before it reads the rules back:
    # its empty copy must not be what this thread then reads (a KeyError on a fresh
    # database, from concurrent first orders).
    assert not Rule.objects.exists()
    reading, finish = threading.Event(), threading.Event()
    real_read, real_rule_rows = rule_cache._rules._read, rule_cache.rule_rows
    calls = []

    def read():
        if threading.current_thread() is threading.main_thread():
            return real_read()
        reading.set()
        finish.wait(WAIT)
        return {}  # what it read before the seeding

    def rule_rows():
        calls.append(1)
        if len(calls) == 2:  # after seeding and dropping the old copy: the other ends
            finish.set()
            other.join(WAIT)
        return real_rule_rows()

    monkeypatch.setattr(rule_cache._rules, "_read", read)
    other = threading.Thread(target=real_rule_rows, daemon=True)
    other.start()
    assert reading.wait(WAIT)
    monkeypatch.setattr(rule_cache, "rule_rows", rule_rows)

    rules = engine.rules_for(rulebook.ORDER_PLACE)

    enabled = [s.code for s in rulebook.RULES if rulebook.ORDER_PLACE in s.points and s.enabled]
    assert not other.is_alive()
    assert [spec.code for spec, _ in rules] == enabled
    assert sorted(real_rule_rows()) == sorted(Rule.objects.values_list("code", flat=True))
