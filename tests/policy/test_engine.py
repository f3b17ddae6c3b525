"""The engine itself: rules as data seeded from the rulebook, facts read lazily and
recorded, worst enforced outcome wins, shadow mode, the append-only decision log and
replay."""

import pytest

from smmpanel.audit.models import Decision
from smmpanel.orders.errors import OrderRefused
from smmpanel.orders.services import place_order
from smmpanel.policy import engine, rulebook
from smmpanel.policy.facts import Facts, ReplayFacts
from smmpanel.policy.models import SEVERITY, Outcome, Restriction, Rule
from smmpanel.policy.replay import replay
from smmpanel.policy.services import restrict, update_rule
from tests.factories import make_user, post_link
from tests.policy.conftest import assert_replays, decisions, rule_row, tune

pytestmark = pytest.mark.django_db

ALL_POINTS = sorted({p for spec in rulebook.RULES for p in spec.points})

# Facts under which no order rule hits.
CLEAN_ORDER = {
    "link_fits": True,
    "link_host": "instagram.com",
    "charge_micros": 90_000,
    "restriction_ordering": None,
    "balance_frozen": False,
    "target_state": None,
    "deny_match": None,
    "sensitive_terms": [],
}


def order_facts(invalid_orders: int = 0, **changes) -> Facts:
    return Facts({**CLEAN_ORDER, **changes}, {"invalid_orders": lambda minutes: invalid_orders})


def test_rules_are_seeded_from_the_rulebook_on_first_use():
    assert not Rule.objects.exists()
    for point in ALL_POINTS:
        engine.rules_for(point)
    rows = {r.code: r for r in Rule.objects.all()}
    assert set(rows) == set(rulebook.BY_CODE)
    for spec in rulebook.RULES:
        row = rows[spec.code]
        assert (row.enabled, row.shadow, row.outcome, row.version) == (
            spec.enabled,
            spec.shadow,
            spec.outcome,
            1,
        )
        assert row.thresholds == spec.thresholds
        assert row.message_en == spec.message_en and row.message_uk == spec.message_uk
        assert row.message_en.strip() and row.message_uk.strip()
    for point in ALL_POINTS:  # seeding again changes nothing
        engine.rules_for(point)
    assert Rule.objects.count() == len(rulebook.RULES)
    assert len(rulebook.BY_CODE) == len(rulebook.RULES)  # codes are unique


def test_every_rule_message_fills_in_both_languages():
    """No placeholder of a built-in message is left unfilled by its rule's details."""
    samples = {
        "account.ordering_blocked": Facts({"restriction_ordering": "r"}),
        "account.login_blocked": Facts({"restriction_login": "r"}),
        "balance.review": Facts({"balance_frozen": True}),
        "link.service_match": Facts({"link_fits": False, "link_expected": "e"}),
        "link.private": Facts({"target_state": "private"}),
        "target.blocked": Facts({"deny_match": "blocked domain x"}),
        "content.sensitive": Facts({"sensitive_terms": ["t"]}),
        "abuse.invalid_orders": Facts({}, {"invalid_orders": lambda minutes: 99}),
        "abuse.fake_disputes": Facts({}, {"ineligible_refills": lambda minutes: 99}),
        "order.large": Facts({"charge_micros": 10**12, "charge_text": "1000000.00"}),
        "api.blocked": Facts({"api_blocked": "r"}),
        "api.rate": Facts({"rate_retry_after": 3}),
        "api.key_ip_spread": Facts({"key_ips_last_hour": 99}),
        "ticket.duplicate": Facts({"open_ticket_same_subject": 7}),
        "ticket.flood": Facts({}, {"tickets_recent": lambda minutes: 99}),
        "chargeback.recorded": Facts({"amount_text": "5.00"}),
    }
    assert set(samples) == set(rulebook.BY_CODE)
    for code, facts in samples.items():
        spec = rulebook.BY_CODE[code]
        verdict = engine.evaluate(spec.points[0], facts, rules=[(spec, rule_row(code))])
        (hit,) = verdict.hits
        for message in (hit.message_en, hit.message_uk):
            assert "{" not in message and "}" not in message, (code, message)


def test_facts_are_computed_lazily_once_and_recorded_per_rule():
    calls = []

    def expensive():
        calls.append(1)
        return None

    facts = Facts({"a": 1}, {"lazy": expensive, "count": lambda minutes: minutes * 2})
    assert not calls  # nothing computed up front
    first, second = facts.reading(), facts.reading()
    assert first.get("lazy") is None and second.get("lazy") is None
    assert calls == [1]  # computed once, shared by every rule
    assert second.get("count", minutes=5) == 10
    assert first.used == {"lazy": None}
    assert second.used == {"lazy": None, 'count{"minutes": 5}': 10}
    assert facts.get("missing") is None
    assert facts.used == {"lazy": None, 'count{"minutes": 5}': 10, "missing": None}

    replayed = ReplayFacts({'count{"minutes": 5}': 10})
    assert replayed.get("count", minutes=5) == 10
    assert replayed.get("count", minutes=6) is None


