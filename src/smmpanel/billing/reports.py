"""Money reports from the ledger: revenue per period, refund figures, top customers.

All figures are on an *order-date* basis: a charge and its later refund both count for
the period in which the order was placed, so a period's revenue is what its orders
finally earned (and a provider's cost for those orders sits beside it). Refunds that are
still held under a balance review are not in the ledger yet and are not counted.

Aggregation happens in the database (``Trunc*``, ``Sum``, ``Count``); no order or entry
is loaded into Python.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from smmpanel.billing.models import LedgerEntry

PERIODS = ("day", "week", "month")
MAX_BUCKETS = 400
_TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
_CHARGE, _REFUND = LedgerEntry.Kind.CHARGE, LedgerEntry.Kind.REFUND


@dataclass(frozen=True)
class ReportRange:
    """The dates ``start``..``end`` (both included, in the panel's time zone), grouped
    by ``period``: day, week (starting Monday) or month."""

    start: date
    end: date
    period: str = "day"

    def __post_init__(self) -> None:
        if self.period not in PERIODS:
            raise ValueError(f"period must be one of {', '.join(PERIODS)}")
        if self.end < self.start:
            raise ValueError("the range ends before it starts")
        if len(self.buckets()) > MAX_BUCKETS:
            raise ValueError(f"at most {MAX_BUCKETS} periods")

    @property
    def since(self) -> datetime:
        """The first moment of the range (aware)."""
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        """The first moment after the range (aware)."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    def trunc(self, field: str):
        """A database expression: ``field`` truncated to the start of its period."""
        return _TRUNC[self.period](field)

    def bucket_start(self, day: date) -> date:
        """The first day of the period holding ``day``."""
        if self.period == "week":
            return day - timedelta(days=day.weekday())
        if self.period == "month":
            return day.replace(day=1)
        return day

    def bucket_of(self, value: datetime | date) -> date:
        """The period start for a value the database truncated."""
        if isinstance(value, datetime):
            value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
        return self.bucket_start(value)

    def buckets(self) -> list[date]:
        """Every period start from the one holding ``start`` to the one holding ``end``."""
        result, current = [], self.bucket_start(self.start)
        while current <= self.end and len(result) <= MAX_BUCKETS:
            result.append(current)
            current = _next(current, self.period)
        return result


def _next(day: date, period: str) -> date:
    if period == "day":
        return day + timedelta(days=1)
    if period == "week":
        return day + timedelta(days=7)
    days = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1) + timedelta(days=days)


def _placed_in(rng: ReportRange) -> Q:
    return Q(
        order__isnull=False,
        kind__in=(_CHARGE, _REFUND),
        order__created_at__gte=rng.since,
        order__created_at__lt=rng.until,
    )


@dataclass(frozen=True)
class Revenue:
    charged: int = 0  # what the orders were charged (micros, positive)
    refunded: int = 0  # what was refunded of them
    orders: int = 0  # orders charged
    refunded_orders: int = 0  # of those, orders with a refund (partial or full)

    @property
    def net(self) -> int:
        """Revenue: charges minus refunds."""
        return self.charged - self.refunded


def revenue_by_period(rng: ReportRange) -> dict[date, Revenue]:
    """Charges and refunds of the orders placed in each period (periods without any
    order are absent)."""
    rows = (
        LedgerEntry.objects.filter(_placed_in(rng))
        .annotate(bucket=rng.trunc("order__created_at"))
        .values("bucket")
        .annotate(
            charged=Sum("amount_micros", filter=Q(kind=_CHARGE)),
            refunded=Sum("amount_micros", filter=Q(kind=_REFUND)),
            orders=Count("id", filter=Q(kind=_CHARGE)),
            refunded_orders=Count("id", filter=Q(kind=_REFUND)),
        )
        .order_by()
    )
    result: dict[date, Revenue] = {}
    for r in rows:
        bucket = rng.bucket_of(r["bucket"])
        before = result.get(bucket, Revenue())
        result[bucket] = Revenue(
            charged=before.charged - (r["charged"] or 0),  # charges are stored negative
            refunded=before.refunded + (r["refunded"] or 0),
            orders=before.orders + r["orders"],
            refunded_orders=before.refunded_orders + r["refunded_orders"],
        )
    return result


@dataclass(frozen=True)
class RefundSummary:
    orders: int  # orders placed (and charged) in the range
    refunded_orders: int  # of those, orders with a refund (partial or full)
    charged: int
    refunded: int


def refund_summary(rng: ReportRange) -> RefundSummary:
    """How many of the orders placed in ``rng`` were refunded, and how much money."""
    totals = LedgerEntry.objects.filter(_placed_in(rng)).aggregate(
        orders=Count("id", filter=Q(kind=_CHARGE)),
        refunded_orders=Count("id", filter=Q(kind=_REFUND)),
        charged=Sum("amount_micros", filter=Q(kind=_CHARGE)),
        refunded=Sum("amount_micros", filter=Q(kind=_REFUND)),
    )
    return RefundSummary(
        orders=totals["orders"],
        refunded_orders=totals["refunded_orders"],
        charged=-(totals["charged"] or 0),
        refunded=totals["refunded"] or 0,
    )


@dataclass(frozen=True)
class TopUser:
    user_id: int
    email: str
    orders: int
    charged: int
    refunded: int

    @property
    def net(self) -> int:
        return self.charged - self.refunded


def spend_by(rng: ReportRange, *group: str, limit: int) -> list[dict]:
    """Charges and refunds of the orders placed in ``rng``, grouped by the ``group``
    fields (the first one an id), biggest net spend first. Each row has the group
    fields, ``orders``, ``charged`` and ``refunded`` (positive micros)."""
    rows = (
        LedgerEntry.objects.filter(_placed_in(rng))
        .values(*group)
        .annotate(
            orders=Count("id", filter=Q(kind=_CHARGE)),
            charged=Sum("amount_micros", filter=Q(kind=_CHARGE)),
            refunded=Sum("amount_micros", filter=Q(kind=_REFUND)),
            balance=Sum("amount_micros"),
        )
        .order_by("balance", group[0])[:limit]  # most negative = most spent
    )
    return [
        {name: r[name] for name in group}
        | {"orders": r["orders"], "charged": -(r["charged"] or 0), "refunded": r["refunded"] or 0}
        for r in rows
    ]


def top_users(rng: ReportRange, limit: int = 10) -> list[TopUser]:
    """The customers who spent most (charges minus refunds) on orders placed in ``rng``."""
    return [
        TopUser(
            user_id=r["user_id"],
            email=r["user__email"],
            orders=r["orders"],
            charged=r["charged"],
            refunded=r["refunded"],
        )
        for r in spend_by(rng, "user_id", "user__email", limit=limit)
    ]
