"""Payments in through the automatic gateways: opening a payment at its gateway, and
applying what the gateway reports, by a signed notification or by the worker asking.

Whatever arrives, and however often, a payment is credited at most once: crediting is
``deposits.confirm_deposit``, a conditional UPDATE from ``pending`` with its ledger
entries in one transaction. A paid report whose amount or currency does not match the
payment, or that comes after the payment was marked expired or failed, is held for
staff with both figures and credits nothing. No transaction is held open across a call
to a gateway.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from smmpanel.billing import deposits, gateways, pricing
from smmpanel.billing.models import DepositRequest, PaymentNotification
from smmpanel.billing.payment_gateway import (
    DISPUTE,
    EXPIRED,
    FAILED,
    IGNORED,
    PAID,
    PAYMENT,
    REFUND,
    BadSignature,
    GatewayError,
    Notice,
    Observation,
)
from smmpanel.money import format_amount, share_of
from smmpanel.notifications.services import raise_alert

log = logging.getLogger(__name__)
Status = DepositRequest.Status

# When the worker asks a gateway about a payment nobody told it about, counted from the
# payment's creation; then it stops asking (Stripe closes an unpaid session after 24 h).
CHECK_AFTER = tuple(
    timedelta(seconds=s)
    for s in (60, 120, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 25 * 3600)
)
CHECK_BATCH = 100
PPM = 1_000_000
CHECK_LEASE = timedelta(minutes=5)  # a claimed check another worker may redo after this
KEPT_BODY_CHARS = 65536

# Outcomes of applying a report (also kept on each notification).
CREDITED, HELD, DUPLICATE, STILL_PENDING = "credited", "held", "duplicate", "pending"
# A payment the panel closed without money: a payment arriving for it is held for staff.
CLOSED_UNPAID = [Status.EXPIRED, Status.FAILED, Status.REJECTED]


class PaymentUnavailable(Exception):
    """The gateway could not open the payment; it was marked failed and moved no money."""


def start_payment(deposit: DepositRequest, *, return_url: str, notify_url: str) -> DepositRequest:
    """Open ``deposit`` at its gateway (outside any transaction) and keep the gateway's id
    and checkout address; the first status check is scheduled. A gateway that cannot be
    reached marks the deposit failed and raises ``PaymentUnavailable``."""
    gateway = gateways.gateway_of(deposit)
    if gateway is None:
        raise PaymentUnavailable(f"gateway {deposit.gateway} is unknown")
    try:
        checkout = gateway.create_payment(deposit, return_url=return_url, notify_url=notify_url)
    except GatewayError as exc:
        log.warning("opening payment %s at %s failed: %s", deposit.reference, gateway.code, exc)
        _move(deposit, [Status.PENDING], Status.FAILED, note="the gateway could not be reached")
        raise PaymentUnavailable(str(exc)) from exc
    if checkout is not None:
        DepositRequest.objects.filter(pk=deposit.pk, external_id="").update(
            external_id=checkout.external_id,
            checkout_url=checkout.url,
            expires_at=checkout.expires_at,
            next_check_at=deposit.created_at + CHECK_AFTER[0],
        )
    deposit.refresh_from_db()
    return deposit


def _move(deposit: DepositRequest, old: list[str], new: str, **fields) -> bool:
    """The deposit's state machine: ``old`` → ``new`` by a conditional UPDATE; True when
    this call made the move."""
    return (
        DepositRequest.objects.filter(pk=deposit.pk, status__in=old).update(
            status=new, decided_at=timezone.now(), next_check_at=None, **fields
        )
        == 1
    )


def _figure(minor: int | None, currency: str) -> str:
    if minor is None:
        return f"? {currency}"
    return f"{format_amount(pricing.from_minor(minor, currency or 'USD'))} {currency}"


def apply_observation(deposit: DepositRequest, seen: Observation, *, source: str) -> str:
    """Apply what the gateway says about ``deposit`` (from ``source``: a notification or
    a status check): credit it once, hold it for staff, or mark it failed or expired."""
    if seen.state == PAID:
        return _paid(deposit, seen, source)
    if seen.state in (FAILED, EXPIRED):
        recorded = (
            DepositRequest.objects.filter(pk=deposit.pk)
            .values_list("payment_id", flat=True)
            .first()
        )
        if seen.payment_id and recorded and seen.payment_id != recorded:
            # One attempt of several (a coin the customer abandoned for another): the
            # payment stays open for the attempt the customer is making.
            return STILL_PENDING
        new = Status.FAILED if seen.state == FAILED else Status.EXPIRED
        return seen.state if _move(deposit, [Status.PENDING], new) else DUPLICATE
    if seen.payment_id:  # the latest attempt's id, to ask about it later (crypto)
        DepositRequest.objects.filter(pk=deposit.pk, status=Status.PENDING).update(
            payment_id=seen.payment_id[:255]
        )
    return STILL_PENDING


def _paid(deposit: DepositRequest, seen: Observation, source: str) -> str:
    expected = _figure(deposit.pay_minor, deposit.pay_currency)
    partial = seen.arrived_ppm is not None and seen.arrived_ppm != PPM
    # Crypto: what actually arrived, at the invoice's rate (the price times the share).
    arrived_minor = seen.amount_minor
    if partial and seen.amount_minor is not None:
        arrived_minor = seen.amount_minor * seen.arrived_ppm // PPM
    arrived = _figure(arrived_minor, seen.currency)
    received = dict(
        received_minor=arrived_minor,
        received_currency=seen.currency[:3],
        payment_id=seen.payment_id[:255],
    )
    matches = seen.amount_minor == deposit.pay_minor and seen.currency == deposit.pay_currency
    with transaction.atomic():
        if not matches:
            reason = f"paid {arrived}, expected {expected} ({source})"
            return _hold(deposit, [Status.PENDING], reason, received)
        if partial:
            outcome = _take_what_arrived(deposit, seen.arrived_ppm, source, received)
            if outcome is not None:
                return outcome
        try:
            deposits.confirm_deposit(deposit.pk, note="")
        except deposits.DepositAlreadyDecided:
            current = DepositRequest.objects.get(pk=deposit.pk)
            if current.status in CLOSED_UNPAID:
                # Money arrived for a payment the panel had closed (expired, failed, or
                # rejected by staff): staff decide, and confirming credits what arrived.
                reason = f"paid {arrived} after it was marked {current.status} ({source})"
                if partial:
                    received |= _what_arrived(current, seen.arrived_ppm)
                return _hold(current, CLOSED_UNPAID, reason, received)
            return DUPLICATE
        DepositRequest.objects.filter(pk=deposit.pk).update(next_check_at=None, **received)
    return CREDITED


def _what_arrived(deposit: DepositRequest, ppm: int) -> dict:
    """The deposit's amounts for a crypto payment of which ``ppm`` arrived: the credit at
    the invoice's rate (down to a cent) and its bonus, the original amount kept."""
    credited = deposit.amount_micros * ppm // PPM // pricing.CENT * pricing.CENT
    return dict(
        requested_micros=deposit.amount_micros,
        amount_micros=credited,
        bonus_micros=pricing.bonus_for(credited, deposits.bonus_tiers()),
    )