def test_a_rule_records_only_the_facts_it_read():
    verdict = engine.evaluate(
        rulebook.ORDER_PLACE,
        order_facts(link_fits=False, link_expected="Instagram post", link_example="https://x"),
    )
    (hit,) = verdict.hits
    assert hit.code == "link.service_match"
    assert hit.inputs == {
        "link_fits": False,
        "link_expected": "Instagram post",
        "link_expected_uk": None,
        "link_example": "https://x",
    }


def test_worst_enforced_outcome_wins():
    assert SEVERITY[0] == Outcome.RESTRICT and SEVERITY[-1] == Outcome.ALLOW
    review_only = engine.evaluate(rulebook.ORDER_PLACE, order_facts(sensitive_terms=["x"]))
    assert review_only.outcome == Outcome.REVIEW and review_only.allowed

    both = engine.evaluate(
        rulebook.ORDER_PLACE, order_facts(sensitive_terms=["x"], target_state="deleted")
    )
    assert [h.code for h in both.hits] == ["link.private", "content.sensitive"]
    assert both.outcome == Outcome.REJECT and not both.allowed
    assert both.deciding.code == "link.private"
    assert "deleted" in both.message() and "deleted" in both.message("uk")

    # An escalating rule picks its outcome by count; the worst one decides.
    for count, outcome in ((9, "reject"), (10, "reject"), (20, "limit"), (45, "restrict")):
        verdict = engine.evaluate(
            rulebook.ORDER_PLACE, order_facts(invalid_orders=count, target_state="private")
        )
        assert verdict.outcome == outcome, count
        codes = [h.code for h in verdict.hits]
        assert ("abuse.invalid_orders" in codes) == (count >= 10)
        expected = "link.private" if outcome == "reject" else "abuse.invalid_orders"
        assert verdict.deciding.code == expected  # first in rule order among the worst


def test_shadow_rules_are_recorded_not_enforced():
    facts = order_facts(charge_micros=600_000_000, charge_text="600.00")
    verdict = engine.evaluate(rulebook.ORDER_PLACE, facts)
    (hit,) = verdict.hits
    assert hit.code == "order.large" and hit.outcome == Outcome.REVIEW and not hit.enforced
    assert verdict.outcome == Outcome.ALLOW and verdict.deciding is None
    assert verdict.message() == ""


def test_a_disabled_rule_is_not_evaluated(staff):
    tune("link.private", staff, enabled=False)
    verdict = engine.evaluate(rulebook.ORDER_PLACE, order_facts(target_state="private"))
    assert verdict.outcome == Outcome.ALLOW and not verdict.hits
    assert "link.private" not in {s.code for s, _ in engine.rules_for(rulebook.ORDER_PLACE)}


def test_staff_can_change_outcome_thresholds_and_messages(customer, service, staff):
    tune("link.private", staff, outcome=Outcome.REVIEW)
    verdict = engine.evaluate(rulebook.ORDER_PLACE, order_facts(target_state="private"))
    assert verdict.outcome == Outcome.REVIEW

    tune("order.large", staff, shadow=False, thresholds={"review_at_micros": 1})
    assert engine.evaluate(rulebook.ORDER_PLACE, order_facts()).outcome == Outcome.REVIEW

    tune(
        "link.service_match",
        staff,
        message_en="Wrong link, want {expected}",
        message_uk="Не те посилання, треба {expected}",
    )
    with pytest.raises(OrderRefused) as caught:
        place_order(customer, service, {"link": "https://x.com/someone", "quantity": 100})
    assert caught.value.message == "Wrong link, want Instagram post or reel link"
    assert caught.value.text("uk") == "Не те посилання, треба Instagram post or reel link"


def test_a_staff_typo_in_a_message_never_breaks_a_decision(customer, service, staff):
    tune("link.service_match", staff, message_en="Broken {expected", message_uk="{0} {nope}")
    with pytest.raises(OrderRefused) as caught:
        place_order(customer, service, {"link": "https://x.com/someone", "quantity": 100})
    assert caught.value.rule == "link.service_match"
    assert caught.value.message == "Broken {expected"
    assert caught.value.text("uk") == "{0} {nope}"


