"""Refills and cancels that customers asked for, carried to the provider and back."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from smmpanel.fulfilment.forwarding import retry_delay
from smmpanel.fulfilment.settlement import settle_if_finished
from smmpanel.orders.models import ACTIVE_STATUSES, Order, RefillStatus
from smmpanel.orders.services import move_refill
from smmpanel.providers.client import ProviderError, ProviderRefused, ProviderUnavailable
from smmpanel.providers.connection import client_for
from smmpanel.providers.models import RefillSubmission, Submission, SubmissionState

log = logging.getLogger(__name__)

# Tries of a refill whose provider cannot be reached before it is rejected (with
# ``retry_delay`` between them, about a quarter of an hour): nothing was sent, so the
# customer may simply ask again later.
REFILL_ATTEMPTS = 8

REFILL_STATUSES = {
    "pending": RefillStatus.PENDING,
    "in progress": RefillStatus.IN_PROGRESS,
    "processing": RefillStatus.IN_PROGRESS,
    "completed": RefillStatus.COMPLETED,
    "rejected": RefillStatus.REJECTED,
    "canceled": RefillStatus.REJECTED,
    "error": RefillStatus.REJECTED,
}


def due_refills(limit: int = 500) -> list[int]:
    return list(
        RefillSubmission.objects.filter(
            state=SubmissionState.QUEUED, next_attempt_at__lte=timezone.now()
        ).values_list("pk", flat=True)[:limit]
    )


def forward_refill(refill_id: int) -> str:
    """Send a queued refill to the provider holding its order.

    Unreachable (nothing sent): tried again with backoff, then rejected after
    ``REFILL_ATTEMPTS`` tries. Refused: rejected. Ambiguous (it may have arrived):
    ``unknown``, for staff, never re-sent.
    """
    now = timezone.now()
    claimed = RefillSubmission.objects.filter(
        pk=refill_id, state=SubmissionState.QUEUED, next_attempt_at__lte=now
    ).update(state=SubmissionState.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if claimed != 1:
        return "not-due"
    entry = RefillSubmission.objects.select_related("provider", "refill").get(pk=refill_id)
    provider_order_id = (
        Submission.objects.filter(order_id=entry.refill.order_id, run=1)
        .values_list("provider_order_id", flat=True)
        .first()
    )
    try:
        remote_id = client_for(entry.provider).refill(provider_order_id)
    except ProviderUnavailable as exc:
        if entry.attempts >= REFILL_ATTEMPTS:
            message = f"{entry.provider.name} could not be reached ({exc.message})"
            _close_refill(refill_id, SubmissionState.REFUSED, RefillStatus.REJECTED, message)
            log.warning("refill %s rejected after %s tries: %s", refill_id, entry.attempts, message)
            return "refused"
        _sending(refill_id).update(
            state=SubmissionState.QUEUED,
            next_attempt_at=now + timedelta(seconds=retry_delay(entry.attempts)),
            error=exc.message[:500],
        )
        return "retry"
    except ProviderRefused as exc:
        _close_refill(refill_id, SubmissionState.REFUSED, RefillStatus.REJECTED, exc.message)
        return "refused"
    except ProviderError as exc:  # may have reached the provider: staff look, no resend
        _close_refill(refill_id, SubmissionState.UNKNOWN, None, exc.message)
        return "unknown"
    _sending(refill_id).update(state=SubmissionState.ACTIVE, provider_refill_id=remote_id, error="")
    return "accepted"


def _sending(refill_id: int):
    """The refill while this send still holds it: once the sweep has released it as
    stale (``unknown``) or staff have closed it, a late answer changes nothing."""
    return RefillSubmission.objects.filter(pk=refill_id, state=SubmissionState.SENDING)


def release_stale_refills() -> int:
    """Refills left ``sending`` by a worker that stopped mid-send: the request may have
    reached the provider, so they become ``unknown`` for staff, never re-sent."""
    cutoff = timezone.now() - timedelta(seconds=settings.STALE_CLAIM_SECONDS)
    # Without a claim time: claimed by a worker from before ``claimed_at`` existed.
    stale = Q(claimed_at__lt=cutoff) | Q(claimed_at__isnull=True)
    released = RefillSubmission.objects.filter(stale, state=SubmissionState.SENDING).update(
        state=SubmissionState.UNKNOWN,
        error="refill unknown: the worker stopped while sending; check upstream",
    )
    if released:
        log.warning("%s refill(s) left sending by a stopped worker, now unknown", released)
    return released


def _close_refill(refill_id: int, state: str, refill_status: str | None, message: str) -> None:
    with transaction.atomic():
        closed = _sending(refill_id).update(state=state, error=message[:500])
        if closed and refill_status is not None:
            move_refill(refill_id, refill_status)


def sync_refills(limit: int = 500) -> int:
    """Poll the status of forwarded refills that are not finished yet."""
    entries = RefillSubmission.objects.filter(state=SubmissionState.ACTIVE).select_related(
        "provider"
    )[:limit]
    synced = 0
    failing: set[int] = set()  # providers that failed this pass: asked again next pass
    for entry in entries:
        if entry.provider_id in failing:
            continue
        try:
            # No retries within a pass, as for order statuses (status_sync.sync_provider).
            client = client_for(entry.provider, retries=0)
            remote = client.refill_status(entry.provider_refill_id)
        except ProviderError as exc:
            RefillSubmission.objects.filter(pk=entry.pk).update(error=exc.message[:500])
            failing.add(entry.provider_id)
            continue
        status = REFILL_STATUSES.get(" ".join(remote.lower().split()))
        if status is None:
            continue
        with transaction.atomic():
            move_refill(entry.pk, status)
            if status in (RefillStatus.COMPLETED, RefillStatus.REJECTED):
                RefillSubmission.objects.filter(pk=entry.pk).update(state=SubmissionState.DONE)
        synced += 1
    return synced


def forward_cancels(limit: int = 1000) -> int:
    """Send customers' cancel requests for unfinished orders already upstream, 100 ids per
    call (an order that ended meanwhile, e.g. marked partial by staff, is not canceled).

    Runs not sent yet (drip-feed) are withdrawn instead: they count as undelivered
    when the order settles.
    """
    _withdraw_waiting_runs()
    # From the few unfinished orders with a cancel asked for (the partial index
    # ``order_cancel_requested``) to their runs, not from every running submission to
    # its order: the sweep then costs the same with 40 or 40,000 orders running.
    asked = Order.objects.filter(
        cancel_requested_at__isnull=False, status__in=ACTIVE_STATUSES
    ).values("pk")
    subs = list(
        Submission.objects.filter(
            order__in=asked, state=SubmissionState.ACTIVE, cancel_sent_at__isnull=True
        ).select_related("provider")[:limit]
    )
    by_provider: dict[int, list[Submission]] = {}
    for sub in subs:
        by_provider.setdefault(sub.provider_id, []).append(sub)
    sent = 0
    for group in by_provider.values():
        for start in range(0, len(group), 100):
            batch = group[start : start + 100]
            try:
                answers = client_for(group[0].provider).cancel([s.provider_order_id for s in batch])
            except ProviderError:
                continue  # tried again on the next sweep
            now = timezone.now()
            for sub in batch:
                answer = answers.get(sub.provider_order_id)
                refused = isinstance(answer, ProviderRefused)
                Submission.objects.filter(pk=sub.pk).update(
                    cancel_sent_at=now,
                    error=f"cancel refused: {answer.message}"[:500] if refused else sub.error,
                    next_sync_at=now,
                )
                sent += 1
    return sent


def _withdraw_waiting_runs() -> None:
    waiting = Submission.objects.filter(
        state=SubmissionState.QUEUED, order__cancel_requested_at__isnull=False
    )
    for order_id in set(waiting.values_list("order_id", flat=True)):
        with transaction.atomic():
            Submission.objects.filter(order_id=order_id, state=SubmissionState.QUEUED).update(
                state=SubmissionState.DONE, error="withdrawn: cancel requested before sending"
            )
            settle_if_finished(order_id)
