"""How panel objects look on the wire in API v2: the de-facto shapes clients parse."""

from smmpanel.catalog.models import Service
from smmpanel.money import format_amount
from smmpanel.numbers import whole_number
from smmpanel.orders.models import Order, OrderStatus, Refill, RefillStatus
from smmpanel.orders.subscriptions import API_NAMES as SUBSCRIPTION_NAMES
from smmpanel.orders.subscriptions import is_subscription, subscription_state

# Review and Fail are the panel's own holds; API v2 clients know neither, and for them
# the order is charged and not yet running, which is what "Pending" means.
ORDER_STATUS_NAMES = {
    OrderStatus.PENDING: "Pending",
    OrderStatus.REVIEW: "Pending",
    OrderStatus.FAIL: "Pending",
    OrderStatus.IN_PROGRESS: "In progress",
    OrderStatus.PROCESSING: "Processing",
    OrderStatus.COMPLETED: "Completed",
    OrderStatus.PARTIAL: "Partial",
    OrderStatus.CANCELED: "Canceled",
}
REFILL_STATUS_NAMES = {
    RefillStatus.PENDING: "Pending",
    RefillStatus.IN_PROGRESS: "In progress",
    RefillStatus.COMPLETED: "Completed",
    RefillStatus.REJECTED: "Rejected",
}


def service_row(service: Service, rate_micros: int | None = None) -> dict:
    """One ``services`` entry; ``rate_micros`` is the caller's own rate when they have one."""
    return {
        "service": service.pk,
        "name": service.name,
        "type": service.service_type.name,
        "category": service.category.name,
        "rate": format_amount(service.rate_micros if rate_micros is None else rate_micros),
        "min": str(service.min_quantity),
        "max": str(service.max_quantity),
        "refill": service.refill,
        "cancel": service.cancel,
        "dripfeed": service.dripfeed,
    }


def order_status(order: Order) -> dict:
    """An order's ``status`` entry; ``order`` may be any row with the order's status
    fields (see ``orders.selectors.orders_by_id``). A subscription's ``status`` is its
    state in PerfectPanel's words: Active, Paused, Completed, Expired or Canceled."""
    if is_subscription(order.params):
        state = subscription_state(order.status, order.params, order.cancel_requested_at)
        name = SUBSCRIPTION_NAMES[state]
    else:
        name = ORDER_STATUS_NAMES[order.status]
    return {
        "charge": format_amount(order.charge_micros),
        "start_count": str(order.start_count),
        "status": name,
        "remains": str(order.remains),
        "currency": order.currency,
    }


def refill_status(refill: Refill) -> str:
    return REFILL_STATUS_NAMES[refill.status]


def id_value(text: str) -> int | str:
    """An id echoed back in a list answer: an integer when it is one, else as sent."""
    number = whole_number(text)
    return text if number is None else number