def _take_what_arrived(
    deposit: DepositRequest, ppm: int, source: str, received: dict
) -> str | None:
    """A crypto invoice paid in part or more: the payment becomes what arrived, at the
    invoice's rate (down to a cent), its bonus that of the new amount, and staff are told.
    None when it is ready to be credited; an outcome when it is not pending any more or
    nothing creditable arrived (held)."""
    amounts = _what_arrived(deposit, ppm)
    credited = amounts["amount_micros"]
    share = f"{ppm / 10_000:.2f} % of the invoice arrived ({source})"
    if credited <= 0:
        return _hold(deposit, [Status.PENDING], share, received)
    moved = DepositRequest.objects.filter(pk=deposit.pk, status=Status.PENDING).update(
        held_reason=share[:500], **amounts
    )
    if moved != 1:
        return None  # decided meanwhile: confirming finds out which way
    raise_alert(
        f"payment-partial:{deposit.pk}",
        "payment_partial",
        reference=deposit.reference,
        email=deposit.user.email,
        requested_micros=deposit.amount_micros,
        credited_micros=credited,
        share=share,
    )
    return None


def _hold(deposit: DepositRequest, old: list[str], reason: str, received: dict) -> str:
    if not _move(deposit, old, Status.HELD, held_reason=reason[:500], **received):
        return DUPLICATE
    log.warning("payment %s held for review: %s", deposit.reference, reason)
    raise_alert(
        f"payment-held:{deposit.pk}",
        "payment_held",
        reference=deposit.reference,
        email=deposit.user.email,
        reason=reason,
    )
    return HELD


