"""Huey tasks: thin wrappers that call the fulfilment services (forwarding, customer
requests, the sweep) and the providers' catalogue sync."""

import logging

from django.db import DatabaseError, close_old_connections
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from smmpanel import periodic_lock
from smmpanel.database_outage import is_outage
from smmpanel.fulfilment import customer_requests, forwarding
from smmpanel.fulfilment.sweep import sweep_once
from smmpanel.providers import outbox
from smmpanel.providers.models import Submission, SubmissionState
from smmpanel.providers.services import refresh_catalogs

SWEEP_LOCK = periodic_lock.declare("providers-sweep")
CATALOG_SYNC_LOCK = periodic_lock.declare("providers-catalog-sync")

log = logging.getLogger(__name__)


@db_task()
def forward_order(order_id: int) -> None:
    """Send the due runs of a newly placed order (later runs wait for the sweep)."""
    try:
        due = Submission.objects.filter(order_id=order_id, state=SubmissionState.QUEUED)
        for submission_id in due.values_list("pk", flat=True):
            if forwarding.forward_submission(submission_id) == "busy":
                _retry_when_due(order_id, submission_id)
    except DatabaseError as exc:
        if not is_outage(exc):
            raise
        # The runs stay queued in the outbox: the sweep sends them once it is back.
        log.warning("forwarding order %s: database unavailable: %s", order_id, exc)


def _retry_when_due(order_id: int, submission_id: int) -> None:
    """Put an order whose run found its provider busy back on the queue for when the run
    is due again, where any thread of any worker takes it.

    Left to the sweep, such runs would be sent by one thread for the whole cluster, one
    provider call after another: with 100 ms per call, about 7 runs a second however
    many workers run (bench/scale_out.py measured it). The sweep still covers a lost
    message; the claim makes the two harmless to each other.
    """
    due_at = (
        Submission.objects.filter(pk=submission_id, state=SubmissionState.QUEUED)
        .values_list("next_attempt_at", flat=True)
        .first()
    )
    if due_at is None:
        return  # taken meanwhile (a sweep, a cancel): nothing to come back for
    delay = max(0.0, (due_at - timezone.now()).total_seconds())
    try:
        forward_order.schedule((order_id,), delay=delay)
    except Exception:  # a queue that is down: the sweep sends it when due
        log.warning("could not queue order %s again; the sweep will send it", order_id)


@db_task()
def forward_refill(refill_id: int) -> None:
    try:
        customer_requests.forward_refill(refill_id)
    except DatabaseError as exc:
        if not is_outage(exc):
            raise
        log.warning("forwarding refill %s: database unavailable: %s", refill_id, exc)


def listen_to_the_outbox() -> None:
    """Enqueue the forwarding of what the outbox announces (``FulfilmentConfig.ready``)."""
    outbox.order_work_queued.connect(_enqueue_order, dispatch_uid="fulfilment-order")
    outbox.refill_work_queued.connect(_enqueue_refill, dispatch_uid="fulfilment-refill")


def _enqueue_order(sender, *, order_id: int, **kwargs) -> None:
    forward_order(order_id)


def _enqueue_refill(sender, *, refill_id: int, **kwargs) -> None:
    forward_refill(refill_id)


@db_periodic_task(crontab(minute="*"))
def sweep() -> None:
    """Run the sweep every ``SWEEP_INTERVAL_SECONDS`` for just under a minute.

    Huey's schedule is per minute; looping inside keeps the demo's orders moving
    within seconds while the lock keeps a single sweeper across all workers (on every
    machine: smmpanel/periodic_lock.py). Each worker's scheduler enqueues one a minute;
    those that find the lock taken end at once.
    """
    periodic_lock.repeat_while_held(SWEEP_LOCK, sweep_pass)


def sweep_pass() -> None:
    """One pass of the sweep; a failure is logged and the next pass tries again."""
    try:
        sweep_once()
    except Exception as exc:
        if is_outage(exc):  # one line a pass while it is away, not a traceback
            log.warning("sweep pass failed, database unavailable: %s", exc)
        else:
            log.exception("sweep pass failed")
    finally:
        close_old_connections()


@db_periodic_task(crontab(minute="7"))
def sync_provider_catalogs() -> None:
    """Hourly: bring routed services in line with each provider's offer (limits, refill,
    cancel; paused when the cost rises above our price) and refresh provider balances."""
    with periodic_lock.exclusive(CATALOG_SYNC_LOCK) as held:
        if held is not None:
            refresh_catalogs()
