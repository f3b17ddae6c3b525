"""Reads for the customer's dashboard: what they spent, their orders by status, and the
drip-feed and subscription orders still running."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, Q, Sum
from django.utils import timezone

from smmpanel.billing.models import LedgerEntry
from smmpanel.orders.models import ACTIVE_STATUSES, Order, OrderStatus
from smmpanel.orders.selectors import STATUS_FILTERS, can_cancel
from smmpanel.orders.subscriptions import SUBSCRIPTION_TYPE


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


@dataclass(frozen=True)
class DripFeedRow:
    order: Order
    runs_sent: int  # handed to the provider (or past it: refused, unknown)
    runs_done: int  # ended upstream
    next_at: datetime | None  # when the next waiting run is due (None: none waits)
    can_cancel: bool

    @property
    def runs_remaining(self) -> int:
        return (self.order.runs or 1) - self.runs_sent


# Submission states (providers.models.SubmissionState) by name: a run not sent yet
# waits ``queued``; one ended upstream is ``done``.
_WAITING, _ENDED = "queued", "done"


def dripfeed_rows(
    user, before: int | None = None, size: int = 50
) -> tuple[list[DripFeedRow], int | None]:
    """``user``'s drip-feed orders, newest first (keyset pages below ``before``), each
    with its runs sent, ended and remaining and when the next one is due; one query.
    Returns the rows and the cursor of the next page (or None)."""
    orders = (
        Order.objects.filter(user=user, runs__isnull=False)
        .select_related("service")
        .annotate(
            runs_sent=Count("submissions", filter=~Q(submissions__state=_WAITING)),
            runs_done=Count("submissions", filter=Q(submissions__state=_ENDED)),
            next_at=Min("submissions__next_attempt_at", filter=Q(submissions__state=_WAITING)),
        )
        .order_by("-id")
    )
    if before is not None:
        orders = orders.filter(pk__lt=before)
    page = list(orders[: size + 1])
    rows = [
        DripFeedRow(
            o,
            o.runs_sent,
            o.runs_done,
            o.next_at if o.status in ACTIVE_STATUSES else None,
            can_cancel(o),
        )
        for o in page[:size]
    ]
    return rows, (page[size - 1].pk if len(page) > size else None)
