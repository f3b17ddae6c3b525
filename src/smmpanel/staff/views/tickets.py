"""Staff ticket pages: the inbox (open tickets first), a ticket's thread beside its
orders, replies with canned answers, assignment and closing. Thin views over
``support.services`` and ``support.selectors``."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from smmpanel.staff.permissions import TICKETS, staff_required
from smmpanel.support import selectors, services
from smmpanel.support.errors import TicketError
from smmpanel.support.forms import CannedReplyForm, InboxFilterForm, ReplyForm

PAGE_SIZE = 50


def _is_id(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 18


def _ticket(ticket_id: int):
    ticket = selectors.staff_ticket(ticket_id)
    if ticket is None:
        raise Http404("No such ticket")
    return ticket


@staff_required(TICKETS)
def inbox(request):
    filters = InboxFilterForm(request.GET or None)
    wanted = filters.cleaned_data if filters.is_valid() else {}
    rows = selectors.staff_inbox(
        status=wanted.get("status", ""),
        assigned=wanted.get("assigned", ""),
        search=wanted.get("search", ""),
        staff=request.user,
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "staff/tickets/inbox.html",
        {"filters": filters, "page": page, "query": query.urlencode()},
    )


@staff_required(TICKETS)
def ticket(request, ticket_id: int):
    ticket = _ticket(ticket_id)
    if request.method == "POST":
        form = ReplyForm(request.POST)
        if form.is_valid():
            try:
                services.reply(ticket, request.user, form.cleaned_data["body"])
            except TicketError as exc:
                form.add_error("body", exc.message)
            else:
                messages.success(request, _("Reply sent."))
                return redirect("staff:ticket", ticket_id=ticket.pk)
    else:
        canned_id = request.GET.get("canned", "")
        canned = selectors.canned_reply(int(canned_id)) if _is_id(canned_id) else None
        form = ReplyForm(initial={"body": canned.body} if canned else None)
    return render(
        request,
        "staff/tickets/ticket.html",
        {
            "ticket": ticket,
            "thread": selectors.thread(ticket),
            "orders": selectors.order_context(ticket),
            "canned": selectors.canned_replies(),
            "form": form,
        },
    )


@staff_required(TICKETS)
@require_POST
def ticket_assign(request, ticket_id: int):
    ticket = _ticket(ticket_id)
    if request.POST.get("to") == "none":
        services.assign(ticket, None, actor=request.user)
        messages.success(request, _("Ticket #%(id)s unassigned.") % {"id": ticket.pk})
    else:
        services.assign(ticket, request.user, actor=request.user)
        messages.success(request, _("Ticket #%(id)s is yours.") % {"id": ticket.pk})
    return redirect("staff:ticket", ticket_id=ticket.pk)


@staff_required(TICKETS)
@require_POST
def ticket_close(request, ticket_id: int):
    ticket = _ticket(ticket_id)
    if services.close_ticket(ticket, request.user):
        messages.success(request, _("Ticket #%(id)s closed.") % {"id": ticket.pk})
    return redirect("staff:ticket", ticket_id=ticket.pk)


@staff_required(TICKETS)
def canned_replies(request):
    form = CannedReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.add_canned_reply(
            form.cleaned_data["title"], form.cleaned_data["body"], actor=request.user
        )
        messages.success(request, _("Canned reply saved."))
        return redirect("staff:canned-replies")
    return render(
        request,
        "staff/tickets/canned.html",
        {"form": form, "replies": selectors.canned_replies()},
    )


@staff_required(TICKETS)
@require_POST
def canned_reply_remove(request, pk: int):
    canned = selectors.canned_reply(pk)
    if canned is None:
        raise Http404("No such canned reply")
    services.remove_canned_reply(canned, actor=request.user)
    messages.success(request, _("Canned reply removed."))
    return redirect("staff:canned-replies")
