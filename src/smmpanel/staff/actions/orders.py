"""Staff actions on orders: approve, reject, cancel and refund, mark partial, resend,
cancel or refill at the provider, set the start count, complete, close a refill, and the
bulk form of each. Each takes the acting staff member and the reason, checks that the
actor may act on the order's owner, runs in one transaction and lands in the audit log.
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from smmpanel.accounts.staff_rank import ActingOnOwnRank, ensure_may_act_on
from smmpanel.audit.services import audit, required_reason
from smmpanel.billing import services as billing
from smmpanel.fulfilment.forwarding import resend
from smmpanel.orders import services as orders
from smmpanel.orders.errors import InvalidTransition, OrderRefused
from smmpanel.orders.models import Order, OrderStatus, Refill, RefillStatus
from smmpanel.orders.state import transition
from smmpanel.providers import outbox
from smmpanel.providers.models import RefillSubmission, Submission, SubmissionState

log = logging.getLogger(__name__)


def approve_order(order: Order, *, actor, reason: str) -> None:
    """A held (Review) order may go ahead: it becomes Pending and is forwarded."""
    ensure_may_act_on(actor, order.user)
    reason = required_reason(reason)
    with transaction.atomic():
        transition(order, OrderStatus.PENDING, actor=actor, note=f"approved: {reason}")
        audit(
            "order.approve",
            actor=actor,
            user=order.user,
            reason=reason,
            outcome="allow",
            order=order,
        )
    outbox.nudge_forwarding(order.pk)


def reject_order(order: Order, *, actor, reason: str) -> None:
    """A held (Review) order is refused: Canceled and refunded, exactly once."""
    staff_cancel(order, actor=actor, reason=reason, action="order.reject")


def staff_cancel(order: Order, *, actor, reason: str, action: str = "order.cancel") -> None:
    """Cancel an order with a full refund.

    Refused while the provider is running it (cancel upstream first, or mark it partial
    when it ends). A run in doubt ("unknown") is closed: staff checked upstream.
    """
    ensure_may_act_on(actor, order.user)
    reason = required_reason(reason)
    with transaction.atomic():
        delivered = Submission.objects.filter(
            order=order, state=SubmissionState.DONE, remains__isnull=False
        ).exclude(remains=F("quantity"))
        if delivered.exists():
            raise ValueError(
                "part of this order was delivered: mark it partial instead of canceling it"
            )
        if not outbox.withdraw_unsent(order):
            runs = Submission.objects.filter(order=order)
            if runs.filter(state__in=(SubmissionState.ACTIVE, SubmissionState.SENDING)).exists():
                raise ValueError(
                    "this order is running upstream: cancel it with the provider first, "
                    "or mark it partial when it ends"
                )
            runs.filter(state=SubmissionState.UNKNOWN).update(
                state=SubmissionState.DONE, error=f"closed by staff: {reason}"[:500]
            )
        orders.cancel_and_refund(order, actor=actor, note=reason)
        audit(action, actor=actor, user=order.user, reason=reason, outcome="reject", order=order)


def staff_mark_partial(order: Order, remains: int, *, actor, reason: str) -> None:
    """End a running order Partial with ``remains`` refunded pro rata."""
    ensure_may_act_on(actor, order.user)
    reason = required_reason(reason)
    with transaction.atomic():
        orders.refund_remains(order, remains, actor=actor, note=reason)
        audit(
            "order.partial",
            actor=actor,
            user=order.user,
            reason=reason,
            outcome="partial",
            order=order,
            remains=remains,
        )


def staff_resend(order: Order, *, actor, reason: str) -> None:
    """Send a failed order again after staff checked upstream (never automatic)."""
    ensure_may_act_on(actor, order.user)
    reason = required_reason(reason)
    if order.status != OrderStatus.FAIL:
        raise ValueError(_("Only a failed order can be resent."))
    with transaction.atomic():
        resend(order, actor=actor)
        audit(
            "order.resend",
            actor=actor,
            user=order.user,
            reason=reason,
            outcome="allow",
            order=order,
        )
    outbox.nudge_forwarding(order.pk)


def staff_cancel_at_provider(order: Order, *, actor, reason: str) -> Order:
    """Ask the provider to cancel a running order (API v2 ``cancel``), as a customer's
    cancel does: the sweep sends it and the refund follows the provider's answer. An
    order nothing of which left the panel yet is canceled and refunded at once.
    Raises ``ValueError`` with the reason when the service or state does not allow it."""
    ensure_may_act_on(actor, order.user)
    reason = required_reason(reason)
    try:
        with transaction.atomic():
            orders.cancel_at_provider(order, actor=actor, note=f"canceled by staff: {reason}")
            audit(
                "order.cancel_upstream",
                actor=actor,
                user=order.user,
                reason=reason,
                outcome="reject",
                order=order,
            )
    except OrderRefused as refusal:
        raise ValueError(refusal.message) from refusal
    return order


def staff_request_refill(order: Order, *, actor, reason: str) -> Refill:
    """Ask the provider to refill an order (API v2 ``refill``) for its customer, through
    the same refill a customer opens. Raises ``ValueError`` with the reason when the
    order cannot be refilled now or a refill of it is already going."""
    ensure_may_act_on(actor, order.user)
    reason = required_reason(reason)
    try:
        with transaction.atomic():
            refill = orders.open_refill(order)
            audit(
                "order.refill_upstream",
                actor=actor,
                user=order.user,
                reason=reason,
                outcome="allow",
                order=order,
                refill=refill.pk,
            )
    except OrderRefused as refusal:
        raise ValueError(refusal.message) from refusal
    return refill


def staff_set_start_count(order: Order, start_count: int, *, actor, reason: str) -> None:
    """Correct an order's start count (what the target showed before delivery)."""
    ensure_may_act_on(actor, order.user)
    reason = required_reason(reason)
    if isinstance(start_count, bool) or not isinstance(start_count, int) or start_count < 0:
        raise ValueError(_("The start count must be a whole number, 0 or more."))
    with transaction.atomic():
        changed = (
            Order.objects.filter(pk=order.pk)
            .exclude(status=OrderStatus.CANCELED)
            .update(start_count=start_count, updated_at=timezone.now())
        )
        if changed != 1:
            raise ValueError(_("A canceled order has no start count."))
        audit(
            "order.start_count",
            actor=actor,
            user=order.user,
            reason=reason,
            outcome="update",
            order=order,
            start_count=start_count,
            was=order.start_count,
        )
    order.start_count = start_count


