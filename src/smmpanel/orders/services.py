"""Writes for orders: placing, settling, cancelling and refilling.

Each function is one transaction; money moves only through ``billing.services`` and
status only through ``orders.state.transition``.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists
from django.utils import timezone
from django.utils.translation import gettext as _

from smmpanel.billing import services as billing
from smmpanel.billing.models import Wallet
from smmpanel.billing.selectors import WalletState
from smmpanel.catalog.models import Service
from smmpanel.catalog.selectors import orderable_service
from smmpanel.catalog.service_types import QuantityFrom
from smmpanel.compiled_sql import CompiledQuery
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
    queue_order,
    queue_refill,
    withdraw_unsent,
)

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
    no money moved. The transaction decides with ``order_refusal`` and writes, the
    wallet's debit last (SQLite's IMMEDIATE transaction serialises writers anyway);
    the ``ONE_ACTIVE_PER_TARGET`` constraint refuses a concurrent order for the same link
    that the check could not see yet, and the wallet's conditional debit a balance
    spent meanwhile.
    """
    return _place(user, service, data, source, api_key, _SingleOrder(user, api_key))


class _SingleOrder:
    """How one order meets the policy: decided, recorded and escalated at once (a mass
    order's lines meet it through ``policy.mass_orders.MassOrderLine`` instead)."""

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
    customer is accountable for (``_SingleOrder`` or a mass order's ``MassOrderLine``)."""
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
    """Write the order, its first event, its provider runs, its policy hits and its
    charge in one transaction, once ``order_refusal`` finds nothing against it."""
    held = verdict.outcome == Outcome.REVIEW
    note = f"placed via {source}" + (f"; held by {verdict.deciding.code}" if held else "")
    try:
        with transaction.atomic():
            refusal = order_refusal(checked, account_standing(user, service, checked))
            if refusal is not None:
                raise refusal
            order = Order.objects.create(
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
            OrderEvent.objects.create(order=order, to_status=order.status, note=note)
            decision_points.record_placed(verdict, order, api_key=api_key)
            queue_order(order)
            # The wallet last: its row lock, held until commit, covers only the debit, its
            # ledger entry and the commit, so one account's orders queue on it briefly.
            # Every order takes the order's unique key before the wallet, and nothing
            # takes them the other way round: no two orders deadlock.
            billing.charge_order(order, savepoint=False)
    except IntegrityError as error:
        # An order for the same link, uncommitted when this one's check read the orders:
        # the database's ``ONE_ACTIVE_PER_TARGET`` refuses this one once it commits.
        if _breaks_one_active_rule(error):
            raise OrderRefused(ACTIVE_ORDER_EXISTS, field="link", rule="order.duplicate") from None
        raise
    except billing.InsufficientFunds:
        # Spent by a concurrent order since the check read the balance.
        raise OrderRefused(NOT_ENOUGH_FUNDS, field="quantity") from None
    except billing.BalanceFrozen:
        raise OrderRefused(BALANCE_FROZEN, field="quantity") from None
    return order


@dataclass(frozen=True)
class Standing:
    """What the account holds against a new order: its wallet, and whether an order of
    the same service for the same link is still active (and the service allows one)."""

    wallet: WalletState
    active_order: bool


def account_standing(user, service: Service, checked: CheckedOrder) -> Standing:
    """The account's ``Standing`` for ``checked``, read in one statement. Orders placed
    before ``ONE_ACTIVE_PER_TARGET`` existed are not ``exclusive`` and escape the
    constraint; this read sees them. What changes after it is read is caught where it
    is written: a concurrent order for the same link by the constraint, a balance spent
    or frozen meanwhile by the wallet's conditional debit (``billing.charge_order``)."""
    row = _STANDING.first(user_id=user.pk, service_id=service.pk, key=checked.canonical.key)
    if row is None:
        raise Wallet.DoesNotExist(f"user {user.pk} has no wallet")
    balance_micros, frozen, active = row
    active = active and not service.allow_multiple_active
    return Standing(WalletState(balance_micros, frozen), active)


def order_refusal(checked: CheckedOrder, standing: Standing) -> OrderRefused | None:
    """Whether the account can take this order now: the one decision ``place_order``
    (inside its transaction) and ``quote_order`` share. A balance under review, short
    funds, or an active order on the same link refuse it, in that order; None accepts
    it. The input checks (``check_order``) and the policy's rules have decided before."""
    if standing.wallet.frozen:
        return OrderRefused(BALANCE_FROZEN, field="quantity")
    if standing.wallet.balance_micros < checked.charge_micros:
        return OrderRefused(NOT_ENOUGH_FUNDS, field="quantity")
    if standing.active_order:
        return OrderRefused(ACTIVE_ORDER_EXISTS, field="link", rule="order.duplicate")
    return None


def _breaks_one_active_rule(error: IntegrityError) -> bool:
    """Whether ``error`` is ``ONE_ACTIVE_PER_TARGET`` refusing a second active order."""
    diag = getattr(error.__cause__, "diag", None)  # psycopg names the constraint
    if diag is not None:
        return diag.constraint_name == ONE_ACTIVE_PER_TARGET
    # SQLite names the unique index's columns instead.
    return _ONE_ACTIVE_COLUMNS in str(error)


# How SQLite names ``ONE_ACTIVE_PER_TARGET`` in its error: the table's columns, in order.
_ONE_ACTIVE_COLUMNS = ", ".join(
    f"{Order._meta.db_table}.{Order._meta.get_field(name).column}"
    for constraint in Order._meta.constraints
    if constraint.name == ONE_ACTIVE_PER_TARGET
    for name in constraint.fields
)
# ``account_standing``'s read: the wallet's row, with whether an active order of the
# service has the link (compiled once, see ``compiled_sql``).
_STANDING = CompiledQuery(
    lambda user_id, service_id, key: (
        Wallet.objects.filter(user_id=user_id)
        .annotate(
            active=Exists(
                Order.objects.filter(
                    user_id=user_id,
                    service_id=service_id,
                    link_key=key,
                    status__in=ACTIVE_STATUSES,
                )
            )
        )
        .values_list("balance_micros", "frozen", "active")
    ),
    user_id=int,
    service_id=int,
    key=str,
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
    refusal = order_refusal(checked, account_standing(user, service, checked))
    return OrderQuote(checked, () if refusal is None else (refusal,), review)


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

    For the policy the whole text is one request (``policy.mass_orders``): its refused
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
