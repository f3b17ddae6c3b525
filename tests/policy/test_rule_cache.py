"""Rule rows and the deny list are read from the database at most once per
POLICY_CACHE_SECONDS per process: a change made in this process applies at once, one
made by another process within that time."""

import pytest

from smmpanel.policy import engine, rule_cache, rulebook
from smmpanel.policy.gates import deny_match, sensitive_terms
from smmpanel.policy.models import DenyEntry, Rule
from smmpanel.policy.services import add_deny_entry, remove_deny_entry
from tests.policy.conftest import rule_row, tune

pytestmark = pytest.mark.django_db


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


def test_sensitive_terms_come_from_the_same_cached_list(staff, django_assert_num_queries):
    add_deny_entry(DenyEntry.Kind.TERM, "scam", actor=staff, reason="abuse")
    sensitive_terms({"comments": "nice"})

    with django_assert_num_queries(0):
        found = sensitive_terms({"comments": "total SCAM here"})

    assert found == ["scam"]