# --- notifications ---------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """What the panel made of a notification, and the HTTP status to answer with."""

    status_code: int
    outcome: str
    deposit: DepositRequest | None = None
    notice: Notice | None = None


def receive_notification(code: str, body: bytes, headers, remote_addr: str | None) -> Received:
    """Verify and apply one notification for gateway ``code``; every notification is kept
    (``PaymentNotification``). Disputes and refunds of known payments come back as
    outcomes ``dispute`` and ``refund`` for the policy layer to act on."""
    gateway = gateways.gateway_named(code)
    if gateway is None:
        return Received(404, "unknown_gateway")
    try:
        notice = gateway.verify_notification(body, headers)
    except BadSignature as exc:
        # The reason names what failed, never the secret or the signature itself.
        log.warning("payment notification for %s from %s refused: %s", code, remote_addr, exc)
        _keep(code, body, remote_addr, None, None, "bad_signature")
        return Received(400, "bad_signature")
    if notice.kind == IGNORED:
        _keep(code, body, remote_addr, notice, None, "ignored")
        return Received(200, "ignored", notice=notice)
    deposit = find_payment(code, notice)
    if deposit is None and notice.kind in (DISPUTE, REFUND):
        # Money taken back for a payment the panel cannot match (confirmed by hand, for
        # one): staff must find it, so this is an alert, not a quiet log line.
        log.warning(
            "payment notification %s (%s) for %s names no known payment",
            notice.event_id,
            notice.event_type,
            code,
        )
        raise_alert(
            f"payment-unknown:{code}:{notice.event_id}"[:120],
            "payment_unknown",
            gateway=code,
            event=notice.event_type,
            payment=notice.payment_id or notice.external_id,
        )
        _keep(code, body, remote_addr, notice, None, "unknown_payment")
        return Received(gateway.unknown_payment_status, "unknown_payment", notice=notice)
    if deposit is None:
        log.info(
            "payment notification %s (%s) for %s names no known payment",
            notice.event_id,
            notice.event_type,
            code,
        )
        _keep(code, body, remote_addr, notice, None, "unknown_payment")
        return Received(gateway.unknown_payment_status, "unknown_payment", notice=notice)
    if notice.kind == PAYMENT:
        outcome = apply_observation(deposit, notice.observation, source=notice.event_type)
    else:
        outcome = notice.kind  # DISPUTE or REFUND
    _keep(code, body, remote_addr, notice, deposit, outcome)
    return Received(200, outcome, deposit=deposit, notice=notice)


def find_payment(code: str, notice: Notice) -> DepositRequest | None:
    """The payment a notification is about, by the gateway's payment or session id."""
    ids = Q()
    if notice.external_id:
        ids |= Q(external_id=notice.external_id)
    if notice.payment_id:
        ids |= Q(payment_id=notice.payment_id)
    if not ids:
        return None
    return DepositRequest.objects.filter(ids, gateway=code).select_related("user").first()


def _keep(code, body: bytes, remote_addr, notice: Notice | None, deposit, outcome: str) -> None:
    PaymentNotification.objects.create(
        gateway=code,
        remote_addr=remote_addr,
        verified=notice is not None,
        event_id=(notice.event_id if notice else "")[:255],
        event_type=(notice.event_type if notice else "")[:100],
        external_id=(notice.external_id or notice.payment_id if notice else "")[:255],
        deposit=deposit,
        outcome=outcome,
        # PostgreSQL text cannot hold NUL: kept escaped, as JSON would write it.
        body=body[:KEPT_BODY_CHARS].decode("utf-8", "replace").replace("\x00", "\\u0000"),
    )


