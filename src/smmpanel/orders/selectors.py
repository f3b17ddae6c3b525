"""Reads for orders and refills."""

import re
from collections import namedtuple
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from smmpanel.billing.models import HeldCredit, LedgerEntry
from smmpanel.catalog.links import BadLink, canonicalise
from smmpanel.compiled_sql import CompiledQuery, IdListed
from smmpanel.money import share_of
from smmpanel.numbers import whole_number
from smmpanel.orders.models import ACTIVE_STATUSES, STATUS_LABELS, Order, OrderStatus, Refill
from smmpanel.query_plans import planned_for_values


def parse_ids(raw: object, limit: int) -> list[str] | None:
    """Split ``"1,2, 3"`` into the requested id strings, in order, duplicates dropped.

    Returns None when more than ``limit`` ids were asked for.
    """
    parts = [p.strip() for p in str(raw or "").split(",")]
    seen: dict[str, None] = {}
    for part in parts:
        if part:
            seen.setdefault(part, None)
    ids = list(seen)
    return ids if len(ids) <= limit else None


def _as_pk(text: str) -> int | None:
    return whole_number(text) or None


# ``params`` and ``cancel_requested_at`` tell a subscription's state (``subscriptions``).
STATUS_FIELDS = (
    "id",
    "charge_micros",
    "start_count",
    "status",
    "remains",
    "currency",
    "params",
    "cancel_requested_at",
)
StatusRow = namedtuple("StatusRow", STATUS_FIELDS)

# API ``status`` reads up to 100 orders per call: one statement for any number of ids,
# compiled once (see ``compiled_sql`` and ``IdListed``).
_STATUS_ROWS = CompiledQuery(
    lambda user_id, ids: (
        Order.objects.filter(IdListed(F("id"), ids), user_id=user_id)
        .order_by()
        .values_list(*STATUS_FIELDS)
    ),
    user_id=int,
    ids=str,
)


def orders_by_id(user, id_texts: Iterable[str]) -> dict[str, Any]:
    """The status figures of the user's orders among ``id_texts``, keyed by the id text
    as requested: rows with the attributes of ``STATUS_FIELDS`` (named tuples, not
    model instances: a status call for 100 orders need not build 100 models)."""
    pks = {text: pk for text in id_texts if (pk := _as_pk(text)) is not None}
    if not pks:
        return {}
    ids = ",".join(str(pk) for pk in set(pks.values()))
    found = {row[0]: StatusRow(*row) for row in _STATUS_ROWS.all(user_id=user.pk, ids=ids)}
    return {text: found[pk] for text, pk in pks.items() if pk in found}


def refills_by_id(user, id_texts: Iterable[str]) -> dict[str, Refill]:
    """The user's refills among ``id_texts``, keyed by the id text as requested."""
    pks = {text: pk for text in id_texts if (pk := _as_pk(text)) is not None}
    found = {r.pk: r for r in Refill.objects.filter(user=user, pk__in=set(pks.values()))}
    return {text: found[pk] for text, pk in pks.items() if pk in found}


def recent_orders(user, limit: int = 50) -> list[Order]:
    return list(Order.objects.filter(user=user).select_related("service")[:limit])


# --- customer pages: order list, detail, refills, service picker -------------------------

#: What the customer's status filter offers, each with the stored statuses it shows.
#: ``Processing`` is a provider's word for in progress, so it is shown with it.
STATUS_FILTERS: dict[str, tuple[str, ...]] = {
    OrderStatus.PENDING: (OrderStatus.PENDING,),
    OrderStatus.IN_PROGRESS: (OrderStatus.IN_PROGRESS, OrderStatus.PROCESSING),
    OrderStatus.COMPLETED: (OrderStatus.COMPLETED,),
    OrderStatus.PARTIAL: (OrderStatus.PARTIAL,),
    OrderStatus.CANCELED: (OrderStatus.CANCELED,),
    OrderStatus.REVIEW: (OrderStatus.REVIEW,),
    OrderStatus.FAIL: (OrderStatus.FAIL,),
}
CANCELABLE_STATUSES = (OrderStatus.PENDING, OrderStatus.IN_PROGRESS, OrderStatus.PROCESSING)
REFILLABLE_STATUSES = (OrderStatus.COMPLETED, OrderStatus.PARTIAL)
MAX_SEARCH = 200
MAX_LIVE_IDS = 100
_FULL_LINK = re.compile(r"https?://", re.IGNORECASE)


@dataclass(frozen=True)
class OrderRow:
    """One order as the customer's table shows it, with the actions it allows now."""

    order: Order
    can_refill: bool
    can_cancel: bool

    @property
    def unfinished(self) -> bool:
        return self.order.status in ACTIVE_STATUSES


