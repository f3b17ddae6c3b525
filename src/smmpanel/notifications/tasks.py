"""Huey tasks: the worker's delivery loop (thin: ``delivery.deliver_due`` does the work)."""

import logging
import time

from django.conf import settings
from django.db import close_old_connections
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, lock_task

from smmpanel.notifications.delivery import deliver_due

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
@lock_task("notifications-delivery")
def deliver() -> None:
    """Deliver due outbox rows every ``SWEEP_INTERVAL_SECONDS`` for just under a minute
    (Huey's schedule is per minute; the lock keeps one deliverer across workers)."""
    deadline = time.monotonic() + 55
    while time.monotonic() < deadline:
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
