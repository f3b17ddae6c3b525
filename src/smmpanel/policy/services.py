"""Enforcement actions, by rule or by staff. Each one lands in the audit log as a
``Decision`` saying who acted (``actor``; empty for the system) and why."""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from smmpanel.accounts.models import User
from smmpanel.accounts.staff_rank import ActingOnOwnRank, ensure_may_act_on
from smmpanel.billing import services as billing
from smmpanel.billing.models import LedgerEntry
from smmpanel.billing.money import format_amount
from smmpanel.notifications.services import notify
from smmpanel.orders import services as orders
from smmpanel.orders.errors import InvalidTransition, OrderRefused
from smmpanel.orders.models import Order, OrderStatus, Refill
from smmpanel.orders.state import transition
from smmpanel.policy import engine, rule_cache, rulebook
from smmpanel.policy.audit import audit as _audit
from smmpanel.policy.facts import Facts
from smmpanel.policy.models import (
    ApiLimit,
    BalanceReview,
    DenyEntry,
    KnownTarget,
    Restriction,
    Rule,
)

if TYPE_CHECKING:
    from smmpanel.catalog.models import CustomRate

STAFF = "staff"
log = logging.getLogger(__name__)


def _need_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("a reason is required")
    return reason


def restrict(
    user, level: str, *, reason: str, actor=None, expires_at=None, rule_code: str = "",
    api_key=None,
) -> Restriction:  # fmt: skip
    """Restrict an account (ordering, API or login), optionally until ``expires_at``."""
    ensure_may_act_on(actor, user)
    reason = _need_reason(reason)
    existing = Restriction.objects.filter(
        user=user, level=level, api_key=api_key, lifted_at__isnull=True, expires_at=expires_at
    ).first()
    if existing and rule_code and existing.rule_code == rule_code:
        return existing  # an escalation repeating itself adds nothing
    with transaction.atomic():
        _mark_limited(user)
        row = Restriction.objects.create(
            user=user,
            level=level,
            reason=reason,
            rule_code=rule_code,
            expires_at=expires_at,
            created_by=actor,
            api_key=api_key,
        )
        notify(user, "account_restricted", reason=reason)
        _audit(
            f"restriction.{level}",
            actor=actor,
            user=user,
            reason=reason,
            outcome="restrict",
            restriction=row.pk,
            rule=rule_code,
        )
    return row


def _mark_limited(user) -> None:
    """Flag the account before its restriction or limitation exists: the per-request
    checks read those tables only for flagged accounts. The UPDATE also locks the user
    row, so a concurrent ``_unmark_if_clear`` cannot clear the flag under a new row."""
    User.objects.filter(pk=user.pk).update(policy_limited=True)
    user.policy_limited = True


def _unmark_if_clear(user) -> None:
    """Clear the flag once nothing is left unlifted (expired rows count until lifted;
    they only cost the reads, never a refusal)."""
    locked = User.objects.select_for_update().filter(pk=user.pk)
    locked.values_list("pk", flat=True).first()  # hold the row while deciding
    if not (
        Restriction.objects.filter(user=user, lifted_at__isnull=True).exists()
        or ApiLimit.objects.filter(user=user, lifted_at__isnull=True).exists()
    ):
        locked.update(policy_limited=False)
        user.policy_limited = False


def lift_restriction(restriction: Restriction, *, actor, reason: str) -> None:
    """End a restriction early, with the reason kept."""
    ensure_may_act_on(actor, restriction.user)
    reason = _need_reason(reason)
    with transaction.atomic():
        lifted = Restriction.objects.filter(pk=restriction.pk, lifted_at__isnull=True).update(
            lifted_at=timezone.now(), lifted_by=actor, lift_reason=reason
        )
        if lifted:
            notify(restriction.user, "restriction_lifted")
        _unmark_if_clear(restriction.user)
        _audit(
            "restriction.lift",
            actor=actor,
            user=restriction.user,
            reason=reason,
            outcome="allow",
            restriction=restriction.pk,
        )


