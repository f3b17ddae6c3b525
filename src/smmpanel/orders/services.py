"""Writes for orders: placing, settling, cancelling and refilling.

Each function is one transaction; money moves only through ``billing.services`` and
status only through ``orders.state.transition``.
"""

from collections.abc import Mapping
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from smmpanel.billing import services as billing
from smmpanel.billing.models import Wallet
from smmpanel.billing.money import share_of
from smmpanel.catalog.models import Service
from smmpanel.orders.errors import InvalidTransition, OrderRefused
from smmpanel.orders.models import ACTIVE_STATUSES, Order, OrderEvent, Refill, RefillStatus
from smmpanel.orders.models import OrderStatus as S
from smmpanel.orders.order_input import check_order
from smmpanel.orders.state import transition
from smmpanel.providers.outbox import queue_order, queue_refill, withdraw_unsent

NOT_ENOUGH_FUNDS = "Not enough funds on balance"
ACTIVE_ORDER_EXISTS = (
    "You have active order with this link. Please wait until order being completed."
)


def place_order(
    user, service: Service, data: Mapping[str, object], *, source: str = "api"
) -> Order:
    """Check, charge and record a new order in one transaction; it starts ``Pending``.

    Refusals raise ``OrderRefused`` before anything is written. The wallet row is
    locked first (PostgreSQL; SQLite's IMMEDIATE transaction already serialises
    writers), so the one-active-order check and the debit cannot race with a
    concurrent order of the same user.
    """
    checked = check_order(service, data)
    with transaction.atomic():
        if connection.features.has_select_for_update:
            Wallet.objects.select_for_update().filter(user=user).first()
        if (
            not service.allow_multiple_active
            and Order.objects.filter(
                user=user,
                service=service,
                link_key=checked.canonical.key,
                status__in=ACTIVE_STATUSES,
            ).exists()
        ):
            raise OrderRefused(ACTIVE_ORDER_EXISTS, field="link")
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
            status=S.PENDING,
            remains=checked.total_quantity,
            source=source,
        )
        try:
            billing.charge_order(order)
        except billing.InsufficientFunds:
            raise OrderRefused(NOT_ENOUGH_FUNDS, field="quantity") from None
        OrderEvent.objects.create(order=order, to_status=S.PENDING, note=f"placed via {source}")
        queue_order(order)
    return order


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
        billing.refund_order(order, share_of(order.charge_micros, remains, total), "partial")
    return order


def cancel_and_refund(order: Order, *, actor=None, note: str = "") -> Order:
    """End the order ``Canceled`` and refund its whole charge as one ledger entry."""
    with transaction.atomic():
        transition(order, S.CANCELED, actor=actor, note=note)
        billing.refund_order(order, order.charge_micros, "canceled")
    return order


def request_cancel(user, order_id: object) -> Order:
    """A customer's cancel: immediate with full refund while the order is still ours
    (``Pending``), otherwise recorded for the provider to act on."""
    order = _own_order(user, order_id)
    if not order.service.cancel:
        raise OrderRefused(_("Cancel is not available for this service"))
    if order.status not in (S.PENDING, S.IN_PROGRESS, S.PROCESSING):
        raise OrderRefused(_("This order can no longer be canceled"))
    if order.status == S.PENDING:
        try:
            with transaction.atomic():
                if withdraw_unsent(order):
                    return cancel_and_refund(order, actor=user, note="canceled by customer")
        except InvalidTransition:
            pass  # a worker moved it first: fall through to a request
        order.refresh_from_db()
    if order.cancel_requested_at is not None:
        raise OrderRefused(_("Cancel has already been requested for this order"))
    Order.objects.filter(pk=order.pk, cancel_requested_at__isnull=True).update(
        cancel_requested_at=timezone.now()
    )
    return order


def request_refill(user, order_id: object) -> Refill:
    """Open a refill for a finished order of a refill service within its refill period."""
    order = _own_order(user, order_id)
    service = order.service
    if not service.refill:
        raise OrderRefused(_("Refill is not available for this service"))
    if order.status not in (S.COMPLETED, S.PARTIAL):
        raise OrderRefused(_("Refill is available only for completed orders"))
    if (
        service.refill_days
        and order.finished_at
        and timezone.now() > order.finished_at + timedelta(days=service.refill_days)
    ):
        raise OrderRefused(_("The refill period of this order has ended"))
    with transaction.atomic():
        if connection.features.has_select_for_update:
            Order.objects.select_for_update().filter(pk=order.pk).first()
        if order.refills.filter(
            status__in=(RefillStatus.PENDING, RefillStatus.IN_PROGRESS)
        ).exists():
            raise OrderRefused(_("A refill of this order is already in progress"))
        refill = Refill.objects.create(order=order, user=user)
        queue_refill(refill)
        return refill


def _own_order(user, order_id: object) -> Order:
    """The user's own order, or the same refusal as a missing one (no existence leak)."""
    try:
        pk = int(str(order_id).strip())
    except (TypeError, ValueError):
        pk = 0
    order = (
        Order.objects.select_related("service").filter(pk=pk, user=user).first()
        if 0 < pk < 2**62
        else None
    )
    if order is None:
        raise OrderRefused("Incorrect order ID")
    return order
