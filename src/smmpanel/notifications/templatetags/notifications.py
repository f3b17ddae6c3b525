"""Template tags: the header bell's count, the Settings choices, the staff Alerts box
(read through tags so the shared pages' views need no change)."""

from django import template

from smmpanel.notifications import selectors

register = template.Library()


@register.simple_tag
def unread_notifications(user) -> int:
    """The number of ``user``'s unread notifications (0 when signed out)."""
    if user is None or not user.is_authenticated:
        return 0
    return selectors.unread_count(user)


@register.simple_tag
def notification_preferences(user) -> list[dict]:
    """Each customer kind with ``user``'s choice of channels."""
    return selectors.preferences_of(user)


@register.simple_tag
def staff_alerts() -> dict:
    """Open alerts, the worker's heartbeat age and given-up deliveries, for staff."""
    return {
        "open": selectors.open_alerts(),
        "heartbeat_age": selectors.heartbeat_age(),
        "heartbeat_missing": selectors.heartbeat_missing(),
        "failed": selectors.failed_deliveries(),
    }


@register.filter
def timesince_minutes(age) -> int:
    """Whole minutes in a ``timedelta``."""
    return int(age.total_seconds() // 60)
