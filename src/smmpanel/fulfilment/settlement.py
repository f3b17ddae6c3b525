"""Settling an order once every one of its runs has a final upstream outcome.

Delivered = sent − remains over all runs; a run the provider refused after the order
started counts as wholly undelivered. Money then moves exactly once, through the
order services: all delivered → Completed; none → Canceled with full refund;
otherwise → Partial with charge × remains / quantity refunded.
"""

from django.db import connection, transaction

from smmpanel.orders import services as orders
from smmpanel.orders.errors import InvalidTransition
from smmpanel.orders.models import Order, OrderStatus
from smmpanel.providers.models import Submission, SubmissionState

SETTLEABLE = (OrderStatus.PENDING, OrderStatus.IN_PROGRESS, OrderStatus.PROCESSING)


def settle_if_finished(order_id: int) -> str | None:
    """Settle ``order_id`` if all its runs are final; returns the new status or None."""
    with transaction.atomic():
        # Lock the order: two runs finishing at once must not each see the other as still
        # running (PostgreSQL, READ COMMITTED) and leave the order unsettled.
        orders_q = Order.objects.select_related("user")
        if connection.features.has_select_for_update:
            orders_q = orders_q.select_for_update(of=("self",))
        order = orders_q.get(pk=order_id)
        if order.status not in SETTLEABLE:
            return None
        subs = list(Submission.objects.filter(order_id=order_id))
        runs = order.runs or 1
        if len(subs) < runs or any(
            s.state not in (SubmissionState.DONE, SubmissionState.REFUSED) for s in subs
        ):
            return None
        remains = sum(
            s.quantity if s.state == SubmissionState.REFUSED or s.remains is None else s.remains
            for s in subs
        )
        first = min(subs, key=lambda s: s.run)
        try:
            if remains <= 0:
                # No real start count upstream: the order keeps the one it has.
                orders.complete_order(order, start_count=first.start_count or None)
            elif remains >= order.total_quantity:
                orders.cancel_and_refund(order, note="canceled upstream")
            else:
                orders.refund_remains(order, remains, note="partial upstream")
        except InvalidTransition:
            return None  # someone else settled it first
        return order.status
