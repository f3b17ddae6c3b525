"""Writes for support tickets: open (through the policy gate), reply, close, assign,
and the staff's canned replies."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from smmpanel.audit.services import audit
from smmpanel.notifications.services import clear_alert, notify, raise_alert
from smmpanel.orders.models import Order
from smmpanel.policy import decision_points
from smmpanel.support import selectors
from smmpanel.support.errors import TicketError, TicketRefused
from smmpanel.support.models import (
    KINDS_NEEDING_ORDERS,
    CannedReply,
    Ticket,
    TicketKind,
    TicketMessage,
    TicketStatus,
)
from smmpanel.support.selectors import fold

TITLE_MAX = 200
BODY_MAX = 10_000
ORDERS_MAX = 50


def _clean_text(text: str, *, field: str, limit: int, required: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise TicketError(required, field)
    if len(text) > limit:
        raise TicketError(_("Please keep it under %(limit)s characters.") % {"limit": limit}, field)
    return text


def _own_orders(user, order_ids: Iterable[int | str]) -> list[Order]:
    """The user's orders among ``order_ids``; any id that is not theirs (missing or
    another user's: the same answer) is refused."""
    ids: list[int] = []
    for raw in order_ids:
        text = str(raw).strip().lstrip("#")
        if not text:
            continue
        if not (text.isascii() and text.isdigit() and len(text) <= 18):
            raise TicketError(_("Order %(id)s is not one of your orders.") % {"id": text}, "orders")
        if int(text) not in ids:
            ids.append(int(text))
    if len(ids) > ORDERS_MAX:
        raise TicketError(
            _("A ticket can be about at most %(max)s orders.") % {"max": ORDERS_MAX}, "orders"
        )
    found = {o.pk: o for o in Order.objects.filter(user=user, pk__in=ids)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise TicketError(
            _("Order %(id)s is not one of your orders.") % {"id": missing[0]}, "orders"
        )
    return [found[pk] for pk in ids]


def _search_text(ticket: Ticket, user, orders: list[Order]) -> str:
    return fold(" ".join([ticket.title, user.email, *(f"#{o.pk}" for o in orders)]))


def open_ticket(
    user, kind: str, title: str, body: str, order_ids: Iterable[int | str] = ()
) -> Ticket:
    """Open a ticket with its first message, about some of the user's own orders.

    Raises ``TicketError`` for bad input (nothing written) and ``TicketRefused`` when
    the policy refuses it (a duplicate of an open ticket, which it names, or a flood).
    """
    if kind not in TicketKind.values:
        raise TicketError(_("Choose what the ticket is about."), "kind")
    title = _clean_text(title, field="title", limit=TITLE_MAX, required=_("Enter a title."))
    body = _clean_text(body, field="body", limit=BODY_MAX, required=_("Write your message."))
    orders = _own_orders(user, order_ids)
    if kind in KINDS_NEEDING_ORDERS and not orders:
        raise TicketError(_("Pick the order or orders this ticket is about."), "orders")

    own_ids = [o.pk for o in orders]
    verdict = decision_points.check_ticket(
        user,
        open_ticket_on_subject=lambda since: selectors.open_ticket_on_subject(
            user, kind, own_ids, title, since=since
        ),
        tickets_opened_since=lambda since: selectors.tickets_opened_since(user, since),
    )
    if not verdict.allowed:
        hit = verdict.deciding
        raise TicketRefused(
            hit.message_en,
            hit.message_uk,
            hit.code,
            existing_ticket_id=hit.inputs.get("open_ticket_same_subject"),
        )

    now = timezone.now()
    with transaction.atomic():
        ticket = Ticket(user=user, kind=kind, title=title, last_message_at=now)
        ticket.search_text = _search_text(ticket, user, orders)
        ticket.save()
        ticket.orders.set(orders)
        TicketMessage.objects.create(
            ticket=ticket, author=user, is_staff=False, body=body, search_text=fold(body)
        )
        raise_alert(
            f"ticket:{ticket.pk}", "ticket_new", ticket=ticket.pk, email=user.email, subject=title
        )
    return ticket


def reply(ticket: Ticket, author, body: str) -> TicketMessage:
    """Add a message to the thread.

    The customer's reply makes the ticket ``open`` (waiting for staff), reopening a
    closed one; a staff reply makes it ``answered`` and, when nobody has it yet,
    assigns it to that staff member (and is audited). Only the ticket's customer and
    staff may reply.
    """
    by_staff = author.pk != ticket.user_id
    if by_staff and not author.is_staff:
        raise PermissionError("only the ticket's customer and staff may reply")
    body = _clean_text(body, field="body", limit=BODY_MAX, required=_("Write your message."))
    now = timezone.now()
    changes = {
        "status": TicketStatus.ANSWERED if by_staff else TicketStatus.OPEN,
        "last_message_at": now,
        "updated_at": now,
        "closed_at": None,
    }
    with transaction.atomic():
        message = TicketMessage.objects.create(
            ticket=ticket, author=author, is_staff=by_staff, body=body, search_text=fold(body)
        )
        Ticket.objects.filter(pk=ticket.pk).update(**changes)
        if by_staff:
            Ticket.objects.filter(pk=ticket.pk, assigned_to__isnull=True).update(assigned_to=author)
            audit(
                "ticket.reply",
                actor=author,
                user=ticket.user,
                ticket=ticket.pk,
                reason=f"replied to ticket #{ticket.pk}: {_excerpt(body)}",
            )
            notify(ticket.user, "ticket_answered", ticket=ticket.pk, subject=ticket.title)
            clear_alert(f"ticket:{ticket.pk}")
    ticket.refresh_from_db()
    return message


def _excerpt(text: str, limit: int = 200) -> str:
    """The start of a message, on one line, for the audit log."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def close_ticket(ticket: Ticket, by) -> bool:
    """Close the ticket (its customer or staff; staff's close is audited). Returns False
    if it already was."""
    by_staff = by.pk != ticket.user_id
    if by_staff and not by.is_staff:
        raise PermissionError("only the ticket's customer and staff may close it")
    now = timezone.now()
    with transaction.atomic():
        closed = (
            Ticket.objects.filter(pk=ticket.pk)
            .exclude(status=TicketStatus.CLOSED)
            .update(status=TicketStatus.CLOSED, closed_at=now, updated_at=now)
        )
        if closed and by_staff:
            audit(
                "ticket.close",
                actor=by,
                user=ticket.user,
                ticket=ticket.pk,
                reason=f"closed ticket #{ticket.pk}",
            )
    ticket.refresh_from_db()
    return closed == 1


def assign(ticket: Ticket, staff, *, actor=None) -> None:
    """Give the ticket to a staff member (None: back to unassigned); audited as done by
    ``actor`` (the staff member who assigned it; the system when None)."""
    if staff is not None and not staff.is_staff:
        raise ValueError("tickets are assigned to staff only")
    to = f"assigned to {staff.email}" if staff is not None else "unassigned"
    with transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(assigned_to=staff, updated_at=timezone.now())
        audit(
            "ticket.assign",
            actor=actor,
            user=ticket.user,
            ticket=ticket.pk,
            reason=f"ticket #{ticket.pk} {to}",
        )
    ticket.refresh_from_db()


def add_canned_reply(title: str, body: str, *, actor=None) -> CannedReply:
    """Save a ready answer staff can pick to prefill replies; audited as ``actor``'s."""
    title = (title or "").strip()
    body = (body or "").replace("\r\n", "\n").strip()
    if not title or not body:
        raise ValueError("a canned reply needs a title and a text")
    with transaction.atomic():
        canned = CannedReply.objects.create(title=title[:120], body=body)
        audit(
            "canned_reply.add",
            actor=actor,
            canned_reply=canned.pk,
            reason=f"canned reply {canned.title!r} added: {_excerpt(body)}",
        )
    return canned


def remove_canned_reply(canned: CannedReply, *, actor=None) -> None:
    """Delete a canned reply (replies already sent keep their text); audited as
    ``actor``'s."""
    with transaction.atomic():
        audit(
            "canned_reply.remove",
            actor=actor,
            canned_reply=canned.pk,
            reason=f"canned reply {canned.title!r} removed",
        )
        canned.delete()
