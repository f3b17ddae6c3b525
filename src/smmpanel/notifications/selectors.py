"""Reading notifications, preferences, alerts and delivery health."""

from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from smmpanel.configuration import selectors as configuration
from smmpanel.notifications.kinds import CUSTOMER_KINDS, label, render
from smmpanel.notifications.models import (
    Alert,
    Delivery,
    DeliveryState,
    Heartbeat,
    Notification,
    Preference,
)
from smmpanel.notifications.services import WORKER


def unread_count(user) -> int:
    """How many in-panel notifications ``user`` has not read (the bell's number)."""
    return Notification.objects.filter(user=user, read_at__isnull=True, shown_in_panel=True).count()


def recent_for(user, limit: int = 100) -> list[dict]:
    """``user``'s latest in-panel notifications, rendered in the active language."""
    rows = Notification.objects.filter(user=user, shown_in_panel=True).order_by("-pk")[:limit]
    shown = []
    for row in rows:
        title, body = render(row.kind, row.params)
        shown.append(
            {
                "id": row.pk,
                "title": title,
                "body": body,
                "created_at": row.created_at,
                "unread": row.read_at is None,
            }
        )
    return shown


def preferences_of(user) -> list[dict]:
    """Every customer kind with its label and ``user``'s choice (both on by default)."""
    saved = {p.kind: p for p in Preference.objects.filter(user=user)}
    return [
        {
            "kind": kind,
            "label": label(kind),
            "in_panel": saved[kind].in_panel if kind in saved else True,
            "by_email": saved[kind].by_email if kind in saved else True,
        }
        for kind in CUSTOMER_KINDS
    ]


def open_alerts() -> list[dict]:
    """Staff alerts whose condition still holds, newest first, rendered."""
    alerts = Alert.objects.filter(cleared_at__isnull=True).order_by("-opened_at")[:50]
    return [
        {"kind": a.kind, "text": render(a.kind, a.params)[1], "opened_at": a.opened_at}
        for a in alerts
    ]


def heartbeat_age(name: str = WORKER) -> timedelta | None:
    """How long ago ``name`` last beat, or None if it never did."""
    beat_at = Heartbeat.objects.filter(name=name).values_list("beat_at", flat=True).first()
    return None if beat_at is None else timezone.now() - beat_at


def delivery_health() -> dict[str, int]:
    """Outbox rows by state (``failed``: given up, for staff to look at)."""
    counts = Delivery.objects.values("state").annotate(n=Count("pk"))
    health = {state: 0 for state in DeliveryState.values}
    health.update({row["state"]: row["n"] for row in counts})
    return health


def failed_deliveries(limit: int = 20) -> list[Delivery]:
    """The latest deliveries given up, with their last error."""
    return list(Delivery.objects.filter(state=DeliveryState.FAILED).order_by("-pk")[:limit])


def heartbeat_missing() -> bool:
    """Whether the worker has not beaten within ``ALERT_HEARTBEAT_MINUTES`` (or ever)."""
    age = heartbeat_age()
    minutes = configuration.config().alert_heartbeat_minutes
    return age is None or age > timedelta(minutes=minutes)