def limit_api(
    user, per_minute: int, *, reason: str, actor=None, minutes: int | None = None,
    rule_code: str = "", api_key=None,
) -> ApiLimit:  # fmt: skip
    """Lower the API rate of an account or one key (0 = no API), optionally for a while."""
    ensure_may_act_on(actor, user)
    reason = _need_reason(reason)
    now = timezone.now()
    if rule_code and ApiLimit.objects.filter(
        user=user, api_key=api_key, per_minute__lte=per_minute, lifted_at__isnull=True,
        expires_at__gt=now,
    ).exists():  # fmt: skip
        return ApiLimit.objects.filter(user=user, lifted_at__isnull=True).first()
    expires = now + timedelta(minutes=minutes) if minutes else None
    with transaction.atomic():
        _mark_limited(user)
        row = ApiLimit.objects.create(
            user=user,
            api_key=api_key,
            per_minute=per_minute,
            reason=reason,
            expires_at=expires,
            created_by=actor,
        )
        _audit(
            "api.limit",
            actor=actor,
            user=user,
            reason=reason,
            outcome="limit",
            per_minute=per_minute,
            rule=rule_code,
            api_key=api_key,
        )
    return row


def lift_api_limit(limit: ApiLimit, *, actor, reason: str) -> None:
    """End an API limitation early, with the reason kept."""
    ensure_may_act_on(actor, limit.user)
    reason = _need_reason(reason)
    with transaction.atomic():
        ApiLimit.objects.filter(pk=limit.pk, lifted_at__isnull=True).update(
            lifted_at=timezone.now()
        )
        _unmark_if_clear(limit.user)
        _audit("api.limit_lift", actor=actor, user=limit.user, reason=reason, outcome="allow")


def open_balance_review(user, *, reason: str, actor=None) -> BalanceReview:
    """Freeze the balance: no spending, credits held, only staff adjustments."""
    ensure_may_act_on(actor, user)
    reason = _need_reason(reason)
    with transaction.atomic():
        review = BalanceReview.objects.filter(user=user, closed_at__isnull=True).first()
        if review is None:
            review = BalanceReview.objects.create(user=user, reason=reason, opened_by=actor)
            notify(user, "balance_review_opened")
        billing.set_frozen(user, True)
        _audit("balance.review_open", actor=actor, user=user, reason=reason, outcome="review")
    return review


def close_balance_review(review: BalanceReview, *, actor, reason: str) -> None:
    """End the review: unfreeze and write the credits held meanwhile to the ledger."""
    ensure_may_act_on(actor, review.user)
    reason = _need_reason(reason)
    with transaction.atomic():
        closed = BalanceReview.objects.filter(pk=review.pk, closed_at__isnull=True).update(
            closed_at=timezone.now(), closed_by=actor, close_reason=reason
        )
        if closed != 1:
            return
        notify(review.user, "balance_review_closed")
        if not BalanceReview.objects.filter(user=review.user, closed_at__isnull=True).exists():
            billing.set_frozen(review.user, False)
            billing.release_held_credits(review.user)
        _audit(
            "balance.review_close", actor=actor, user=review.user, reason=reason, outcome="allow"
        )


def approve_order(order: Order, *, actor, reason: str) -> None:
    """A held (Review) order may go ahead: it becomes Pending and is forwarded."""
    from smmpanel.providers.outbox import nudge_forwarding

    ensure_may_act_on(actor, order.user)
    reason = _need_reason(reason)
    with transaction.atomic():
        transition(order, OrderStatus.PENDING, actor=actor, note=f"approved: {reason}")
        _audit(
            "order.approve",
            actor=actor,
            user=order.user,
            reason=reason,
            outcome="allow",
            order=order,
        )
    nudge_forwarding(order.pk)


