"""Reads for the staff orders list, the staff order page and the orders export: every
customer's orders filtered, everything about one order
(its money, timeline, policy decisions, provider route and runs, refills, tickets), the
actions its state allows, and the filtered list as CSV rows read in chunks."""

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from smmpanel.audit.models import Decision
from smmpanel.billing.models import LedgerEntry
from smmpanel.money import format_amount
from smmpanel.orders.models import Order, OrderEvent, Refill, RefillStatus
from smmpanel.orders.models import OrderStatus as S
from smmpanel.orders.selectors import MAX_SEARCH, Page, refill_ineligibility
from smmpanel.policy.decision_points import TEXT_PARAMS
from smmpanel.providers.models import ServiceRoute, Submission, SubmissionState
from smmpanel.query_plans import planned_for_values
from smmpanel.support.models import Ticket

# The order actions of the page, each the verb of ``staff:order-action`` it posts to.
RESEND = "resend"
CANCEL = "cancel"
CANCEL_UPSTREAM = "cancel-upstream"
REFILL_UPSTREAM = "refill-upstream"
START_COUNT = "start-count"
PARTIAL = "partial"
COMPLETE = "complete"
ACTIONS = (RESEND, CANCEL_UPSTREAM, REFILL_UPSTREAM, START_COUNT, PARTIAL, COMPLETE, CANCEL)

# What staff read for a run's state: "active" means the provider accepted it.
RUN_STATES = {
    SubmissionState.QUEUED: gettext_lazy("queued"),
    SubmissionState.SENDING: gettext_lazy("sending"),
    SubmissionState.ACTIVE: gettext_lazy("sent"),
    SubmissionState.UNKNOWN: gettext_lazy("unknown"),
    SubmissionState.REFUSED: gettext_lazy("refused"),
    SubmissionState.DONE: gettext_lazy("done"),
}
RUNNING = (S.IN_PROGRESS, S.PROCESSING)
UNFINISHED = (S.PENDING, S.IN_PROGRESS, S.PROCESSING)
# Rows the export reads per query: memory stays flat whatever the list's length.
EXPORT_CHUNK = 2000


@dataclass(frozen=True)
class Run:
    """One provider run as the page shows it."""

    submission: Submission

    @property
    def state_label(self) -> str:
        state = self.submission.state
        return str(RUN_STATES.get(state, state))


@dataclass
class OrderPage:
    """Everything the staff order page shows about one order."""

    order: Order
    refunds: list[LedgerEntry]
    events: list[OrderEvent]
    decisions: list[Decision]
    routes: list[ServiceRoute]
    runs: list[Run]
    refills: list[Refill]
    tickets: list[Ticket]
    # verb → why the order's state does not allow it ("" when it does)
    refusals: dict[str, str] = field(default_factory=dict)

    @property
    def offered(self) -> set[str]:
        return {verb for verb, why in self.refusals.items() if not why}

    @property
    def refunded_micros(self) -> int:
        return sum(entry.amount_micros for entry in self.refunds)


def order_page(order: Order) -> OrderPage:
    """The staff order page's reads for ``order`` (one query per section)."""
    runs = list(
        Submission.objects.filter(order=order).select_related("provider", "route").order_by("run")
    )
    refills = list(Refill.objects.filter(order=order).select_related("refillsubmission__provider"))
    return OrderPage(
        order=order,
        refunds=list(
            LedgerEntry.objects.filter(order=order, kind=LedgerEntry.Kind.REFUND).order_by("id")
        ),
        events=list(OrderEvent.objects.filter(order=order).select_related("actor")),
        decisions=list(Decision.objects.filter(order=order).select_related("actor").order_by("id")),
        routes=list(
            ServiceRoute.objects.filter(service_id=order.service_id).select_related("provider")
        ),
        runs=[Run(s) for s in runs],
        refills=refills,
        tickets=list(Ticket.objects.filter(orders=order).order_by("-id")),
        refusals={verb: action_refusal(order, verb, runs, refills) for verb in ACTIONS},
    )


