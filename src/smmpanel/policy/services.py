"""Enforcement, by rule or by staff: restrictions, API limits, balance reviews, rule
changes, the deny list and known targets, chargebacks and exposed keys. Each one lands
in the audit log as a ``Decision`` saying who acted (``actor``; empty for the system)
and why. The back office's actions on orders, money and prices are in ``staff.actions``."""

from datetime import timedelta
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from smmpanel.accounts.models import User
from smmpanel.accounts.services import revoke_api_key
from smmpanel.accounts.staff_rank import ensure_may_act_on
from smmpanel.audit.services import audit, required_reason
from smmpanel.billing import services as billing
from smmpanel.money import format_amount
from smmpanel.notifications.services import notify
from smmpanel.policy import engine, rule_cache, rulebook
from smmpanel.policy.facts import Facts
from smmpanel.policy.models import (
    ApiLimit,
    BalanceReview,
    DenyEntry,
    KnownTarget,
    Restriction,
    Rule,
)


def restrict(
    user,
    level: str,
    *,
    reason: str,
    actor=None,
    expires_at=None,
    rule_code: str = "",
    api_key=None,
) -> Restriction:
    """Restrict an account (ordering, API or login), optionally until ``expires_at``."""
    ensure_may_act_on(actor, user)
    reason = required_reason(reason)
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
        audit(
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
    reason = required_reason(reason)
    with transaction.atomic():
        lifted = Restriction.objects.filter(pk=restriction.pk, lifted_at__isnull=True).update(
            lifted_at=timezone.now(), lifted_by=actor, lift_reason=reason
        )
        if lifted:
            notify(restriction.user, "restriction_lifted")
        _unmark_if_clear(restriction.user)
        audit(
            "restriction.lift",
            actor=actor,
            user=restriction.user,
            reason=reason,
            outcome="allow",
            restriction=restriction.pk,
        )


def limit_api(
    user,
    per_minute: int,
    *,
    reason: str,
    actor=None,
    minutes: int | None = None,
    rule_code: str = "",
    api_key=None,
) -> ApiLimit:
    """Lower the API rate of an account or one key (0 = no API), optionally for a while."""
    ensure_may_act_on(actor, user)
    reason = required_reason(reason)
    now = timezone.now()
    if (
        rule_code
        and ApiLimit.objects.filter(
            user=user,
            api_key=api_key,
            per_minute__lte=per_minute,
            lifted_at__isnull=True,
            expires_at__gt=now,
        ).exists()
    ):
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
        audit(
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
    reason = required_reason(reason)
    with transaction.atomic():
        ApiLimit.objects.filter(pk=limit.pk, lifted_at__isnull=True).update(
            lifted_at=timezone.now()
        )
        _unmark_if_clear(limit.user)
        audit("api.limit_lift", actor=actor, user=limit.user, reason=reason, outcome="allow")


def open_balance_review(user, *, reason: str, actor=None) -> BalanceReview:
    """Freeze the balance: no spending, credits held, only staff adjustments."""
    ensure_may_act_on(actor, user)
    reason = required_reason(reason)
    with transaction.atomic():
        review = BalanceReview.objects.filter(user=user, closed_at__isnull=True).first()
        if review is None:
            review = BalanceReview.objects.create(user=user, reason=reason, opened_by=actor)
            notify(user, "balance_review_opened")
        billing.set_frozen(user, True)
        audit("balance.review_open", actor=actor, user=user, reason=reason, outcome="review")
    return review


def close_balance_review(review: BalanceReview, *, actor, reason: str) -> None:
    """End the review: unfreeze and write the credits held meanwhile to the ledger."""
    ensure_may_act_on(actor, review.user)
    reason = required_reason(reason)
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
        audit("balance.review_close", actor=actor, user=review.user, reason=reason, outcome="allow")


def record_chargeback(user, amount_micros: int, *, memo: str, actor=None) -> None:
    """Record a chargeback: the ledger entry, then restriction and balance review."""
    ensure_may_act_on(actor, user)
    with transaction.atomic():
        billing.record_chargeback(user, amount_micros, memo=memo, created_by=actor)
        audit(
            "funds.chargeback",
            actor=actor,
            user=user,
            reason=memo,
            outcome="chargeback",
            amount=format_amount(amount_micros),
        )
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
    ensure_may_act_on(actor, api_key.user)
    reason = required_reason(reason)
    with transaction.atomic():
        revoke_api_key(api_key)
        audit(
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
    reason = required_reason(reason)
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
        audit(
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
        audit(
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
        audit(
            "target.mark", actor=actor, reason=f"{link.url} is {state} ({source})", outcome="update"
        )
    return target


def remove_deny_entry(entry: DenyEntry, *, actor, reason: str) -> None:
    reason = required_reason(reason)
    with transaction.atomic():
        DenyEntry.objects.filter(pk=entry.pk).update(active=False)
        rule_cache.forget_on_change()  # a queryset update sends no signal
        audit(
            "deny.remove",
            actor=actor,
            reason=reason,
            outcome="update",
            kind=entry.kind,
            value=entry.value,
        )
