"""Huey tasks of the orders app: thin wrappers over its services."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from smmpanel import periodic_lock
from smmpanel.orders.services_habits import compute_average_times

AVERAGE_TIME_LOCK = periodic_lock.declare("orders-average-times")


@db_periodic_task(crontab(minute="23"))
def refresh_average_times() -> None:
    """Hourly: each service's average completion time from its recent orders (one worker
    at a time, across machines)."""
    with periodic_lock.exclusive(AVERAGE_TIME_LOCK) as held:
        if held is not None:
            compute_average_times()