def action_refusal(
    order: Order,
    verb: str,
    runs: list[Submission] | None = None,
    refills: Iterable[Refill] | None = None,
) -> str:
    """Why ``order``'s state does not allow the staff action ``verb`` now, or "" when
    it does: the page offers only the allowed ones, the action view refuses the rest
    with this reason before any service runs. ``runs`` and ``refills`` are read when
    not given."""
    if runs is None:
        runs = list(Submission.objects.filter(order=order))
    status, label = order.status, order.get_status_display().lower()
    not_now = _("Not possible for an order that is %(status)s.") % {"status": label}
    if verb == RESEND:
        return "" if status == S.FAIL else _("Only a failed order can be resent.")
    if verb == CANCEL:
        if status not in (*UNFINISHED, S.FAIL, S.REVIEW):
            return not_now
        if any(s.state in (SubmissionState.ACTIVE, SubmissionState.SENDING) for s in runs):
            return _(
                "This order is running at the provider: cancel it at the provider, or mark "
                "it partial when it ends."
            )
        return ""
    if verb == CANCEL_UPSTREAM:
        if not order.service.cancel:
            return _("Cancel is not available for this service")
        if status not in UNFINISHED:
            return not_now
        if order.cancel_requested_at is not None:
            return _("Cancel has already been requested for this order")
        return ""
    if verb == REFILL_UPSTREAM:
        ineligible = refill_ineligibility(order)
        if ineligible:
            return ineligible
        if refills is None:
            refills = Refill.objects.filter(order=order)
        if any(r.status in (RefillStatus.PENDING, RefillStatus.IN_PROGRESS) for r in refills):
            return _("A refill of this order is already in progress")
        return ""
    if verb == START_COUNT:
        return _("A canceled order has no start count.") if status == S.CANCELED else ""
    if verb == PARTIAL:
        if status not in UNFINISHED:
            return not_now
        return "" if order.total_quantity > 1 else _("An order of one unit cannot be partial.")
    if verb == COMPLETE:
        return "" if status in UNFINISHED else not_now
    return ""


# --- every customer's orders, filtered --------------------------------------------------


@dataclass(frozen=True)
class StaffOrderFilter:
    """What the staff orders page narrows by; empty fields do not narrow.

    Dates are UTC days, both ends included.
    """

    status: str = ""
    provider_id: int | None = None
    service_id: int | None = None
    user_id: int | None = None
    email: str = ""
    link: str = ""
    order_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    provider_order_id: str = ""


@planned_for_values
def staff_orders_page(
    filters: StaffOrderFilter, before: int | None = None, limit: int = 50
) -> Page:
    """One keyset page of all customers' orders matching ``filters`` (``staff_orders``),
    newest first. Pages on the id like the customer's list: no count, no offset."""
    orders = staff_orders(filters)
    if before is not None:
        orders = orders.filter(pk__lt=before)
    found = list(orders[: limit + 1])
    return Page(found[:limit], found[limit - 1].pk if len(found) > limit else None)


