"""Order reports: orders by status and the best-selling services over a date range.

Like the money reports (``billing.reports``) they count orders by the date they were
placed and aggregate in the database.
"""

from dataclasses import dataclass

from django.db.models import Count, Sum

from smmpanel.billing.reports import ReportRange, spend_by
from smmpanel.orders.models import Order, OrderStatus


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    orders: int
    charged: int  # what those orders were charged, before any refund


def orders_by_status(rng: ReportRange) -> list[StatusCount]:
    """Every order status (zeros included) with the orders placed in ``rng`` now in it."""
    rows = (
        Order.objects.filter(created_at__gte=rng.since, created_at__lt=rng.until)
        .values("status")
        .annotate(orders=Count("id"), charged=Sum("charge_micros"))
        .order_by()
    )
    found = {r["status"]: r for r in rows}
    return [
        StatusCount(
            status=status.value,
            label=str(status.label),
            orders=found.get(status.value, {}).get("orders", 0),
            charged=found.get(status.value, {}).get("charged") or 0,
        )
        for status in OrderStatus
    ]


@dataclass(frozen=True)
class TopService:
    service_id: int
    name: str
    orders: int
    charged: int
    refunded: int

    @property
    def net(self) -> int:
        return self.charged - self.refunded


def top_services(rng: ReportRange, limit: int = 10) -> list[TopService]:
    """The services that earned most (charges minus refunds) from orders placed in ``rng``."""
    return [
        TopService(
            service_id=r["order__service_id"],
            name=r["order__service__name"],
            orders=r["orders"],
            charged=r["charged"],
            refunded=r["refunded"],
        )
        for r in spend_by(rng, "order__service_id", "order__service__name", limit=limit)
    ]
