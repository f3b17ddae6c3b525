"""Reads for the staff moderation page: everything waiting for a moderator."""

from django.db.models import Q

from smmpanel.audit.models import Decision
from smmpanel.orders.models import Order, OrderStatus, Refill, RefillStatus
from smmpanel.policy.models import ApiLimit, BalanceReview, Restriction
from smmpanel.policy.selectors import in_force
from smmpanel.providers.models import Submission, SubmissionState


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
        "restrictions": list(in_force(Restriction.objects.select_related("user"))[:limit]),
        "api_limits": list(in_force(ApiLimit.objects.select_related("user"))[:limit]),
        "recent_hits": list(
            Decision.objects.filter(actor__isnull=True)
            .exclude(outcome="allow")
            .select_related("user")[:limit]
        ),
    }