@dataclass(frozen=True)
class Page:
    """One keyset page: ``rows`` newest first; ``next_before`` is the ``?before=`` value of
    the next (older) page, or None on the last page."""

    rows: list
    next_before: int | None


def refill_ineligibility(order: Order, now: datetime | None = None) -> str | None:
    """Why ``order`` cannot be refilled now (a message for the customer), or None.

    The rule ``orders.services.request_refill`` enforces: a refill service, a completed
    or partial order, within the service's refill period (0 days = no limit).
    """
    service = order.service
    if not service.refill:
        return _("Refill is not available for this service")
    if order.status not in REFILLABLE_STATUSES:
        return _("Refill is available only for completed orders")
    now = now or timezone.now()
    if (
        service.refill_days
        and order.finished_at
        and now > order.finished_at + timedelta(days=service.refill_days)
    ):
        return _("The refill period of this order has ended")
    return None


def can_refill(order: Order, now: datetime | None = None) -> bool:
    """Whether the refill button belongs on this order."""
    return refill_ineligibility(order, now) is None


def can_cancel(order: Order) -> bool:
    """Whether the cancel button belongs on this order: a cancel service, an order not
    yet finished nor held, and no cancel asked for already."""
    return (
        order.service.cancel
        and order.status in CANCELABLE_STATUSES
        and order.cancel_requested_at is None
    )


def order_row(order: Order, now: datetime | None = None) -> OrderRow:
    return OrderRow(order, can_refill(order, now), can_cancel(order))


def _order_id_from_search(text: str) -> int | None:
    digits = text.removeprefix("#").strip()
    return _as_pk(digits)


def _link_search(text: str) -> Q:
    """What a search text that is not an order id matches.

    A pasted link (``http://`` or ``https://``) names a target: the user's orders on that
    target in any spelling (``https://instagram.com/p/X?igsh=…`` finds an order placed as
    ``https://www.instagram.com/p/X/``), by ``link_key`` on the index ``(user, link_key,
    service)``, flat on both databases. It is not also matched as a substring: that would
    add only longer links holding the whole one (a channel's posts, for the channel's
    link) and would read the trigram index's long lists for ``https`` and the host, which
    grow with the table. Other text is part of a link, in any case (PostgreSQL: the
    trigram index ``order_link_trgm``; SQLite reads the user's orders); when it also reads
    as a link (``instagram.com/p/X``), that target's orders in any spelling count too.
    """
    try:
        # Canonicalised in full: a pasted link may be longer than the substring bound.
        key = canonicalise(text).key
    except BadLink:
        key = None
    if key is not None and _FULL_LINK.match(text):
        return Q(link_key=key)
    matches = Q(link__icontains=text[:MAX_SEARCH])
    return matches if key is None else matches | Q(link_key=key)


@planned_for_values
def orders_page(
    user,
    status: str = "",
    search: str = "",
    before: int | None = None,
    limit: int = 50,
) -> Page:
    """One page of the user's orders, newest first, as ``OrderRow``s.

    ``status`` is a key of ``STATUS_FILTERS`` (anything else: all). ``search`` is an order
    id (``123`` or ``#123``), a link (its target, in any spelling) or part of a link
    (``_link_search``). Keyset pagination on the id: the query is ``user = ? [AND status
    IN …] [AND id < before] ORDER BY id DESC LIMIT n+1``, served by the ``(user, -id)``
    and ``(user, status, -id)`` indexes, so a page costs the same at the first order and
    the 100,000th and nothing counts the whole table.
    """
    orders = Order.objects.filter(user=user).select_related("service")
    statuses = STATUS_FILTERS.get(status)
    if statuses:
        orders = orders.filter(status__in=statuses)
    search = (search or "").strip()
    if search:
        order_id = _order_id_from_search(search[:MAX_SEARCH])
        if order_id is not None:
            orders = orders.filter(pk=order_id)
        else:
            orders = orders.filter(_link_search(search))
    if before is not None:
        orders = orders.filter(pk__lt=before)
    found = list(orders.order_by("-id")[: limit + 1])
    now = timezone.now()
    rows = [order_row(o, now) for o in found[:limit]]
    return Page(rows, found[limit - 1].pk if len(found) > limit else None)


def live_rows(user, id_texts: Iterable[str]) -> list[OrderRow]:
    """Fresh rows for the user's orders among ``id_texts`` (at most ``MAX_LIVE_IDS``),
    newest first. Other users' ids and junk are silently left out."""
    pks = {pk for text in list(id_texts)[:MAX_LIVE_IDS] if (pk := _as_pk(text)) is not None}
    if not pks:
        return []
    now = timezone.now()
    orders = Order.objects.filter(user=user, pk__in=pks).select_related("service")
    return [order_row(o, now) for o in orders.order_by("-id")]


