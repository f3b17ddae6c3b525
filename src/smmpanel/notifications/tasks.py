"""Huey tasks: the worker's delivery loop (thin: ``delivery.deliver_due`` does the work)."""

import logging

from django.db import close_old_connections
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from smmpanel import periodic_lock
from smmpanel.notifications.delivery import deliver_due

DELIVERY_LOCK = periodic_lock.declare("notifications-delivery")

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
def deliver() -> None:
    """Deliver due outbox rows every ``SWEEP_INTERVAL_SECONDS`` for just under a minute
    (Huey's schedule is per minute; the lock keeps one deliverer across workers on every
    machine: smmpanel/periodic_lock.py)."""
    periodic_lock.repeat_while_held(DELIVERY_LOCK, delivery_pass)


def delivery_pass() -> None:
    """One pass; a failure is logged and the next pass tries again."""
    try:
        deliver_due()
    except Exception:
        log.exception("notification delivery pass failed")
    finally:
        close_old_connections()