def staff_orders(filters: StaffOrderFilter):
    """All customers' orders matching ``filters``, newest first, with their runs and the
    runs' providers prefetched (the list, and the CSV export in chunks).

    ``provider_id`` and ``provider_order_id`` match orders with a run sent (or to be
    sent) through that provider, under that upstream id (``providers.Submission``).
    Email and link match any part, in any case (Ukrainian too: emails are stored
    lower-case; a non-ASCII link is matched as typed and in lower case).
    """
    f = filters
    orders = Order.objects.select_related("user", "service")
    if f.status in S.values:
        orders = orders.filter(status=f.status)
    if f.order_id is not None:
        orders = orders.filter(pk=f.order_id)
    if f.service_id is not None:
        orders = orders.filter(service_id=f.service_id)
    if f.user_id is not None:
        orders = orders.filter(user_id=f.user_id)
    upstream_id = f.provider_order_id.strip()[:64]
    if f.provider_id is not None or upstream_id:
        runs = Submission.objects.all()
        if f.provider_id is not None:
            runs = runs.filter(provider_id=f.provider_id)
        if upstream_id:
            runs = runs.filter(provider_order_id=upstream_id)
        orders = orders.filter(pk__in=runs.values("order_id"))
    email = " ".join(f.email.split())[:MAX_SEARCH]
    if email:
        orders = orders.filter(
            Q(user__email__icontains=email)
            if email.isascii()
            else Q(user__email__contains=email.lower())
        )
    link = f.link.strip()[:MAX_SEARCH]
    if link:
        orders = orders.filter(
            Q(link__icontains=link)
            if link.isascii()
            else Q(link__contains=link) | Q(link__contains=link.lower())
        )
    if f.date_from is not None:
        orders = orders.filter(created_at__gte=datetime.combine(f.date_from, time.min, UTC))
    if f.date_to is not None:
        end = datetime.combine(f.date_to + timedelta(days=1), time.min, UTC)
        orders = orders.filter(created_at__lt=end)
    return orders.prefetch_related("submissions__provider").order_by("-id")


# --- the orders list as CSV ----------------------------------------------------------------

EXPORT_HEADER = (
    "id",
    "created_at",
    "customer",
    "service_id",
    "service",
    "link",
    "quantity",
    "charge",
    "currency",
    "start_count",
    "remains",
    "status",
    "providers",
    "provider_order_ids",
)


def orders_csv(filters: StaffOrderFilter) -> Iterator[str]:
    """The orders matching ``filters`` as CSV lines (header first), newest first, read
    ``EXPORT_CHUNK`` rows per query (``QuerySet.iterator``): 100,000 orders stream
    without ever being in memory at once."""
    line = _Line()
    yield line.of(EXPORT_HEADER)
    for order in staff_orders(filters).iterator(chunk_size=EXPORT_CHUNK):
        runs = list(order.submissions.all())
        yield line.of(
            (
                order.pk,
                order.created_at.isoformat(),
                order.user.email,
                order.service_id,
                order.service.name,
                order.link,
                order.quantity,
                format_amount(order.charge_micros),
                order.currency,
                order.start_count,
                order.remains,
                order.status,
                " ".join(dict.fromkeys(s.provider.name for s in runs if s.provider)),
                " ".join(s.provider_order_id for s in runs if s.provider_order_id),
            )
        )


class _Line:
    """Formats one CSV row at a time (``csv.writer`` wants a file to write to)."""

    def __init__(self) -> None:
        self.text = ""
        self.writer = csv.writer(self)

    def write(self, text: str) -> None:
        self.text = text

    def of(self, row: Iterable[object]) -> str:
        # A cell starting with = + - @ is a formula to a spreadsheet: quote it as text.
        self.writer.writerow(
            ["'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for v in row]
        )
        return self.text


# --- the moderation queue: why each held order is held ----------------------------------


def held_order_reasons(orders: list[Order]) -> None:
    """Give each held order of the moderation queue ``held_text`` (the text its policy
    check read) and ``held_decisions`` (the hold decisions, each with ``matched``: the
    terms or values its rule matched, from its inputs). One query for all of them."""
    by_order: dict[int, list[Decision]] = {o.pk: [] for o in orders}
    holds = Decision.objects.filter(order__in=list(by_order), outcome="review", actor=None)
    for decision in holds.order_by("id"):
        decision.matched = _matched(decision.inputs or {})
        by_order[decision.order_id].append(decision)
    for order in orders:
        order.held_decisions = by_order[order.pk]
        params = order.params or {}
        order.held_text = "\n".join(str(params[p]) for p in TEXT_PARAMS if params.get(p))


def _matched(inputs: dict) -> str:
    """A decision's inputs as one line: lists (the matched terms) joined."""
    return "; ".join(
        ", ".join(map(str, v)) if isinstance(v, list) else f"{k}: {v}"
        for k, v in sorted(inputs.items())
    )