def order_for(user, order_id: object) -> Order | None:
    """The user's own order with this id, or None (the same for a missing id and for
    someone else's order, so a page cannot reveal that an id exists)."""
    pk = _as_pk(str(order_id).strip())
    if pk is None:
        return None
    return Order.objects.filter(pk=pk, user=user).select_related("service__category").first()


@dataclass(frozen=True)
class TimelineEntry:
    """One state change of an order as its owner sees it.

    Staff notes stay internal, except the reason staff gave for ending an order
    (reject, cancel, partial): the Terms promise the customer always sees that one.
    """

    at: datetime
    from_label: str  # "" for the first event (the order was placed)
    to_label: str
    by: str  # "customer", "staff" or "" (the panel or the provider)
    reason: str = ""  # the staff's reason, for a staff decision that ended the order


# The states a staff decision ends an order in, whose reason the customer is shown.
_STAFF_ENDINGS = frozenset({OrderStatus.CANCELED, OrderStatus.PARTIAL})


def _status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status)) if status else ""


def order_timeline(order: Order) -> list[TimelineEntry]:
    """The order's state changes, oldest first, with readable status names."""
    entries = []
    for event in order.events.select_related("actor").order_by("id"):
        if event.actor_id is None:
            by = ""
        elif event.actor_id == order.user_id:
            by = "customer"
        else:
            by = "staff" if event.actor.is_staff else ""
        entries.append(
            TimelineEntry(
                event.created_at,
                _status_label(event.from_status),
                _status_label(event.to_status),
                by,
                event.note if by == "staff" and event.to_status in _STAFF_ENDINGS else "",
            )
        )
    return entries


def staff_reason(entries: list[TimelineEntry]) -> str:
    """The reason staff gave for ending the order (the latest one), or "" when none."""
    return next((e.reason for e in reversed(entries) if e.reason), "")


def refunded_micros(order: Order) -> int | None:
    """What ending the order gave back: the whole charge when Canceled, the remains'
    share when Partial (as ``cancel_and_refund`` and ``refund_remains`` credit it), None
    while nothing was refunded."""
    if order.status == OrderStatus.CANCELED:
        return order.charge_micros
    if order.status == OrderStatus.PARTIAL:
        return share_of(order.charge_micros, order.remains, order.total_quantity)
    return None


def refund_held(order: Order) -> bool:
    """Whether the order's refund waits for a balance review to end (``HeldCredit``)
    instead of being on the balance already."""
    return HeldCredit.objects.filter(
        order=order, kind=LedgerEntry.Kind.REFUND, released_at__isnull=True
    ).exists()


def order_refills(order: Order) -> list[Refill]:
    return list(order.refills.order_by("-id"))


def refills_page(user, before: int | None = None, limit: int = 50) -> Page:
    """One keyset page of the user's refills, newest first (``(user, -id)`` index)."""
    refills = Refill.objects.filter(user=user).select_related("order__service")
    if before is not None:
        refills = refills.filter(pk__lt=before)
    found = list(refills.order_by("-id")[: limit + 1])
    return Page(found[:limit], found[limit - 1].pk if len(found) > limit else None)


def parse_before(raw: object) -> int | None:
    """The ``?before=`` cursor as an id, or None when absent or not an id."""
    return _as_pk(str(raw or "").strip())


# --- one customer's summary -----------------------------------------------------------


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int
    charged_micros: int


@dataclass(frozen=True)
class OrderSummary:
    """A customer's orders at a glance: how many in each status and what they cost."""

    by_status: list[StatusCount]
    total: int
    active: int
    charged_micros: int  # charges of all orders, refunds not deducted


def order_summary(user) -> OrderSummary:
    """Counts and charges of ``user``'s orders per status, in one grouped query."""
    rows = {
        row["status"]: row
        for row in Order.objects.filter(user=user)
        .order_by()
        .values("status")
        .annotate(n=Count("id"), charged=Sum("charge_micros"))
    }
    by_status = [
        StatusCount(value, str(label), rows[value]["n"], rows[value]["charged"] or 0)
        for value, label in OrderStatus.choices
        if value in rows
    ]
    return OrderSummary(
        by_status,
        sum(s.count for s in by_status),
        sum(s.count for s in by_status if s.status in ACTIVE_STATUSES),
        sum(s.charged_micros for s in by_status),
    )
