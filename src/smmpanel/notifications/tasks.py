"""Huey tasks: the worker's delivery loop (thin: ``delivery.deliver_due`` does the work)."""

import logging
import time

from django.conf import settings
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
    with periodic_lock.exclusive(DELIVERY_LOCK) as held:
        if held is None:
            return
        deadline = time.monotonic() + 55
        while time.monotonic() < deadline:
            state = held.check()
            if state is False:  # another worker took over while the database was away
                break
            if state:
                delivery_pass()
            time.sleep(settings.SWEEP_INTERVAL_SECONDS)


def delivery_pass() -> None:
    """One pass; a failure is logged and the next pass tries again."""
    try:
        deliver_due()
    except Exception:
        log.exception("notification delivery pass failed")
    finally:
        close_old_connections()
