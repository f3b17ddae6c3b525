"""Replaying a recorded decision: the same inputs through the same rule give the same
outcome. Used by staff to check a decision and by tests to prove determinism."""

from smmpanel.audit.models import Decision
from smmpanel.policy import rulebook
from smmpanel.policy.engine import evaluate
from smmpanel.policy.facts import ReplayFacts
from smmpanel.policy.models import Rule


def replay(decision: Decision, rule: Rule | None = None) -> str:
    """The outcome the recorded inputs give under ``rule`` — by default the rule as it
    stood when the decision was made (its recorded outcome and thresholds)."""
    spec = rulebook.BY_CODE[decision.rule_code]
    row = rule or _as_recorded(decision)
    verdict = evaluate(decision.point, ReplayFacts(decision.inputs), rules=[(spec, row)])
    return verdict.hits[0].outcome if verdict.hits else "allow"


def _as_recorded(decision: Decision) -> Rule:
    current = Rule.objects.get(code=decision.rule_code)
    snapshot = decision.rule_state
    if not snapshot:
        return current
    return Rule(
        code=current.code,
        enabled=True,
        shadow=False,
        outcome=snapshot["outcome"],
        thresholds=snapshot["thresholds"],
        message_en=current.message_en,
        message_uk=current.message_uk,
        version=decision.rule_version,
    )
