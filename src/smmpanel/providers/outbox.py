"""The outbox: upstream work recorded in the same transaction as the order it serves.

``queue_order`` runs inside ``place_order``'s transaction and writes one submission
per run; only after commit is the worker nudged, through a signal the worker's tasks
answer (``fulfilment.tasks``). If the process dies between commit and the nudge, the
sweep finds the due submission anyway: nothing is lost.
"""

import logging
from datetime import timedelta

from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from smmpanel.providers.models import RefillSubmission, Submission, SubmissionState

log = logging.getLogger(__name__)


def queue_order(order) -> list[Submission]:
    """Write the order's submissions (one per drip-feed run, due ``interval`` apart)."""
    now = timezone.now()
    runs = order.runs or 1
    step = timedelta(minutes=order.interval or 0)
    submissions = Submission.objects.bulk_create(
        Submission(
            order=order, run=run, quantity=order.quantity, next_attempt_at=now + step * (run - 1)
        )
        for run in range(1, runs + 1)
    )
    nudge_on_commit(order.pk)
    return submissions


def nudge_on_commit(order_id: int) -> None:
    """Wake the worker for the order's submissions once they are committed."""
    transaction.on_commit(lambda: nudge_forwarding(order_id))


def withdraw_unsent(order) -> bool:
    """Stop an order's upstream work if none of it has left the panel yet.

    Called in the transaction that cancels an order. Locks the submissions, so a
    worker cannot claim one between this check and the cancel (its claim is a
    conditional UPDATE on ``state='queued'`` and finds ``done`` instead).
    Returns False when something was already sent or is being sent.
    """
    submissions = Submission.objects.filter(order=order)
    if connection.features.has_select_for_update:
        submissions = submissions.select_for_update()
    states = {s.state for s in submissions}
    if states - {SubmissionState.QUEUED, SubmissionState.REFUSED, SubmissionState.DONE}:
        return False
    Submission.objects.filter(order=order, state=SubmissionState.QUEUED).update(
        state=SubmissionState.DONE, error="withdrawn: order canceled before sending"
    )
    return True


def queue_refill(refill) -> RefillSubmission | None:
    """Record that a refill must go upstream to the provider that has the order."""
    sent = (
        Submission.objects.filter(order_id=refill.order_id, run=1)
        .exclude(provider_order_id="")
        .select_related("provider")
        .first()
    )
    if sent is None:
        return None  # never forwarded (manual service): staff handle it
    entry = RefillSubmission.objects.create(
        refill=refill, provider=sent.provider, next_attempt_at=timezone.now()
    )
    transaction.on_commit(lambda: _nudge_refill(refill.pk))
    return entry


# What the outbox announces once its rows are committed. The worker's tasks
# (``fulfilment.tasks``, a layer above) listen; the outbox does not know who sends them.
order_work_queued = Signal()  # order_id: the order has queued submissions
refill_work_queued = Signal()  # refill_id: the refill has a queued refill submission


def nudge_forwarding(order_id: int) -> None:
    """Tell the worker, now, that the order's queued submissions wait to be sent."""
    _announce(order_work_queued, order_id=order_id)


def _nudge_refill(refill_id: int) -> None:
    _announce(refill_work_queued, refill_id=refill_id)


def _announce(signal: Signal, **work: int) -> None:
    # A queue that is down must not fail a committed order: the sweep covers it.
    for receiver, answer in signal.send_robust(sender=None, **work):
        if isinstance(answer, Exception):
            log.warning(
                "enqueue by %s%r failed; the sweep will pick it up",
                getattr(receiver, "__name__", receiver),
                tuple(work.values()),
            )
