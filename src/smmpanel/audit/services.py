"""The audit log writer: one append-only ``Decision`` row per staff action (who did
what, and why) or per enforcement by the system.

A leaf beside the model it writes: it imports nothing of the panel but that model, so
the services of every app (billing, support, catalog, providers, policy) and the staff
actions import it at module level.
"""

from typing import Any

from smmpanel.audit.models import Decision

STAFF = "staff"  # the decision point of staff actions
SYSTEM = "system"  # … and of the panel acting on its own


def required_reason(reason: str) -> str:
    """The reason an audited action was given, stripped; ``ValueError`` when empty."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a reason is required")
    return reason


def audit(
    action: str, *, actor, reason: str, user=None, outcome: str = "", **refs: Any
) -> Decision:
    """Record ``action`` (e.g. ``deposit.confirm``) done by ``actor`` (a staff member;
    None for the system) for ``reason``, about ``user``'s account. ``outcome`` defaults
    to the action's last word. ``refs`` name what was acted on: ``order`` and
    ``api_key`` are linked, plain values (ids, amounts, texts) kept as inputs."""
    return Decision.objects.create(
        point=STAFF if actor else SYSTEM,
        rule_code=action,
        outcome=outcome or action.split(".")[-1],
        user=user,
        actor=actor,
        reason=reason,
        inputs={k: v for k, v in refs.items() if isinstance(v, (str, int, float, bool))},
        order=refs.get("order"),
        api_key=refs.get("api_key"),
    )
