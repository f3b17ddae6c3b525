"""The order state machine: the allowed-transitions table and the one function that
moves an order along it."""

from django.db import transaction
from django.utils import timezone

from smmpanel.orders.errors import InvalidTransition
from smmpanel.orders.models import FINAL_STATUSES, Order, OrderEvent
from smmpanel.orders.models import OrderStatus as S

ALLOWED: dict[str, frozenset[str]] = {
    S.PENDING: frozenset({S.IN_PROGRESS, S.PROCESSING, S.COMPLETED, S.PARTIAL, S.CANCELED,
                          S.REVIEW, S.FAIL}),
    S.REVIEW: frozenset({S.PENDING, S.CANCELED}),
    S.FAIL: frozenset({S.PENDING, S.CANCELED}),
    S.IN_PROGRESS: frozenset({S.PROCESSING, S.COMPLETED, S.PARTIAL, S.CANCELED}),
    S.PROCESSING: frozenset({S.IN_PROGRESS, S.COMPLETED, S.PARTIAL, S.CANCELED}),
    S.COMPLETED: frozenset(),
    S.PARTIAL: frozenset(),
    S.CANCELED: frozenset(),
}  # fmt: skip


def can_move(from_status: str, to_status: str) -> bool:
    return to_status in ALLOWED.get(from_status, frozenset())


def transition(order: Order, to_status: str, *, actor=None, note: str = "", **fields) -> Order:
    """Move ``order`` to ``to_status`` if the table allows it and nobody moved it first.

    A conditional UPDATE on the current status makes concurrent writers safe on
    SQLite and PostgreSQL alike: the loser gets ``InvalidTransition``. ``fields`` are
    written in the same UPDATE (e.g. ``remains``). Writes one ``OrderEvent``.
    """
    from_status = order.status
    if not can_move(from_status, to_status):
        raise InvalidTransition(f"order {order.pk}: {from_status} → {to_status} is not allowed")
    now = timezone.now()
    if to_status in FINAL_STATUSES:
        fields["finished_at"] = now
    with transaction.atomic():
        moved = Order.objects.filter(pk=order.pk, status=from_status).update(
            status=to_status, updated_at=now, **fields
        )
        if moved != 1:
            raise InvalidTransition(f"order {order.pk} is no longer {from_status}")
        OrderEvent.objects.create(
            order=order, from_status=from_status, to_status=to_status, actor=actor, note=note[:500]
        )
    order.status = to_status
    order.updated_at = now
    for name, value in fields.items():
        setattr(order, name, value)
    return order
