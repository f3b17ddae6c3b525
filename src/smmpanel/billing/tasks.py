"""Huey tasks: the worker asks the gateways about pending payments nobody told it about
(thin: ``payments.check_due_payments`` does the work)."""

import logging

from django.db import close_old_connections
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from smmpanel import periodic_lock
from smmpanel.billing.payments import check_due_payments

CHECK_LOCK = periodic_lock.declare("payments-status-check")

log = logging.getLogger(__name__)


@db_periodic_task(crontab(minute="*"))
def check_payments() -> None:
    """Check due payments once a minute; one checker across all workers (each check is
    also claimed by a conditional UPDATE, so two checkers would still credit once)."""
    with periodic_lock.exclusive(CHECK_LOCK) as held:
        if held is None:
            return
        try:
            check_due_payments()
        except Exception:
            log.exception("payment status check pass failed")
        finally:
            close_old_connections()
