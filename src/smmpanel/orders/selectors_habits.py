"""Reads for a customer's ordering habits: favourites, "Order again", average times."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from smmpanel.orders.models import FavouriteService, Order, ServiceAverageTime


def favourite_ids(user) -> frozenset[int]:
    """The ids of the services ``user`` starred (none for a visitor)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    return frozenset(
        FavouriteService.objects.filter(user=user).values_list("service_id", flat=True)
    )


@dataclass(frozen=True)
class AverageTime:
    orders: int
    seconds: int | None  # None: fewer orders than the minimum, not enough data

    @property
    def text(self) -> str:
        """ "2 hours 15 minutes", "not enough data" — in the active language."""
        if self.seconds is None:
            return _("not enough data")
        return duration_text(self.seconds)


NOT_ENOUGH = AverageTime(0, None)


def duration_text(seconds: int) -> str:
    """A duration for reading, to the minute (under a minute: "under a minute")."""
    minutes = seconds // 60
    if minutes < 1:
        return _("under a minute")
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(ngettext("%(n)d day", "%(n)d days", days) % {"n": days})
    if hours:
        parts.append(ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours})
    if minutes and not days:
        parts.append(ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes})
    return " ".join(parts)


class AverageTimes:
    """Every service's average time as the worker last computed it; read once a page."""

    def __init__(self, rows: list[ServiceAverageTime]):
        self._rows = {r.service_id: r for r in rows}

    def for_service(self, service_id: int) -> AverageTime:
        row = self._rows.get(service_id)
        if row is None:
            return NOT_ENOUGH
        if row.orders < settings.AVERAGE_TIME_MIN_ORDERS:
            return AverageTime(row.orders, None)
        return AverageTime(row.orders, row.average_seconds)


def average_times() -> AverageTimes:
    return AverageTimes(list(ServiceAverageTime.objects.all()))


def order_again_query(order: Order) -> dict[str, str]:
    """What New order is prefilled with to place ``order`` again: its service, link,
    quantity, drip-feed runs and interval, and its type's parameters."""
    values = {"service": str(order.service_id)}
    stype = order.service.service_type
    if stype.needs_link:
        values["link"] = order.link
    if stype.quantity_from.value == "quantity":
        values["quantity"] = str(order.quantity)
    if order.runs:
        values["runs"], values["interval"] = str(order.runs), str(order.interval or "")
    for name, value in (order.params or {}).items():
        values.setdefault(name, str(value))
    return values
