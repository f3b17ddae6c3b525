"""The one alert the worker cannot raise itself: that it has stopped.

``smmpanel watch-worker``, run by a timer outside the worker (deploy/systemd), reads the
worker's heartbeat: missing past ``ALERT_HEARTBEAT_MINUTES``, it opens the alert episode
and sends its messages itself, at once, since no worker is there to deliver them; fresh
again, it ends the episode. A message that fails is tried again by the next run.
"""

from smmpanel.configuration import selectors as configuration
from smmpanel.notifications import delivery, selectors, services
from smmpanel.notifications.models import Delivery, DeliveryState

HEARTBEAT_ALERT = "worker-heartbeat"


def watch_worker() -> str:
    """Check the worker's heartbeat once; returns what was found and done."""
    if not selectors.heartbeat_missing():
        return "worker alive" + (", alert ended" if services.clear_alert(HEARTBEAT_ALERT) else "")
    minutes = configuration.config().alert_heartbeat_minutes
    opened = services.raise_alert(HEARTBEAT_ALERT, "worker_heartbeat_missing", minutes=minutes)
    due = Delivery.objects.filter(
        alert__key=HEARTBEAT_ALERT,
        alert__cleared_at__isnull=True,
        state=DeliveryState.QUEUED,
    ).values_list("pk", flat=True)
    outcomes = [delivery.deliver(pk) for pk in list(due)]
    sent = outcomes.count("sent")
    return f"worker silent: alert {'opened' if opened else 'open'}, {sent} message(s) sent"
