"""Reads for support tickets: the customer's own tickets, the staff inbox, the order
context staff see beside a thread, and the history the ticket rules read."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Case, F, IntegerField, Prefetch, Q, QuerySet, Value, When

from smmpanel.orders.models import Order
from smmpanel.providers.models import Submission
from smmpanel.support.models import (
    ACTIVE_TICKET_STATUSES,
    CannedReply,
    Ticket,
    TicketKind,
    TicketMessage,
    TicketStatus,
)

# Kinds whose tickets may be about no order at all; two such tickets with the same title
# are the same question asked twice.
TITLED_KINDS = (TicketKind.OTHER, TicketKind.PAYMENT)
PICKABLE_ORDERS = 50
MAX_ID = 2**63 - 1  # larger ids from a URL cannot exist (and would overflow the query)


def fold(text: str) -> str:
    """The form search columns are stored and searched in (case-insensitive, Cyrillic
    too, which SQLite's own matching is not)."""
    return " ".join((text or "").casefold().split())


def tickets_of(user, status: str = "") -> QuerySet[Ticket]:
    """The user's tickets, latest activity first, optionally of one status."""
    rows = Ticket.objects.filter(user=user)
    if status in TicketStatus.values:
        rows = rows.filter(status=status)
    return rows.order_by("-last_message_at", "-id")


def open_tickets_count(user) -> int:
    """How many of the user's tickets are not closed (waiting for staff or for them)."""
    return Ticket.objects.filter(user=user, status__in=ACTIVE_TICKET_STATUSES).count()


def ticket_for(user, ticket_id: int) -> Ticket | None:
    """The user's own ticket ``ticket_id``, or None for a missing one and for another
    user's ticket alike (pages answer both with the same 404)."""
    if not 0 < ticket_id <= MAX_ID:
        return None
    return (
        Ticket.objects.filter(user=user, pk=ticket_id)
        .prefetch_related(Prefetch("orders", queryset=Order.objects.select_related("service")))
        .first()
    )


def staff_ticket(ticket_id: int) -> Ticket | None:
    """Any ticket, for staff, with its customer and assignee."""
    if not 0 < ticket_id <= MAX_ID:
        return None
    return Ticket.objects.select_related("user", "assigned_to").filter(pk=ticket_id).first()


def thread(ticket: Ticket) -> list[TicketMessage]:
    """The ticket's messages, oldest first, with their authors."""
    return list(ticket.messages.select_related("author").order_by("id"))


def staff_inbox(
    *, status: str = "", assigned: str = "", search: str = "", staff=None
) -> QuerySet[Ticket]:
    """Tickets for staff: open (waiting for an answer) first, the longest waiting on
    top; then answered, then closed, latest activity first.

    ``assigned`` is ``"me"`` (assigned to ``staff``), ``"unassigned"`` or empty (all).
    ``search`` matches the ticket number, title, customer email, order ids and message
    text, case-insensitively in any script.
    """
    rows = Ticket.objects.select_related("user", "assigned_to")
    if status in TicketStatus.values:
        rows = rows.filter(status=status)
    if assigned == "me" and staff is not None:
        rows = rows.filter(assigned_to=staff)
    elif assigned == "unassigned":
        rows = rows.filter(assigned_to__isnull=True)
    needle = fold(search).lstrip("#")
    if needle.isascii() and needle.isdigit() and len(needle) <= 18:
        # A number is a ticket or order number, matched exactly: "#12" must not find
        # every ticket whose text happens to contain "12".
        number = int(needle)
        rows = rows.filter(Q(pk=number) | Q(orders__id=number)).distinct()
    elif needle:
        rows = rows.filter(
            Q(search_text__contains=needle)
            | Q(
                pk__in=TicketMessage.objects.filter(search_text__contains=needle).values(
                    "ticket_id"
                )
            )
        )
    return rows.annotate(
        waiting_rank=Case(
            When(status=TicketStatus.OPEN, then=Value(0)),
            When(status=TicketStatus.ANSWERED, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        ),
        open_since=Case(When(status=TicketStatus.OPEN, then=F("last_message_at"))),
    ).order_by("waiting_rank", F("open_since").asc(nulls_last=True), "-last_message_at", "-id")


def order_context(ticket: Ticket) -> list[Order]:
    """The ticket's orders as staff need them beside the thread: status, charge,
    remains, and each provider submission's state (``order.submission_rows``)."""
    return list(
        ticket.orders.select_related("service")
        .prefetch_related(
            Prefetch(
                "submissions",
                queryset=Submission.objects.select_related("provider").order_by("run"),
                to_attr="submission_rows",
            )
        )
        .order_by("-id")
    )


def orders_to_pick(user, preselected: Iterable[int] = ()) -> list[Order]:
    """The user's last orders to choose a ticket's orders from, plus any of the user's
    own ``preselected`` orders older than those (others' ids are silently left out)."""
    recent = list(Order.objects.filter(user=user).select_related("service")[:PICKABLE_ORDERS])
    shown = {o.pk for o in recent}
    extra = [pk for pk in preselected if pk not in shown]
    if extra:
        recent = list(Order.objects.filter(user=user, pk__in=extra).select_related("service")) + (
            recent
        )
    return recent


def canned_replies() -> list[CannedReply]:
    return list(CannedReply.objects.all())


def canned_reply(pk: int) -> CannedReply | None:
    if not 0 < pk <= MAX_ID:
        return None
    return CannedReply.objects.filter(pk=pk).first()


def open_ticket_on_subject(
    user, kind: str, order_ids: Iterable[int], title: str, since: datetime
) -> int | None:
    """The id of the user's open or answered ticket on the same subject, active since
    ``since``: same kind and an order in common, or, for a kind that may be about no
    order, same kind, no orders and the same title (ignoring case and spacing)."""
    order_ids = list(order_ids)
    rows = Ticket.objects.filter(
        user=user, kind=kind, status__in=ACTIVE_TICKET_STATUSES, last_message_at__gte=since
    ).order_by("-last_message_at", "-id")
    if order_ids:
        rows = rows.filter(orders__pk__in=order_ids)
    elif kind in TITLED_KINDS and fold(title):
        rows = rows.filter(orders__isnull=True)
        folded = fold(title)
        return next((t.pk for t in rows.only("id", "title") if fold(t.title) == folded), None)
    else:
        return None
    return rows.values_list("pk", flat=True).first()


def tickets_opened_since(user, since: datetime) -> int:
    """How many tickets the user opened since ``since``."""
    return Ticket.objects.filter(user=user, created_at__gte=since).count()
