"""Reads for the policy: the moderation queue, account notices and the audit log."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from smmpanel.orders.models import Order, OrderStatus, Refill, RefillStatus
from smmpanel.policy.models import ApiLimit, BalanceReview, Decision, Restriction
from smmpanel.providers.models import Submission, SubmissionState


def _in_force(rows: QuerySet) -> QuerySet:
    return rows.filter(lifted_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    )


def moderation_queue(limit: int = 100) -> dict[str, list]:
    """Everything waiting for a moderator, newest first."""
    return {
        "review_orders": list(
            Order.objects.filter(status=OrderStatus.REVIEW)
            .select_related("user", "service")
            .order_by("id")[:limit]
        ),
        "failed_orders": list(
            Order.objects.filter(status=OrderStatus.FAIL)
            .select_related("user", "service")
            .prefetch_related("submissions")
            .order_by("id")[:limit]
        ),
        "unknown_runs": list(
            Submission.objects.filter(state=SubmissionState.UNKNOWN)
            .exclude(order__status=OrderStatus.FAIL)
            .select_related("order__user", "provider")[:limit]
        ),
        "stuck_refills": list(
            Refill.objects.filter(status=RefillStatus.PENDING)
            .filter(
                Q(refillsubmission__isnull=True)
                | Q(refillsubmission__state=SubmissionState.UNKNOWN)
            )
            .select_related("user", "order")[:limit]
        ),
        "balance_reviews": list(
            BalanceReview.objects.filter(closed_at__isnull=True).select_related("user")[:limit]
        ),
        "restrictions": list(_in_force(Restriction.objects.select_related("user"))[:limit]),
        "api_limits": list(_in_force(ApiLimit.objects.select_related("user"))[:limit]),
        "recent_hits": list(
            Decision.objects.filter(actor__isnull=True)
            .exclude(outcome="allow")
            .select_related("user")[:limit]
        ),
    }


def notices_for(user) -> dict[str, list]:
    """What a customer must be told about their account: restrictions, reviews, limits.

    Restrictions and limits are read only for accounts flagged ``policy_limited``.
    """
    limited = user.policy_limited
    return {
        "restrictions": list(_in_force(Restriction.objects.filter(user=user))) if limited else [],
        "balance_reviews": list(BalanceReview.objects.filter(user=user, closed_at__isnull=True)),
        "api_limits": list(_in_force(ApiLimit.objects.filter(user=user))) if limited else [],
    }


def search_decisions(
    *, email: str = "", rule: str = "", point: str = "", order: str = ""
) -> QuerySet[Decision]:
    """The audit log filtered by account email, rule code (prefix), point or order id."""
    rows = Decision.objects.select_related("user", "actor")
    if email.strip():
        rows = rows.filter(user__email__icontains=email.strip())
    if rule.strip():
        rows = rows.filter(rule_code__startswith=rule.strip())
    if point.strip():
        rows = rows.filter(point=point.strip())
    if order.strip().isdigit():
        rows = rows.filter(order_id=int(order.strip()))
    return rows
