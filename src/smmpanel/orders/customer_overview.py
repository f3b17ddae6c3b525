"""Reads for the customer's dashboard: what they spent, their orders by status, and the
drip-feed and subscription orders still running."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, Sum
from django.utils import timezone

from smmpanel.billing.models import LedgerEntry
from smmpanel.orders.models import ACTIVE_STATUSES, Order, OrderStatus
from smmpanel.orders.selectors import STATUS_FILTERS

SUBSCRIPTION_TYPE = "subscriptions"


@dataclass(frozen=True)
class Spending:
    """Money that went into orders: charges less the refunds they got back."""

    this_month_micros: int
    all_time_micros: int


@dataclass(frozen=True)
class StatusLink:
    status: str  # the key of the orders list's status filter
    label: str
    count: int


def month_start(now: datetime | None = None) -> datetime:
    """The first instant of the current month in the active time zone (the customer's)."""
    local = timezone.localtime(now or timezone.now())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def spending_of(user, now: datetime | None = None) -> Spending:
    """What ``user`` spent this month and in all, from the ledger (the truth): charges
    for orders less the refunds of those orders, in one query."""
    spent = LedgerEntry.objects.filter(
        user=user, kind__in=(LedgerEntry.Kind.CHARGE, LedgerEntry.Kind.REFUND)
    ).aggregate(
        month=Sum("amount_micros", filter=Q(created_at__gte=month_start(now))),
        total=Sum("amount_micros"),
    )
    return Spending(-(spent["month"] or 0), -(spent["total"] or 0))


def orders_by_status(user) -> list[StatusLink]:
    """How many of ``user``'s orders are in each status of the orders list's filter
    (``Processing`` counted with ``In progress`` as the list shows it), the empty ones
    left out; one grouped query."""
    counts = dict(
        Order.objects.filter(user=user)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    labels = dict(OrderStatus.choices)
    links = []
    for key, statuses in STATUS_FILTERS.items():
        n = sum(counts.get(s, 0) for s in statuses)
        if n:
            links.append(StatusLink(key, str(labels[key]), n))
    return links


def running_dripfeeds(user, limit: int = 10) -> list[Order]:
    """``user``'s unfinished drip-feed orders (more than one run), newest first."""
    return list(
        Order.objects.filter(user=user, runs__isnull=False, status__in=ACTIVE_STATUSES)
        .select_related("service")
        .order_by("-id")[:limit]
    )


def running_subscriptions(user, limit: int = 10) -> list[Order]:
    """``user``'s unfinished subscription orders (the API v2 Subscriptions type)."""
    return list(
        Order.objects.filter(user=user, service__type=SUBSCRIPTION_TYPE, status__in=ACTIVE_STATUSES)
        .select_related("service")
        .order_by("-id")[:limit]
    )
