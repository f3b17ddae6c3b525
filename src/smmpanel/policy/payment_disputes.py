"""A gateway's dispute of a deposit enters the chargeback flow by itself: the deposit's
bonus is taken back first (it was never paid money), then the paid money as a
chargeback, and the Acceptable Use rule for chargebacks restricts the account and opens
a balance review. A balance the customer already spent goes below zero truthfully, in
plain sight of that review, never silently."""

from django.db import transaction

from smmpanel.billing import payments
from smmpanel.billing import services as billing
from smmpanel.billing.models import DepositRequest
from smmpanel.billing.payment_gateway import DISPUTE, REFUND
from smmpanel.notifications.services import raise_alert
from smmpanel.policy.services import record_chargeback


def follow_up(received: payments.Received) -> None:
    """What a verified notification asks beyond the payment's own state: a dispute
    enters the chargeback flow, a refund at the gateway goes to staff."""
    if received.outcome == DISPUTE:
        chargeback_from_gateway(
            received.deposit, received.notice.amount_minor, received.notice.event_type
        )
    elif received.outcome == REFUND:
        payments.refer_refund(received.deposit, received.notice)


def chargeback_from_gateway(deposit: DepositRequest, amount_minor: int | None, event: str) -> bool:
    """Apply a gateway's dispute of ``deposit`` once; False for a dispute seen before.

    A payment that was never credited (pending, held, rejected) has nothing to take back:
    staff are alerted instead.
    """
    with transaction.atomic():
        if not payments.mark_disputed(deposit):
            return False
        current = DepositRequest.objects.select_related("user").get(pk=deposit.pk)
        if current.status != DepositRequest.Status.CONFIRMED:
            raise_alert(
                f"payment-disputed:{current.pk}",
                "payment_held",
                reference=current.reference,
                email=current.user.email,
                reason=f"disputed ({event}) while {current.status}",
            )
            return True
        memo = f"dispute of deposit {current.reference} ({current.gateway})"
        billing.reverse_bonus(current, memo=f"bonus reversed: {memo}")
        record_chargeback(current.user, payments.disputed_micros(current, amount_minor), memo=memo)
    return True