def test_update_rule_bumps_version_and_audits_the_staff_actor(staff):
    row = rule_row("api.rate")
    update_rule(row, actor=staff, reason="calmer limits", thresholds={"burst": 10})
    row.refresh_from_db()
    assert row.version == 2 and row.updated_by == staff and row.thresholds == {"burst": 10}
    audit = Decision.objects.get(rule_code="rule.update")
    assert audit.actor == staff and audit.point == "staff"
    assert audit.reason == "calmer limits"
    assert audit.inputs == {"rule": "api.rate", "version": 2}

    update_rule(row, actor=staff, reason="on again", enabled=True)
    assert Rule.objects.get(code="api.rate").version == 3
    with pytest.raises(ValueError, match="reason"):
        update_rule(row, actor=staff, reason="  ", enabled=False)
    with pytest.raises(ValueError, match="cannot change"):
        update_rule(row, actor=staff, reason="sneaky", version=1)
    assert Rule.objects.get(code="api.rate").version == 3


def test_every_non_allow_decision_is_stored_with_its_context(customer, service, staff):
    with pytest.raises(OrderRefused):
        place_order(customer, service, {"link": "https://x.com/someone", "quantity": 100})
    decision = decisions("link.service_match", customer).get()
    assert decision.point == rulebook.ORDER_PLACE
    assert decision.rule_version == rule_row("link.service_match").version == 1
    assert decision.outcome == Outcome.REJECT and decision.enforced
    assert decision.inputs["link_fits"] is False
    assert decision.actor is None  # the system decided
    assert decision.reason.startswith("This link does not fit the service")
    assert decision.created_at is not None

    # An allowed, clean order writes no decision at all.
    count = Decision.objects.count()
    place_order(customer, service, {"link": post_link(), "quantity": 100})
    assert Decision.objects.count() == count

    # A staff action records the staff member as actor, and a decision after a rule
    # change records the version it met.
    restrict(customer, Restriction.Level.ORDERING, reason="manual check", actor=staff)
    audit = Decision.objects.get(rule_code="restriction.ordering")
    assert audit.actor == staff and audit.outcome == "restrict" and audit.user == customer
    tune("account.ordering_blocked", staff, thresholds={})
    with pytest.raises(OrderRefused):
        place_order(customer, service, {"link": post_link(), "quantity": 100})
    assert decisions("account.ordering_blocked", customer).get().rule_version == 2


def test_decisions_are_append_only(customer):
    engine.record(engine.evaluate(rulebook.LOGIN, Facts({"restriction_login": "x"})), user=customer)
    decision = Decision.objects.get()
    decision.reason = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        decision.save()
    with pytest.raises(ValueError, match="append-only"):
        decision.delete()
    with pytest.raises(ValueError, match="append-only"):
        Decision.objects.filter(pk=decision.pk).update(reason="rewritten")
    with pytest.raises(ValueError, match="append-only"):
        Decision.objects.filter(pk=decision.pk).delete()
    fresh = Decision.objects.get()
    assert fresh.reason != "rewritten"
    assert Decision.objects.count() == 1


def test_replay_gives_the_recorded_outcome():
    customer = make_user()
    for code, facts in (
        ("link.private", order_facts(target_state="restricted")),
        ("abuse.invalid_orders", order_facts(invalid_orders=25)),
        ("order.large", order_facts(charge_micros=900_000_000, charge_text="900.00")),
    ):
        engine.decide(rulebook.ORDER_PLACE, facts, user=customer)
        assert decisions(code, customer).count() == 1
    for decision in Decision.objects.filter(user=customer):
        assert_replays(decision)
    limit = decisions("abuse.invalid_orders", customer).get()
    assert limit.outcome == Outcome.LIMIT
    assert limit.inputs == {
        'invalid_orders{"minutes": 10}': 25,
        'invalid_orders_until{"below": 10, "minutes": 10}': None,
    }

    # The recorded inputs are all a replay needs: nothing is looked up again (there
    # is no KnownTarget row behind this decision, only the recorded fact).
    private = decisions("link.private", customer).get()
    assert private.inputs == {"target_state": "restricted"}
    assert replay(private) == Outcome.REJECT


def test_a_decision_replays_against_the_rule_as_it_was_when_made(db):
    from smmpanel.audit.models import Decision
    from smmpanel.policy.models import Rule
    from smmpanel.policy.replay import replay
    from smmpanel.policy.services import update_rule

    verdict = engine.decide(
        rulebook.ORDER_PLACE, order_facts(charge_micros=600_000_000, charge_text="600.00")
    )
    decision = Decision.objects.get(rule_code="order.large")
    update_rule(
        Rule.objects.get(code="order.large"),
        actor=None,
        reason="raise the bar",
        thresholds={"review_at_micros": 10**12},
    )

    assert verdict.hits[0].outcome == "review"
    assert replay(decision) == "review"
    assert replay(decision, Rule.objects.get(code="order.large")) == "allow"