def staff_complete(order: Order, *, actor, reason: str, start_count: int | None = None) -> None:
    """Mark an order fully delivered (no refund) after staff checked upstream.

    Its runs not yet sent are withdrawn and runs in doubt are closed, so nothing is
    sent after the order ended. Raises ``InvalidTransition`` unless the order is
    Pending, In progress or Processing.
    """
    ensure_may_act_on(actor, order.user)
    reason = required_reason(reason)
    if start_count is not None and (isinstance(start_count, bool) or start_count < 0):
        raise ValueError(_("The start count must be a whole number, 0 or more."))
    with transaction.atomic():
        orders.complete_order(order, start_count=start_count, actor=actor)
        Submission.objects.filter(
            order=order, state__in=(SubmissionState.QUEUED, SubmissionState.UNKNOWN)
        ).update(state=SubmissionState.DONE, error=f"closed by staff: completed: {reason}"[:500])
        audit(
            "order.complete",
            actor=actor,
            user=order.user,
            reason=reason,
            outcome="complete",
            order=order,
        )


# --- bulk order actions ------------------------------------------------------------------

BULK_RESEND = "resend"
BULK_CANCEL = "cancel"
BULK_PARTIAL = "partial"
BULK_START_COUNT = "start-count"
BULK_COMPLETE = "complete"
BULK_ACTIONS = (BULK_RESEND, BULK_CANCEL, BULK_PARTIAL, BULK_START_COUNT, BULK_COMPLETE)
MAX_BULK_ORDERS = 200