def mark_disputed(deposit: DepositRequest) -> bool:
    """Note the first dispute of a payment; False when it was noted before (a replay)."""
    return (
        DepositRequest.objects.filter(pk=deposit.pk, disputed_at__isnull=True).update(
            disputed_at=timezone.now()
        )
        == 1
    )


def disputed_micros(deposit: DepositRequest, amount_minor: int | None) -> int:
    """The paid money a dispute of ``amount_minor`` takes back, in the panel's currency:
    the credited amount in proportion to the part of the payment disputed."""
    if not deposit.pay_minor or amount_minor is None or amount_minor >= deposit.pay_minor:
        return deposit.amount_micros
    return share_of(deposit.amount_micros, max(amount_minor, 0), deposit.pay_minor)


def refer_refund(deposit: DepositRequest, notice: Notice) -> bool:
    """A refund made at the gateway goes to staff (the balance is theirs to correct, as
    the Acceptable Use policy says); False when this refund was referred before."""
    with transaction.atomic():
        first = (
            DepositRequest.objects.filter(pk=deposit.pk, refunded_at__isnull=True).update(
                refunded_at=timezone.now()
            )
            == 1
        )
        if first:
            raise_alert(
                f"payment-refunded:{deposit.pk}",
                "payment_refunded",
                reference=deposit.reference,
                email=deposit.user.email,
                amount=_figure(notice.amount_minor, notice.currency),
            )
    return first


# --- the worker asks ---------------------------------------------------------------------


def due_checks(limit: int = CHECK_BATCH) -> list[int]:
    """Ids of pending payments whose next status check is due, oldest due first."""
    return list(
        DepositRequest.objects.filter(status=Status.PENDING, next_check_at__lte=timezone.now())
        .order_by("next_check_at")
        .values_list("pk", flat=True)[:limit]
    )


def check_payment(deposit_id: int) -> str | None:
    """Ask the gateway how a pending payment stands and apply it; then schedule the next
    check, or none once ``CHECK_AFTER`` is spent. None when another worker claimed it."""
    deposit = DepositRequest.objects.select_related("user").get(pk=deposit_id)
    now = timezone.now()
    # Due now and unchanged since read: a check leased by another worker is not due.
    claimed = DepositRequest.objects.filter(
        pk=deposit.pk,
        status=Status.PENDING,
        next_check_at=deposit.next_check_at,
        next_check_at__lte=now,
    ).update(next_check_at=now + CHECK_LEASE, checks=deposit.checks + 1)
    gateway = gateways.gateway_of(deposit)
    if claimed != 1:
        return None
    if gateway is None or not deposit.external_id:
        # Nothing to ask (a gateway removed from settings, a payment never opened): no
        # more checks, rather than a lease renewed every few minutes for ever.
        DepositRequest.objects.filter(pk=deposit.pk).update(next_check_at=None)
        return None
    outcome = STILL_PENDING
    answered = False
    try:
        outcome = apply_observation(deposit, gateway.fetch_status(deposit), source="status check")
        answered = True
    except GatewayError as exc:
        log.warning("status check of payment %s failed: %s", deposit.reference, exc)
    later = deposit.checks + 1
    next_at = deposit.created_at + CHECK_AFTER[later] if later < len(CHECK_AFTER) else None
    # The last check and still not paid: an abandoned checkout. Expired, it stops
    # counting against the customer's pending deposits; money arriving later is held.
    abandoned = next_at is None and answered and outcome == STILL_PENDING
    if abandoned and _move(deposit, [Status.PENDING], Status.EXPIRED, note="not paid in time"):
        return EXPIRED
    DepositRequest.objects.filter(pk=deposit.pk, status=Status.PENDING).update(
        next_check_at=max(next_at, now) if next_at else None
    )
    return outcome


def check_due_payments() -> int:
    """One pass of the worker over the payments due for a check; how many it checked."""
    done = 0
    for deposit_id in due_checks():
        if check_payment(deposit_id) is not None:
            done += 1
    return done
