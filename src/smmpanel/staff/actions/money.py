"""Staff actions on money: adjusting a customer's balance by hand (audited)."""

from django.db import transaction
from django.utils.translation import gettext as _

from smmpanel.accounts.staff_rank import ensure_may_act_on
from smmpanel.audit.services import audit, required_reason
from smmpanel.billing import services as billing
from smmpanel.billing.models import LedgerEntry


def staff_adjust_balance(user, amount_micros: int, *, actor, reason: str) -> LedgerEntry:
    """Add (positive) or deduct (negative) funds by hand: one ledger adjustment entry
    with the reason as its memo, allowed under balance review and below zero, audited."""
    ensure_may_act_on(actor, user)
    reason = required_reason(reason)
    if not isinstance(amount_micros, int) or isinstance(amount_micros, bool) or not amount_micros:
        raise ValueError(_("The amount must not be zero."))
    with transaction.atomic():
        entry = billing.adjust(user, amount_micros, memo=reason[:255], created_by=actor)
        audit(
            "balance.adjust",
            actor=actor,
            user=user,
            reason=reason,
            outcome="adjust",
            amount=amount_micros,
            entry=entry.pk,
        )
    return entry