def reject_order(order: Order, *, actor, reason: str) -> None:
    """A held (Review) order is refused: Canceled and refunded, exactly once."""
    staff_cancel(order, actor=actor, reason=reason, action="order.reject")


def staff_cancel(order: Order, *, actor, reason: str, action: str = "order.cancel") -> None:
    """Cancel an order with a full refund.

    Refused while the provider is running it (cancel upstream first, or mark it partial
    when it ends). A run in doubt ("unknown") is closed: staff checked upstream.
    """
    from smmpanel.providers.models import Submission, SubmissionState
    from smmpanel.providers.outbox import withdraw_unsent

    ensure_may_act_on(actor, order.user)
    reason = _need_reason(reason)
    with transaction.atomic():
        delivered = Submission.objects.filter(
            order=order, state=SubmissionState.DONE, remains__isnull=False
        ).exclude(remains=F("quantity"))
        if delivered.exists():
            raise ValueError(
                "part of this order was delivered: mark it partial instead of canceling it"
            )
        if not withdraw_unsent(order):
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
        _audit(action, actor=actor, user=order.user, reason=reason, outcome="reject", order=order)


def staff_mark_partial(order: Order, remains: int, *, actor, reason: str) -> None:
    """End a running order Partial with ``remains`` refunded pro rata."""
    ensure_may_act_on(actor, order.user)
    reason = _need_reason(reason)
    with transaction.atomic():
        orders.refund_remains(order, remains, actor=actor, note=reason)
        _audit(
            "order.partial",
            actor=actor,
            user=order.user,
            reason=reason,
            outcome="partial",
            order=order,
            remains=remains,
        )


def record_chargeback(user, amount_micros: int, *, memo: str, actor=None) -> None:
    """Record a chargeback: the ledger entry, then restriction and balance review."""
    ensure_may_act_on(actor, user)
    with transaction.atomic():
        billing.record_chargeback(user, amount_micros, memo=memo, created_by=actor)
        _audit("funds.chargeback", actor=actor, user=user, reason=memo, outcome="chargeback",
               amount=format_amount(amount_micros))  # fmt: skip
        facts = Facts({"amount_text": format_amount(amount_micros)})
        verdict = engine.decide(rulebook.CHARGEBACK, facts, user=user)
        hit = verdict.deciding
        if hit is not None:
            restrict(
                user,
                Restriction.Level.ORDERING,
                reason=hit.message_en,
                actor=actor,
                rule_code=hit.code,
            )
            open_balance_review(user, reason=hit.message_en, actor=actor)


def revoke_exposed_key(api_key, *, actor, reason: str) -> None:
    """One action for a leaked or misused key: revoke it and tell its owner."""
    from smmpanel.accounts.services import revoke_api_key

    ensure_may_act_on(actor, api_key.user)
    reason = _need_reason(reason)
    with transaction.atomic():
        revoke_api_key(api_key)
        _audit(
            "api.key_revoke",
            actor=actor,
            user=api_key.user,
            reason=reason,
            outcome="restrict",
            api_key=api_key,
        )
    send_mail(
        "Your API key was revoked",
        f"Your API key {api_key.masked} ({api_key.name}) was revoked: {reason}\n"
        "Create a new key on the API keys page and keep it private.",
        None,
        [api_key.user.email],
        fail_silently=True,
    )


def update_rule(rule: Rule, *, actor, reason: str, **changes: Any) -> Rule:
    """Change a rule's switch, shadow mode, outcome, thresholds or messages; bumps its
    version so earlier decisions stay tied to the rule they met."""
    reason = _need_reason(reason)
    allowed = {"enabled", "shadow", "outcome", "thresholds", "message_en", "message_uk"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"cannot change {', '.join(sorted(unknown))}")
    with transaction.atomic():
        for name, value in changes.items():
            setattr(rule, name, value)
        rule.version += 1
        rule.updated_by = actor
        rule.save()
        _audit(
            "rule.update",
            actor=actor,
            reason=reason,
            outcome="update",
            rule=rule.code,
            version=rule.version,
        )
    return rule


