"""Reads for subscription orders (the API v2 "Subscriptions" type): a profile watched for
new posts, each new post given between ``min`` and ``max`` units, ``posts`` of them, the
charge for ``max`` × ``posts`` taken up front.

A subscription is one panel order forwarded upstream as one; its state in the words
PerfectPanel uses (Active, Paused, Completed, Expired, Canceled) is read from the
order's status, its expiry and whether the customer asked to cancel it."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from smmpanel.orders.models import ACTIVE_STATUSES, Order, OrderStatus
from smmpanel.orders.selectors import can_cancel

SUBSCRIPTION_TYPE = "subscriptions"


class SubscriptionState(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    COMPLETED = "completed", _("Completed")
    EXPIRED = "expired", _("Expired")
    CANCELED = "canceled", _("Canceled")


# The names API v2 clients read in ``status`` for a subscription (PerfectPanel's).
API_NAMES = {
    SubscriptionState.ACTIVE: "Active",
    SubscriptionState.PAUSED: "Paused",
    SubscriptionState.COMPLETED: "Completed",
    SubscriptionState.EXPIRED: "Expired",
    SubscriptionState.CANCELED: "Canceled",
}
# Held by the panel (policy review, a provider's refusal waiting for staff): not running.
_HELD = (OrderStatus.REVIEW, OrderStatus.FAIL)


def is_subscription(params: Mapping[str, object] | None) -> bool:
    """Whether an order with these parameters is a subscription: only that type takes
    ``posts`` (``catalog.service_types``), so no read of the service is needed."""
    return bool(params) and "posts" in params and "username" in params


def expiry_of(params: Mapping[str, object] | None) -> date | None:
    """The subscription's expiry date (``dd/mm/yyyy`` as API v2 sends it), or None."""
    text = str((params or {}).get("expiry") or "").strip()
    # d/m/Y as API v2 documents it; m/d/Y, which clients also send, where that fails.
    for shape in ("%d/%m/%Y", "%m/%d/%Y", "%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, shape).replace(tzinfo=UTC).date()
        except ValueError:
            continue
    return None


def subscription_state(
    status: str,
    params: Mapping[str, object] | None,
    cancel_requested_at: datetime | None,
    now: datetime | None = None,
) -> SubscriptionState:
    """A subscription's state from its order's ``status``: running → Active, held for
    staff → Paused, Completed; Canceled, or ended short (Partial) → Canceled when the
    customer asked to cancel, Expired when its expiry date has passed, else Canceled
    (the provider stopped it)."""
    if status in _HELD:
        return SubscriptionState.PAUSED
    if status in ACTIVE_STATUSES:
        return SubscriptionState.ACTIVE
    if status == OrderStatus.COMPLETED:
        return SubscriptionState.COMPLETED
    if status == OrderStatus.PARTIAL and cancel_requested_at is None:
        expiry = expiry_of(params)
        if expiry is not None and expiry < (now or timezone.now()).date():
            return SubscriptionState.EXPIRED
    return SubscriptionState.CANCELED


@dataclass(frozen=True)
class SubscriptionRow:
    order: Order
    username: str
    posts: int
    low: int  # min per post
    high: int  # max per post
    delay: int | None  # minutes after a new post
    expiry: date | None
    state: SubscriptionState
    posts_delivered: int
    can_cancel: bool

    @property
    def state_label(self) -> str:
        return str(self.state.label)


def _number(params: Mapping[str, object], name: str) -> int:
    text = str(params.get(name) or "").strip()
    return int(text) if text.isdigit() else 0


def posts_delivered(order: Order) -> int:
    """How many posts the delivery so far covers: the units delivered (all of them once
    completed; charged max × posts less what remains) over ``max`` per post, at most
    ``posts``. A pending order has delivered nothing."""
    params = order.params or {}
    posts, high = _number(params, "posts"), _number(params, "max")
    if order.status == OrderStatus.COMPLETED:
        return posts
    if order.status in (OrderStatus.PENDING, *_HELD) or not high:
        return 0
    delivered = max(high * posts - order.remains, 0)
    return min(posts, delivered // high)


def subscription_row(order: Order, now: datetime | None = None) -> SubscriptionRow:
    params = order.params or {}
    delay = str(params.get("delay") or "").strip()
    return SubscriptionRow(
        order=order,
        username=str(params.get("username", "")),
        posts=_number(params, "posts"),
        low=_number(params, "min"),
        high=_number(params, "max"),
        delay=int(delay) if delay.isdigit() else None,
        expiry=expiry_of(params),
        state=subscription_state(order.status, params, order.cancel_requested_at, now),
        posts_delivered=posts_delivered(order),
        can_cancel=can_cancel(order),
    )


def subscription_rows(
    user, before: int | None = None, size: int = 50
) -> tuple[list[SubscriptionRow], int | None]:
    """``user``'s subscription orders, newest first (keyset pages below ``before``);
    the rows and the cursor of the next page (or None)."""
    orders = Order.objects.filter(user=user, service__type=SUBSCRIPTION_TYPE).select_related(
        "service"
    )
    if before is not None:
        orders = orders.filter(pk__lt=before)
    page = list(orders.order_by("-id")[: size + 1])
    now = timezone.now()
    return [subscription_row(o, now) for o in page[:size]], (
        page[size - 1].pk if len(page) > size else None
    )
