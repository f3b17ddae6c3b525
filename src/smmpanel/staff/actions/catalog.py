"""Staff actions on prices: a customer's own rate or discount (audited)."""

from django.db import transaction

from smmpanel.accounts.staff_rank import ensure_may_act_on
from smmpanel.audit.services import audit, required_reason
from smmpanel.catalog.models import CustomRate
from smmpanel.catalog.services import remove_custom_rate, set_custom_rate


def staff_set_custom_rate(
    user,
    service,
    *,
    actor,
    reason: str,
    rate_micros: int | None = None,
    discount_bp: int | None = None,
) -> CustomRate:
    """Give a customer their own rate for one service, or a discount for one service or
    (``service`` None) for all; replaces the rule they had there. Audited."""
    ensure_may_act_on(actor, user)
    reason = required_reason(reason)
    with transaction.atomic():
        rule = set_custom_rate(
            user, service, rate_micros=rate_micros, discount_bp=discount_bp, created_by=actor
        )
        audit(
            "price.custom_rate",
            actor=actor,
            user=user,
            reason=reason,
            outcome="update",
            service=service.pk if service is not None else "all",
            rate=rate_micros,
            discount_bp=discount_bp,
        )
    return rule


def staff_remove_custom_rate(rule: CustomRate, *, actor, reason: str) -> None:
    """End a customer's own rate or discount: the list rate applies again. Audited."""
    ensure_may_act_on(actor, rule.user)
    reason = required_reason(reason)
    with transaction.atomic():
        remove_custom_rate(rule)
        audit(
            "price.custom_rate_remove",
            actor=actor,
            user=rule.user,
            reason=reason,
            outcome="update",
            service=rule.service_id or "all",
        )