def add_deny_entry(kind: str, value: str, *, actor, reason: str) -> DenyEntry:
    value = (value or "").strip().lower()
    if not value:
        raise ValueError("a value is required")
    with transaction.atomic():
        entry, _ = DenyEntry.objects.update_or_create(
            kind=kind, value=value, defaults={"active": True, "reason": reason, "created_by": actor}
        )
        _audit(
            "deny.add",
            actor=actor,
            reason=reason or value,
            outcome="update",
            kind=kind,
            value=value,
        )
    return entry


def mark_target(link, state: str, *, source: str, actor=None) -> KnownTarget:
    """Record that a target is private, restricted or deleted (e.g. a provider said so)."""
    with transaction.atomic():
        target, _ = KnownTarget.objects.update_or_create(
            link_key=link.key,
            defaults={"canonical_link": link.url, "state": state, "source": source[:100]},
        )
        _audit(
            "target.mark", actor=actor, reason=f"{link.url} is {state} ({source})", outcome="update"
        )
    return target


def remove_deny_entry(entry: DenyEntry, *, actor, reason: str) -> None:
    reason = _need_reason(reason)
    with transaction.atomic():
        DenyEntry.objects.filter(pk=entry.pk).update(active=False)
        rule_cache.forget_on_change()  # a queryset update sends no signal
        _audit("deny.remove", actor=actor, reason=reason, outcome="update", kind=entry.kind,
               value=entry.value)  # fmt: skip


def staff_resend(order: Order, *, actor, reason: str) -> None:
    """Send a failed order again after staff checked upstream (never automatic)."""
    from smmpanel.providers.forwarding import resend
    from smmpanel.providers.outbox import nudge_forwarding

    ensure_may_act_on(actor, order.user)
    reason = _need_reason(reason)
    if order.status != OrderStatus.FAIL:
        raise ValueError(_("Only a failed order can be resent."))
    with transaction.atomic():
        resend(order, actor=actor)
        _audit("order.resend", actor=actor, user=order.user, reason=reason, outcome="allow",
               order=order)  # fmt: skip
    nudge_forwarding(order.pk)


def staff_cancel_at_provider(order: Order, *, actor, reason: str) -> Order:
    """Ask the provider to cancel a running order (API v2 ``cancel``), as a customer's
    cancel does: the sweep sends it and the refund follows the provider's answer. An
    order nothing of which left the panel yet is canceled and refunded at once.
    Raises ``ValueError`` with the reason when the service or state does not allow it."""
    ensure_may_act_on(actor, order.user)
    reason = _need_reason(reason)
    try:
        with transaction.atomic():
            orders.cancel_at_provider(order, actor=actor, note=f"canceled by staff: {reason}")
            _audit("order.cancel_upstream", actor=actor, user=order.user, reason=reason,
                   outcome="reject", order=order)  # fmt: skip
    except OrderRefused as refusal:
        raise ValueError(refusal.message) from refusal
    return order


def staff_request_refill(order: Order, *, actor, reason: str) -> Refill:
    """Ask the provider to refill an order (API v2 ``refill``) for its customer, through
    the same refill a customer opens. Raises ``ValueError`` with the reason when the
    order cannot be refilled now or a refill of it is already going."""
    ensure_may_act_on(actor, order.user)
    reason = _need_reason(reason)
    try:
        with transaction.atomic():
            refill = orders.open_refill(order)
            _audit("order.refill_upstream", actor=actor, user=order.user, reason=reason,
                   outcome="allow", order=order, refill=refill.pk)  # fmt: skip
    except OrderRefused as refusal:
        raise ValueError(refusal.message) from refusal
    return refill


