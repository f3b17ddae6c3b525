"""Enforcement actions, by rule or by staff. Each one lands in the audit log as a
``Decision`` saying who acted (``actor``; empty for the system) and why."""

from datetime import timedelta
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from smmpanel.billing import services as billing
from smmpanel.billing.money import format_amount
from smmpanel.orders import services as orders
from smmpanel.orders.models import Order, OrderStatus
from smmpanel.orders.state import transition
from smmpanel.policy import engine, rulebook
from smmpanel.policy.facts import Facts
from smmpanel.policy.models import (
    ApiLimit,
    BalanceReview,
    Decision,
    DenyEntry,
    KnownTarget,
    Restriction,
    Rule,
)

STAFF = "staff"


def _audit(action: str, *, actor, user=None, reason: str, outcome: str = "", **refs: Any) -> None:
    Decision.objects.create(
        point=STAFF if actor else "system",
        rule_code=action,
        outcome=outcome or action.split(".")[-1],
        user=user,
        actor=actor,
        reason=reason,
        inputs={k: v for k, v in refs.items() if isinstance(v, (str, int, float, bool))},
        order=refs.get("order"),
        api_key=refs.get("api_key"),
    )


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
    reason = _need_reason(reason)
    existing = Restriction.objects.filter(
        user=user, level=level, api_key=api_key, lifted_at__isnull=True, expires_at=expires_at
    ).first()
    if existing and rule_code and existing.rule_code == rule_code:
        return existing  # an escalation repeating itself adds nothing
    with transaction.atomic():
        row = Restriction.objects.create(
            user=user,
            level=level,
            reason=reason,
            rule_code=rule_code,
            expires_at=expires_at,
            created_by=actor,
            api_key=api_key,
        )
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


def lift_restriction(restriction: Restriction, *, actor, reason: str) -> None:
    """End a restriction early, with the reason kept."""
    reason = _need_reason(reason)
    with transaction.atomic():
        Restriction.objects.filter(pk=restriction.pk, lifted_at__isnull=True).update(
            lifted_at=timezone.now(), lifted_by=actor, lift_reason=reason
        )
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
    reason = _need_reason(reason)
    now = timezone.now()
    if rule_code and ApiLimit.objects.filter(
        user=user, api_key=api_key, per_minute__lte=per_minute, lifted_at__isnull=True,
        expires_at__gt=now,
    ).exists():  # fmt: skip
        return ApiLimit.objects.filter(user=user, lifted_at__isnull=True).first()
    expires = now + timedelta(minutes=minutes) if minutes else None
    with transaction.atomic():
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
    reason = _need_reason(reason)
    with transaction.atomic():
        ApiLimit.objects.filter(pk=limit.pk, lifted_at__isnull=True).update(
            lifted_at=timezone.now()
        )
        _audit("api.limit_lift", actor=actor, user=limit.user, reason=reason, outcome="allow")


def open_balance_review(user, *, reason: str, actor=None) -> BalanceReview:
    """Freeze the balance: no spending, credits held, only staff adjustments."""
    reason = _need_reason(reason)
    with transaction.atomic():
        review = BalanceReview.objects.filter(user=user, closed_at__isnull=True).first()
        if review is None:
            review = BalanceReview.objects.create(user=user, reason=reason, opened_by=actor)
        billing.set_frozen(user, True)
        _audit("balance.review_open", actor=actor, user=user, reason=reason, outcome="review")
    return review


def close_balance_review(review: BalanceReview, *, actor, reason: str) -> None:
    """End the review: unfreeze and write the credits held meanwhile to the ledger."""
    reason = _need_reason(reason)
    with transaction.atomic():
        closed = BalanceReview.objects.filter(pk=review.pk, closed_at__isnull=True).update(
            closed_at=timezone.now(), closed_by=actor, close_reason=reason
        )
        if closed != 1:
            return
        if not BalanceReview.objects.filter(user=review.user, closed_at__isnull=True).exists():
            billing.set_frozen(review.user, False)
            billing.release_held_credits(review.user)
        _audit(
            "balance.review_close", actor=actor, user=review.user, reason=reason, outcome="allow"
        )


def approve_order(order: Order, *, actor, reason: str) -> None:
    """A held (Review) order may go ahead: it becomes Pending and is forwarded."""
    from smmpanel.providers.outbox import nudge_forwarding

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

    reason = _need_reason(reason)
    with transaction.atomic():
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
    with transaction.atomic():
        billing.record_chargeback(user, amount_micros, memo=memo, created_by=actor)
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
        _audit("deny.remove", actor=actor, reason=reason, outcome="update", kind=entry.kind,
               value=entry.value)  # fmt: skip


def staff_resend(order: Order, *, actor, reason: str) -> None:
    """Send a failed order again after staff checked upstream (never automatic)."""
    from smmpanel.providers.forwarding import resend
    from smmpanel.providers.outbox import nudge_forwarding

    reason = _need_reason(reason)
    with transaction.atomic():
        resend(order, actor=actor)
        _audit("order.resend", actor=actor, user=order.user, reason=reason, outcome="allow",
               order=order)  # fmt: skip
    nudge_forwarding(order.pk)
