"""Customer ticket pages: list, new ticket, thread with replies, close. Thin views over
``support.services`` and ``support.selectors``; another user's ticket is a 404, the
same as a missing id."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from smmpanel.support import selectors, services
from smmpanel.support.errors import TicketError, TicketRefused
from smmpanel.support.forms import ReplyForm, TicketForm
from smmpanel.support.models import TicketKind, TicketStatus

PAGE_SIZE = 50


def _own_ticket(request, ticket_id: int):
    ticket = selectors.ticket_for(request.user, ticket_id)
    if ticket is None:
        raise Http404("No such ticket")
    return ticket


def _ints(values) -> list[int]:
    return [int(v) for v in values if v.isascii() and v.isdigit() and len(v) <= 18]


@login_required
def ticket_list(request):
    status = request.GET.get("status", "")
    page = Paginator(selectors.tickets_of(request.user, status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "web/tickets/list.html",
        {"page": page, "status": status, "statuses": TicketStatus.choices},
    )


@login_required
def ticket_new(request):
    refused = None
    if request.method == "POST":
        form = TicketForm(request.POST)
        selected = request.POST.getlist("orders")
        if form.is_valid():
            data = form.cleaned_data
            try:
                ticket = services.open_ticket(
                    request.user, data["kind"], data["title"], data["body"], data["orders"]
                )
            except TicketError as exc:
                form.add_error(exc.field, exc.message)
            except TicketRefused as exc:
                refused = {
                    "message": exc.message_for(request.LANGUAGE_CODE),
                    "rule": exc.rule,
                    "ticket": exc.existing_ticket_id,
                }
            else:
                messages.success(request, _("Ticket #%(id)s opened.") % {"id": ticket.pk})
                return redirect("web:ticket-detail", ticket_id=ticket.pk)
        orders = selectors.orders_to_pick(request.user, _ints(selected))
    else:
        # ?order=<id> from an order's page: preselected when it is the user's own.
        orders = selectors.orders_to_pick(request.user, _ints([request.GET.get("order", "")]))
        selected = [str(o.pk) for o in orders if str(o.pk) == request.GET.get("order")]
        initial = {"orders": selected}
        if selected:
            initial |= {"kind": TicketKind.ORDER, "title": _("Order #%(id)s") % {"id": selected[0]}}
        form = TicketForm(initial=initial)
    return render(
        request,
        "web/tickets/new.html",
        {"form": form, "refused": refused, "orders": orders, "selected": set(_ints(selected))},
    )


@login_required
def ticket_detail(request, ticket_id: int):
    ticket = _own_ticket(request, ticket_id)
    form = ReplyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.reply(ticket, request.user, form.cleaned_data["body"])
        except TicketError as exc:
            form.add_error("body", exc.message)
        else:
            messages.success(request, _("Reply sent."))
            return redirect("web:ticket-detail", ticket_id=ticket.pk)
    context = {"ticket": ticket, "thread": selectors.thread(ticket), "form": form}
    if request.headers.get("HX-Request") and request.GET.get("part") == "thread":
        return render(request, "web/tickets/thread.html", context)
    return render(request, "web/tickets/detail.html", context)


@login_required
@require_POST
def ticket_close(request, ticket_id: int):
    ticket = _own_ticket(request, ticket_id)
    if services.close_ticket(ticket, request.user):
        messages.success(request, _("Ticket closed. Replying to it opens it again."))
    return redirect("web:ticket-detail", ticket_id=ticket.pk)
