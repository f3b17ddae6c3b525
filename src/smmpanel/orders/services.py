"""Writes for orders: placing, settling, cancelling and refilling.

Each function is one transaction; money moves only through ``billing.services`` and
status only through ``orders.state.transition``.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from smmpanel.billing import services as billing
from smmpanel.billing.selectors import balance_of
from smmpanel.catalog.models import Service
from smmpanel.catalog.selectors import orderable_service
from smmpanel.catalog.service_types import QuantityFrom
from smmpanel.compiled_sql import CompiledQuery, RowInsert
from smmpanel.money import share_of
from smmpanel.notifications.services import notify
from smmpanel.numbers import whole_number
from smmpanel.orders.errors import InvalidTransition, OrderRefused
from smmpanel.orders.models import (
    ACTIVE_STATUSES,
    ONE_ACTIVE_PER_TARGET,
    Order,
    OrderEvent,
    Refill,
    RefillStatus,
)
from smmpanel.orders.models import OrderStatus as S
from smmpanel.orders.order_input import CheckedOrder, check_order
from smmpanel.orders.selectors import refill_ineligibility
from smmpanel.orders.state import transition
from smmpanel.policy import decision_points, engine, rulebook
from smmpanel.policy.mass_orders import MassOrderCheck
from smmpanel.policy.models import Outcome
from smmpanel.providers.outbox import (
    nudge_on_commit,
    queue_in_chain,
    queue_order,
    queue_refill,
    withdraw_unsent,
)
from smmpanel.write_chain import Taken, WriteChain

NOT_ENOUGH_FUNDS = "Not enough funds on balance"
BALANCE_FROZEN = "Your balance is under review and cannot be spent until the review ends"
ACTIVE_ORDER_EXISTS = (
    "You have active order with this link. Please wait until order being completed."
)


def place_order(
    user,
    service: Service,
    data: Mapping[str, object],
    *,
    source: str = "api",
    api_key=None,
) -> Order:
    """Check, decide by policy, charge and record a new order in one transaction.

    The order starts ``Pending`` (or ``Review`` when a policy rule holds it for staff).
    Refusals raise ``OrderRefused`` and leave nothing but their audit record: no order,
    no money moved. The usual order is written in one statement on PostgreSQL
    (``_record_in_one_write``), whose one-active-order check is backed by the
    ``ONE_ACTIVE_PER_TARGET`` constraint for a concurrent order it could not see yet;
    the rest check after the debit, whose UPDATE locks the wallet row until commit
    (SQLite's IMMEDIATE transaction serialises writers anyway).
    """
    return _place(user, service, data, source, api_key, _SingleOrder(user, api_key))


class _SingleOrder:
    """How one order meets the policy: decided, recorded and escalated at once (a mass
    order's lines meet it through ``policy.submissions.SubmissionLine`` instead)."""

    def __init__(self, user, api_key):
        self.user, self.api_key = user, api_key

    def check(self, service: Service, checked: CheckedOrder) -> engine.Verdict:
        return decision_points.check_order(self.user, service, checked, api_key=self.api_key)

    def refused(self, service_id: int, refusal: OrderRefused, verdict=None) -> None:
        if verdict is not None:
            return  # decision_points.check_order recorded the policy's refusal itself
        inputs = {"field": refusal.field or "", "service": service_id}
        decision_points.record_invalid_order(
            self.user,
            refusal.message,
            api_key=self.api_key,
            inputs=inputs if refusal.rule is None else None,
            rule=refusal.rule or decision_points.VALIDATION_RULE,
        )


def _place(user, service: Service, data, source: str, api_key, policy) -> Order:
    """``place_order``'s steps; ``policy`` decides the order and hears of each refusal a
    customer is accountable for (``_SingleOrder`` or a mass order's ``SubmissionLine``)."""
    try:
        checked = check_order(service, data, user)
    except OrderRefused as refusal:
        policy.refused(service.pk, refusal)
        raise
    verdict = policy.check(service, checked)
    if not verdict.allowed:
        refusal = policy_refusal(verdict.deciding)
        policy.refused(service.pk, refusal, verdict)
        raise refusal
    try:
        return _charge_and_record(user, service, checked, verdict, source, api_key)
    except OrderRefused as refusal:
        if refusal.rule:  # a second active order; short funds are no invalid order
            policy.refused(service.pk, refusal)
        raise


def policy_refusal(hit: engine.RuleHit) -> OrderRefused:
    """A rule's refusal of an order, beside the field the rule is about (the link for
    most) or, for a rule about the account, above the form."""
    spec = rulebook.BY_CODE.get(hit.code)
    field = spec.field if spec is not None else "link"
    return OrderRefused(hit.message_en, field=field, rule=hit.code, message_uk=hit.message_uk)


def _charge_and_record(user, service, checked, verdict, source, api_key) -> Order:
    held = verdict.outcome == Outcome.REVIEW
    note = f"placed via {source}" + (f"; held by {verdict.deciding.code}" if held else "")
    values = dict(
        user=user,
        service=service,
        link=checked.link,
        canonical_link=checked.canonical.url,
        link_key=checked.canonical.key,
        quantity=checked.quantity,
        runs=checked.runs,
        interval=checked.interval,
        params=checked.params,
        charge_micros=checked.charge_micros,
        currency=user.wallet.currency,
        status=S.REVIEW if held else S.PENDING,
        remains=checked.total_quantity,
        source=source,
        exclusive=not service.allow_multiple_active,
    )
    try:
        if not verdict.hits and (checked.runs or 1) == 1:
            order = _record_in_one_write(user, service, checked, values, note)
            if order is not None:
                return order
            # Short funds, a frozen balance or an active order on the link: the steps
            # below find out which, and refuse with its message (or place the order,
            # if a review ended in between).
        return _record_step_by_step(user, service, checked, values, note, verdict, api_key)
    except IntegrityError as error:
        if _breaks_one_active_rule(error):
            raise OrderRefused(ACTIVE_ORDER_EXISTS, field="link", rule="order.duplicate") from None
        raise


def _record_in_one_write(user, service, checked, values: dict, note: str) -> Order | None:
    """The usual order (no policy hit to record, one run), written with its event, its
    submission, its debit and the debit's ledger entry: one statement on PostgreSQL
    (``write_chain``), in its own transaction. The debit comes first and holds unless
    the balance is short or frozen or an active order has the link; then nothing is
    written and None returned. A concurrent order for the same link that this
    statement's check could not see yet fails it on ``ONE_ACTIVE_PER_TARGET``."""
    chain = WriteChain()
    guard = _no_active_order(user, service, checked)
    billing.start_with_charge(chain, user, checked.charge_micros, only_if=guard)
    _with_order_and_event(chain, values, note)
    queue_in_chain(chain, order="order", quantity=values["quantity"])
    billing.record_charge(chain, user, checked.charge_micros, order="order")
    with chain.atomic():
        written = chain.run()
    if written is None:
        return None
    order = written["order"]
    nudge_on_commit(order.pk)
    return order


def _record_step_by_step(user, service, checked, values, note, verdict, api_key) -> Order:
    """An order with policy hits to record or several runs, and every order the one
    write refused: one transaction."""
    with transaction.atomic():
        # The wallet first, as the one write takes it: an order for the same link on
        # the other path would otherwise hold the wallet while waiting for this order's
        # entry in ``ONE_ACTIVE_PER_TARGET``, and this one wait for the wallet (a
        # deadlock). Held until commit, it also lets the same account's orders pass
        # from here one at a time, each seeing the ones before in the active-order check.
        billing.hold_wallet(user)
        order = _with_order_and_event(WriteChain(), values, note).run()["order"]
        decision_points.record_placed(verdict, order, api_key=api_key)
        queue_order(order)
        try:
            billing.charge_order(order, savepoint=False)
        except billing.InsufficientFunds:
            raise OrderRefused(NOT_ENOUGH_FUNDS, field="quantity") from None
        except billing.BalanceFrozen:
            raise OrderRefused(BALANCE_FROZEN, field="quantity") from None
        if _has_active_order(user, service, checked, placing=order):
            raise OrderRefused(ACTIVE_ORDER_EXISTS, field="link", rule="order.duplicate")
    return order


def _with_order_and_event(chain: WriteChain, values: dict, note: str) -> WriteChain:
    """Add a new order and its first event to ``chain`` (one statement on PostgreSQL)."""
    chain.insert("order", _insert_order, values)
    chain.insert(
        "event",
        _insert_event,
        {"to_status": values["status"], "note": note},
        order_id=Taken("order", "id"),
    )
    return chain


def _no_active_order(user, service: Service, checked: CheckedOrder) -> tuple[str, list]:
    """The one-active-order rule as an SQL condition on the debit (none when the
    service allows several active orders)."""
    if service.allow_multiple_active:
        return "", []
    sql, params = _ACTIVE_ON_TARGET.sql_with(
        user_id=user.pk, service_id=service.pk, key=checked.canonical.key, placing=0
    )
    return f"NOT EXISTS ({sql})", params


def _breaks_one_active_rule(error: IntegrityError) -> bool:
    """Whether ``error`` is ``ONE_ACTIVE_PER_TARGET`` refusing a second active order."""
    diag = getattr(error.__cause__, "diag", None)  # psycopg names the constraint
    if diag is not None:
        return diag.constraint_name == ONE_ACTIVE_PER_TARGET
    # SQLite names the unique index's columns instead.
    return _ONE_ACTIVE_COLUMNS in str(error)


def _has_active_order(
    user, service: Service, checked: CheckedOrder, placing: Order | None = None
) -> bool:
    """Whether the one-active-order-per-link rule refuses this order (``placing``: the
    order being placed, already written, which does not count)."""
    if service.allow_multiple_active:
        return False
    found = _ACTIVE_ON_TARGET.scalar(
        user_id=user.pk,
        service_id=service.pk,
        key=checked.canonical.key,
        placing=placing.pk if placing is not None else 0,
    )
    return found is not None


# Placing an order is the API's hottest write: its statements are built once (see
# ``compiled_sql``).
_insert_order = RowInsert(Order)
_insert_event = RowInsert(OrderEvent)
# How SQLite names ``ONE_ACTIVE_PER_TARGET`` in its error: the table's columns, in order.
_ONE_ACTIVE_COLUMNS = ", ".join(
    f"{Order._meta.db_table}.{Order._meta.get_field(name).column}"
    for constraint in Order._meta.constraints
    if constraint.name == ONE_ACTIVE_PER_TARGET
    for name in constraint.fields
)
_ACTIVE_ON_TARGET = CompiledQuery(
    lambda user_id, service_id, key, placing: (
        Order.objects.filter(
            user_id=user_id, service_id=service_id, link_key=key, status__in=ACTIVE_STATUSES
        )
        .exclude(pk=placing)
        .order_by()
        .values_list("pk")[:1]
    ),
    user_id=int,
    service_id=int,
    key=str,
    placing=int,
)


@dataclass(frozen=True)
class OrderQuote:
    """What ``place_order`` would do with this input, found without doing it.

    ``checked`` is the order as it would be placed (charge, total quantity), or None when
    the input is not one yet; ``refusals`` are what ``place_order`` would refuse, first
    one first, then what the rest of the input meets (see ``quote_order``); ``review`` is
    the policy hit that would hold the paid order for staff, if any.
    """

    checked: CheckedOrder | None
    refusals: tuple[OrderRefused, ...] = ()
    review: engine.RuleHit | None = None


def quote_order(user, service: Service, data: Mapping[str, object]) -> OrderQuote:
    """The dry run of ``place_order`` for live validation and price: the same input
    checks, policy rules, one-active-order rule and funds check with the same messages,
    but nothing is written, recorded or escalated and no money moves.

    ``place_order`` stops at the first refusal; to show the customer every field at
    fault at once, a refused link or quantity is replaced by a stand-in (the service's
    example link, its minimum quantity) and the rest checked again.
    """
    refusals: list[OrderRefused] = []
    trial = dict(data)
    while True:
        try:
            checked = check_order(service, trial, user)
            break
        except OrderRefused as refusal:
            refusals.append(refusal)
            stand_in = _stand_in(service, refusal.field)
            if stand_in is None or trial.get(refusal.field) == stand_in:
                return OrderQuote(None, tuple(refusals))
            trial[refusal.field] = stand_in
    if any(r.field == "link" for r in refusals):
        return OrderQuote(None, tuple(refusals))  # the policy would judge the stand-in
    verdict = engine.evaluate(
        rulebook.ORDER_PLACE, decision_points.order_facts(user, service, checked)
    )
    if not verdict.allowed:
        refusals.append(policy_refusal(verdict.deciding))
    if refusals:
        return OrderQuote(None if len(refusals) > 1 else checked, tuple(refusals))
    review = verdict.deciding if verdict.outcome == Outcome.REVIEW else None
    if _has_active_order(user, service, checked):
        refusal = OrderRefused(ACTIVE_ORDER_EXISTS, field="link", rule="order.duplicate")
        return OrderQuote(checked, (refusal,), review)
    if balance_of(user) < checked.charge_micros:
        return OrderQuote(checked, (OrderRefused(NOT_ENOUGH_FUNDS, field="quantity"),), review)
    return OrderQuote(checked, (), review)


def _stand_in(service: Service, field: str | None) -> str | None:
    """A value the service accepts for ``field``, to check the rest of an order with."""
    if field == "link" and service.service_type.needs_link:
        return service.link_format_spec.example
    if field == "quantity" and service.service_type.quantity_from is QuantityFrom.PARAM:
        return str(service.min_quantity)
    return None


MASS_ORDER_MAX_LINES = 500
MASS_ORDER_LINE_SHAPE = "service_id | link | quantity"


@dataclass(frozen=True)
class MassLine:
    """One line of a mass order and what became of it: an order or a refusal."""

    number: int  # 1-based line number in the text as typed
    text: str
    order: Order | None = None
    refusal: OrderRefused | None = None


def mass_order_lines(text: str) -> list[tuple[int, str]]:
    """The non-empty lines of a mass order, with their 1-based line numbers."""
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]


def place_mass_order(user, text: str, *, source: str = "web") -> list[MassLine]:
    """Place each ``service_id | link | quantity`` line as its own order.

    Lines are independent: each is checked, decided and charged as ``place_order`` does,
    so a refused line (a parse error too) costs nothing and stops nothing else. More than
    ``MASS_ORDER_MAX_LINES`` lines is refused as a whole, before anything.

    For the policy the whole text is one submission (``policy.submissions``): its refused
    lines (unreadable ones too) are recorded together, as one decision listing them, so a
    mass order with refused lines counts once towards ``abuse.invalid_orders``, as one
    web form refusal, and one refused line never turns the next into a refusal.
    """
    lines = mass_order_lines(text)
    if len(lines) > MASS_ORDER_MAX_LINES:
        raise OrderRefused(
            _("At most %(n)d lines per mass order") % {"n": MASS_ORDER_MAX_LINES}, field="orders"
        )
    submission = MassOrderCheck(user, len(lines))
    results = []
    for number, line in lines:
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3:
            refusal = OrderRefused(
                _("Expected %(shape)s") % {"shape": MASS_ORDER_LINE_SHAPE}, field="orders"
            )
            submission.refused(number, None, refusal)
            results.append(MassLine(number, line, refusal=refusal))
            continue
        service = orderable_service(parts[0])
        if service is None:
            refusal = OrderRefused("Incorrect service ID", field="service")
            submission.refused(number, None, refusal)
            results.append(MassLine(number, line, refusal=refusal))
            continue
        data = {"link": parts[1], "quantity": parts[2]}
        try:
            order = _place(user, service, data, source, None, submission.line(number))
        except OrderRefused as refusal:
            results.append(MassLine(number, line, refusal=refusal))
        else:
            results.append(MassLine(number, line, order=order))
    submission.close()
    return results


def complete_order(order: Order, *, start_count: int | None = None, actor=None) -> Order:
    """Mark the order fully delivered (no refund)."""
    fields = {"remains": 0}
    if start_count is not None:
        fields["start_count"] = start_count
    return transition(order, S.COMPLETED, actor=actor, **fields)


def refund_remains(order: Order, remains: int, *, actor=None, note: str = "") -> Order:
    """End the order ``Partial``: refund charge × remains / quantity as one ledger entry."""
    total = order.total_quantity
    if not 0 < remains < total:
        raise ValueError(f"remains must be between 1 and {total - 1} for a partial order")
    with transaction.atomic():
        transition(order, S.PARTIAL, actor=actor, note=note, remains=remains)
        refund = share_of(order.charge_micros, remains, total)
        billing.refund_order(order, refund, "partial")
        notify(order.user, "order_partial", order=order.pk, amount_micros=refund, remains=remains)
    return order


def cancel_and_refund(order: Order, *, actor=None, note: str = "") -> Order:
    """End the order ``Canceled`` and refund its whole charge as one ledger entry."""
    kind = "order_failed" if order.status == S.FAIL else "order_canceled"
    with transaction.atomic():
        transition(order, S.CANCELED, actor=actor, note=note)
        billing.refund_order(order, order.charge_micros, "canceled")
        notify(order.user, kind, order=order.pk, amount_micros=order.charge_micros)
    return order


def request_cancel(user, order_id: object) -> Order:
    """A customer's cancel: immediate with full refund while the order is still ours
    (``Pending``), otherwise recorded for the provider to act on."""
    order = _own_order(user, order_id)
    _enforce(decision_points.check_cancel(user, order))
    return cancel_at_provider(order, actor=user, note="canceled by customer")


def cancel_at_provider(order: Order, *, actor, note: str) -> Order:
    """Cancel ``order`` the way its state allows, for a customer or for staff (``actor``).

    Still ours (``Pending``, nothing sent): canceled now with a full refund. Otherwise
    the cancel is recorded (``cancel_requested_at``) and ``fulfilment.customer_requests``
    sends API v2 ``cancel``; the refund then follows what the provider reports. Raises
    ``OrderRefused`` when the service or the order's state does not allow it.
    """
    if not order.service.cancel:
        raise OrderRefused(_("Cancel is not available for this service"))
    if order.status not in (S.PENDING, S.IN_PROGRESS, S.PROCESSING):
        raise OrderRefused(_("This order can no longer be canceled"))
    if order.status == S.PENDING:
        try:
            with transaction.atomic():
                if withdraw_unsent(order):
                    return cancel_and_refund(order, actor=actor, note=note)
        except InvalidTransition:
            pass  # a worker moved it first: fall through to a request
        order.refresh_from_db()
    if order.cancel_requested_at is not None:
        raise OrderRefused(_("Cancel has already been requested for this order"))
    Order.objects.filter(pk=order.pk, cancel_requested_at__isnull=True).update(
        cancel_requested_at=timezone.now()
    )
    order.refresh_from_db(fields=["cancel_requested_at"])
    return order


def request_refill(user, order_id: object) -> Refill:
    """Open a refill for a finished order of a refill service within its refill period."""
    order = _own_order(user, order_id)
    _enforce(decision_points.check_refill(user, order))
    ineligible = _refill_ineligibility(order)
    if ineligible:
        decision_points.record_ineligible_refill(user, order, ineligible)
        raise OrderRefused(ineligible)
    return open_refill(order)


def open_refill(order: Order) -> Refill:
    """Open a refill of ``order`` (for its customer, whoever asks) and queue it for the
    provider that has the order (API v2 ``refill``). Raises ``OrderRefused`` when the
    order cannot be refilled now or a refill of it is already going."""
    ineligible = _refill_ineligibility(order)
    if ineligible:
        raise OrderRefused(ineligible)
    with transaction.atomic():
        if connection.features.has_select_for_update:
            Order.objects.select_for_update().filter(pk=order.pk).first()
        if order.refills.filter(
            status__in=(RefillStatus.PENDING, RefillStatus.IN_PROGRESS)
        ).exists():
            raise OrderRefused(_("A refill of this order is already in progress"))
        refill = Refill.objects.create(order=order, user=order.user)
        queue_refill(refill)
        return refill


def _refill_ineligibility(order: Order) -> str | None:
    """Why this order cannot be refilled now, or None when it can (the rule lives in
    ``selectors.refill_ineligibility`` so the pages show the button by the same rule)."""
    return refill_ineligibility(order)


def _enforce(verdict) -> None:
    if not verdict.allowed:
        hit = verdict.deciding
        raise OrderRefused(hit.message_en, rule=hit.code, message_uk=hit.message_uk)


def _own_order(user, order_id: object) -> Order:
    """The user's own order, or the same refusal as a missing one (no existence leak)."""
    pk = whole_number(order_id)
    order = Order.objects.select_related("service").filter(pk=pk, user=user).first() if pk else None
    if order is None:
        raise OrderRefused("Incorrect order ID")
    return order


def move_refill(refill_id: int, status: str) -> bool:
    """Move an unfinished refill to ``status`` (the one place refill statuses change);
    a refill that already ended stays as it is. Returns whether it moved."""
    unfinished = (RefillStatus.PENDING, RefillStatus.IN_PROGRESS)
    with transaction.atomic():
        moved = (
            Refill.objects.filter(pk=refill_id, status__in=unfinished)
            .exclude(status=status)
            .update(status=status)
            == 1
        )
        if moved and status in REFILL_NOTICES:
            refill = Refill.objects.select_related("user").get(pk=refill_id)
            notify(refill.user, REFILL_NOTICES[status], order=refill.order_id)
    return moved


REFILL_NOTICES = {RefillStatus.COMPLETED: "refill_done", RefillStatus.REJECTED: "refill_rejected"}
