"""The policy engine: evaluate the rules of a decision point over facts, record every
non-allow result, and say which outcome is enforced.

The worst enforced outcome wins (restrict > limit > reject > review > allow). Rules in
shadow mode are evaluated and recorded but never enforced.
"""

import string
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from smmpanel.audit.models import Decision
from smmpanel.policy import rule_cache, rulebook
from smmpanel.policy.facts import Facts
from smmpanel.policy.models import SEVERITY, Outcome, Rule


@dataclass(frozen=True)
class RuleHit:
    code: str
    version: int
    outcome: str
    enforced: bool
    message_en: str
    message_uk: str
    inputs: dict[str, Any]
    rule_snapshot: dict[str, Any] | None = None  # outcome and thresholds the rule had
    # The values the rule's message is filled with, so staff read the decision in their
    # own language, whatever the customer's was (``policy.selectors.decision_reason``).
    details: dict[str, Any] = field(default_factory=dict)

    def message(self, language: str = "en") -> str:
        return self.message_uk if language.startswith("uk") else self.message_en


@dataclass
class Verdict:
    point: str
    hits: list[RuleHit] = field(default_factory=list)

    @property
    def enforced(self) -> list[RuleHit]:
        return [h for h in self.hits if h.enforced]

    @property
    def outcome(self) -> str:
        outcomes = {h.outcome for h in self.enforced}
        return next((o for o in SEVERITY if o in outcomes), Outcome.ALLOW)

    @property
    def deciding(self) -> RuleHit | None:
        """The enforced hit whose outcome is the verdict's (first in rule order)."""
        return next((h for h in self.enforced if h.outcome == self.outcome), None)

    @property
    def allowed(self) -> bool:
        return self.outcome in (Outcome.ALLOW, Outcome.REVIEW)

    def message(self, language: str = "en") -> str:
        hit = self.deciding
        return "" if hit is None else hit.message(language)


def rules_for(point: str) -> list[tuple[rulebook.RuleSpec, Rule]]:
    """The enabled rules of ``point`` with their current rows (seeded on first use).

    Rows come from ``rule_cache``: no query on the hot path.
    """
    specs = [s for s in rulebook.RULES if point in s.points]
    rows = rule_cache.rule_rows()
    if any(s.code not in rows for s in specs):
        for spec in specs:
            Rule.objects.get_or_create(
                code=spec.code,
                defaults={
                    "enabled": spec.enabled,
                    "shadow": spec.shadow,
                    "outcome": spec.outcome,
                    "thresholds": spec.thresholds,
                    "message_en": spec.message_en,
                    "message_uk": spec.message_uk,
                },
            )
        # A read begun before the seeding is not kept after this (``process_cache``).
        rule_cache.forget()
        rows = rule_cache.rule_rows()
    return [(s, rows[s.code]) for s in specs if rows[s.code].enabled]


def rule_enabled(code: str) -> bool:
    """Whether rule ``code`` is on (a rule never seeded yet is on by default)."""
    row = rule_cache.rule_rows().get(code)
    return True if row is None else row.enabled


def evaluate(point: str, facts: Facts, rules=None) -> Verdict:
    """Run the rules of ``point`` over ``facts``; pure given the rule rows and facts."""
    verdict = Verdict(point)
    for spec, row in rules if rules is not None else rules_for(point):
        reading = facts.reading()
        hit = spec.check(reading, {**spec.thresholds, **(row.thresholds or {})})
        if hit is None:
            continue
        outcome = hit.outcome or row.outcome
        if outcome == Outcome.ALLOW:
            continue
        verdict.hits.append(
            RuleHit(
                code=spec.code,
                version=row.version,
                outcome=outcome,
                enforced=not row.shadow,
                message_en=fill_message(row.message_en, hit.details),
                message_uk=fill_message(row.message_uk, hit.details),
                inputs=reading.used,
                rule_snapshot={"outcome": row.outcome, "thresholds": row.thresholds or {}},
                details=_stored(hit.details),
            )
        )
    return verdict


def decide(point: str, facts: Facts, *, user=None, api_key=None, order=None) -> Verdict:
    """Evaluate and record every hit as an append-only ``Decision``."""
    verdict = evaluate(point, facts)
    record(verdict, user=user, api_key=api_key, order=order)
    return verdict


def record(verdict: Verdict, *, user=None, api_key=None, order=None, actor=None) -> None:
    if not verdict.hits:
        return  # a plain allow writes nothing (and opens no transaction)
    Decision.objects.bulk_create(
        Decision(
            point=verdict.point,
            rule_code=hit.code,
            rule_version=hit.version,
            outcome=hit.outcome,
            enforced=hit.enforced,
            user=user,
            api_key=api_key,
            order=order,
            actor=actor,
            inputs=hit.inputs,
            # The rule as it stood, so the decision can be replayed against the version
            # it met even after staff retune the rule.
            rule_state=hit.rule_snapshot or {},
            details=hit.details,
            reason=hit.message_en,
        )
        for hit in verdict.hits
    )


def _stored(details: dict[str, Any]) -> dict[str, Any]:
    """A hit's message values as JSON keeps them (a lazy label as its text)."""
    return {
        k: v if v is None or isinstance(v, (str, int, float, bool)) else str(v)
        for k, v in details.items()
    }


def fill_message(template: str, details: dict[str, Any]) -> str:
    """Fill ``{name}`` placeholders; an unknown or malformed one is left as written, so a
    staff typo in a message can never break a decision."""
    values = defaultdict(str, {k: "" if v is None else v for k, v in details.items()})
    try:
        return string.Formatter().vformat(template, (), values)
    except (ValueError, IndexError, AttributeError):
        return template
