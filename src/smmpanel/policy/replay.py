"""Replaying a recorded decision: the same inputs through the same rule give the same
outcome. Used by staff to check a decision and by tests to prove determinism."""

from smmpanel.policy import rulebook
from smmpanel.policy.engine import evaluate
from smmpanel.policy.facts import ReplayFacts
from smmpanel.policy.models import Decision, Rule


def replay(decision: Decision, rule: Rule | None = None) -> str:
    """The outcome the recorded inputs give under ``rule`` (default: the current row)."""
    spec = rulebook.BY_CODE[decision.rule_code]
    row = rule or Rule.objects.get(code=decision.rule_code)
    verdict = evaluate(decision.point, ReplayFacts(decision.inputs), rules=[(spec, row)])
    return verdict.hits[0].outcome if verdict.hits else "allow"