@dataclass(frozen=True)
class BulkResult:
    """What one order of a bulk action came to: done, or why not."""

    order_id: int
    ok: bool
    message: str = ""


def staff_bulk_order_action(
    order_ids: Iterable[int],
    action: str,
    *,
    actor,
    reason: str,
    values: Mapping[int, int | None] | None = None,
) -> list[BulkResult]:
    """Apply one staff order action to many orders, each through its own service and
    transaction (and audit record). An order that cannot take the action is reported
    with the reason and the others still proceed.

    ``values`` holds the number an action needs per order: remains for ``partial``, the
    start count for ``start-count`` (and optionally for ``complete``).
    """
    reason = required_reason(reason)
    if action not in BULK_ACTIONS:
        raise ValueError(_("Unknown bulk action."))
    ids = list(dict.fromkeys(order_ids))
    if not ids:
        raise ValueError(_("Select at least one order."))
    if len(ids) > MAX_BULK_ORDERS:
        raise ValueError(_("At most %(n)d orders at once.") % {"n": MAX_BULK_ORDERS})
    values = values or {}
    found = Order.objects.select_related("user", "service").in_bulk(ids)
    results = []
    for pk in ids:
        order = found.get(pk)
        if order is None:
            results.append(BulkResult(pk, False, _("No such order.")))
            continue
        try:
            _bulk_one(order, action, actor=actor, reason=reason, value=values.get(pk))
        except InvalidTransition:
            order.refresh_from_db(fields=["status"])
            results.append(
                BulkResult(
                    pk,
                    False,
                    _("Not possible for an order that is %(status)s.")
                    % {"status": order.get_status_display().lower()},
                )
            )
        except (ValueError, billing.AlreadySettled, ActingOnOwnRank) as exc:
            results.append(BulkResult(pk, False, str(exc)))
        except Exception:  # one broken order must not stop the rest; the log has it
            log.exception("bulk %s failed for order %s", action, pk)
            results.append(BulkResult(pk, False, _("Unexpected error; see the server log.")))
        else:
            results.append(BulkResult(pk, True))
    return results


def _bulk_one(order: Order, action: str, *, actor, reason: str, value: int | None) -> None:
    if action == BULK_RESEND:
        staff_resend(order, actor=actor, reason=reason)
    elif action == BULK_CANCEL:
        staff_cancel(order, actor=actor, reason=reason)
    elif action == BULK_PARTIAL:
        if value is None:
            raise ValueError(_("Enter the remains for this order."))
        staff_mark_partial(order, value, actor=actor, reason=reason)
    elif action == BULK_START_COUNT:
        if value is None:
            raise ValueError(_("Enter the start count for this order."))
        staff_set_start_count(order, value, actor=actor, reason=reason)
    else:
        staff_complete(order, actor=actor, reason=reason, start_count=value)


def staff_close_refill(refill, status: str, *, actor, reason: str) -> None:
    """Staff end a refill the provider route cannot settle (never forwarded, or an
    ambiguous answer): Completed after checking upstream, or Rejected."""
    ensure_may_act_on(actor, refill.user)
    reason = required_reason(reason)
    if status not in (RefillStatus.COMPLETED, RefillStatus.REJECTED):
        raise ValueError("a refill is closed as completed or rejected")
    with transaction.atomic():
        if not orders.move_refill(refill.pk, status):
            raise ValueError("this refill has already ended")
        RefillSubmission.objects.filter(pk=refill.pk).update(
            state=SubmissionState.DONE, error=f"closed by staff: {reason}"[:500]
        )
        audit(
            f"refill.{status}",
            actor=actor,
            user=refill.user,
            reason=reason,
            outcome=status,
            order=refill.order,
            refill=refill.pk,
        )