def staff_adjust_balance(user, amount_micros: int, *, actor, reason: str) -> LedgerEntry:
    """Add (positive) or deduct (negative) funds by hand: one ledger adjustment entry
    with the reason as its memo, allowed under balance review and below zero, audited."""
    ensure_may_act_on(actor, user)
    reason = _need_reason(reason)
    if not isinstance(amount_micros, int) or isinstance(amount_micros, bool) or not amount_micros:
        raise ValueError(_("The amount must not be zero."))
    with transaction.atomic():
        entry = billing.adjust(user, amount_micros, memo=reason[:255], created_by=actor)
        _audit(
            "balance.adjust",
            actor=actor,
            user=user,
            reason=reason,
            outcome="adjust",
            amount=amount_micros,
            entry=entry.pk,
        )
    return entry


def staff_set_start_count(order: Order, start_count: int, *, actor, reason: str) -> None:
    """Correct an order's start count (what the target showed before delivery)."""
    ensure_may_act_on(actor, order.user)
    reason = _need_reason(reason)
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
        _audit(
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
    from smmpanel.providers.models import Submission, SubmissionState

    ensure_may_act_on(actor, order.user)
    reason = _need_reason(reason)
    if start_count is not None and (isinstance(start_count, bool) or start_count < 0):
        raise ValueError(_("The start count must be a whole number, 0 or more."))
    with transaction.atomic():
        orders.complete_order(order, start_count=start_count, actor=actor)
        Submission.objects.filter(
            order=order, state__in=(SubmissionState.QUEUED, SubmissionState.UNKNOWN)
        ).update(state=SubmissionState.DONE, error=f"closed by staff: completed: {reason}"[:500])
        _audit(
            "order.complete",
            actor=actor,
            user=order.user,
            reason=reason,
            outcome="complete",
            order=order,
        )


def staff_set_custom_rate(
    user,
    service,
    *,
    actor,
    reason: str,
    rate_micros: int | None = None,
    discount_bp: int | None = None,
) -> "CustomRate":
    """Give a customer their own rate for one service, or a discount for one service or
    (``service`` None) for all; replaces the rule they had there. Audited."""
    from smmpanel.catalog.services import set_custom_rate

    ensure_may_act_on(actor, user)
    reason = _need_reason(reason)
    with transaction.atomic():
        rule = set_custom_rate(
            user, service, rate_micros=rate_micros, discount_bp=discount_bp, created_by=actor
        )
        _audit(
            "price.custom_rate",
            actor=actor,
            user=user,
            reason=reason,
            outcome="update",
            service=service.pk if service is not None else "all",
            rate=rate_micros,
            discount_bp=discount_bp,
        )
    return rule


def staff_remove_custom_rate(rule: "CustomRate", *, actor, reason: str) -> None:
    """End a customer's own rate or discount: the list rate applies again. Audited."""
    from smmpanel.catalog.services import remove_custom_rate

    ensure_may_act_on(actor, rule.user)
    reason = _need_reason(reason)
    with transaction.atomic():
        remove_custom_rate(rule)
        _audit(
            "price.custom_rate_remove",
            actor=actor,
            user=rule.user,
            reason=reason,
            outcome="update",
            service=rule.service_id or "all",
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
    reason = _need_reason(reason)
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
    from smmpanel.orders.models import RefillStatus
    from smmpanel.providers.models import RefillSubmission, SubmissionState

    ensure_may_act_on(actor, refill.user)
    reason = _need_reason(reason)
    if status not in (RefillStatus.COMPLETED, RefillStatus.REJECTED):
        raise ValueError("a refill is closed as completed or rejected")
    with transaction.atomic():
        if not orders.move_refill(refill.pk, status):
            raise ValueError("this refill has already ended")
        RefillSubmission.objects.filter(pk=refill.pk).update(
            state=SubmissionState.DONE, error=f"closed by staff: {reason}"[:500]
        )
        _audit(f"refill.{status}", actor=actor, user=refill.user, reason=reason,
               outcome=status, order=refill.order, refill=refill.pk)  # fmt: skip
