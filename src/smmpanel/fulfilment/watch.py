"""Staff alerts on the state of upstream work, checked by the worker every sweep.

Each condition opens one alert episode per subject (``notifications.raise_alert`` is a
no-op while an episode is open) and clears it once the condition no longer holds, so
staff hear of a problem once, not once a sweep, and again if it comes back.
"""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from smmpanel.configuration import selectors as configuration
from smmpanel.money import to_micros
from smmpanel.notifications.models import Alert
from smmpanel.notifications.services import beat, clear_alerts_except, raise_alert
from smmpanel.orders.models import Order, OrderStatus
from smmpanel.providers.models import Provider, SubmissionState

# One-off events (a new ticket, a chargeback) stay on the dashboard this long unless
# something clears them first (a staff reply clears its ticket's alert).
EVENT_ALERTS_SHOWN_FOR = timedelta(hours=24)
EVENT_KINDS = ("ticket_new", "chargeback")


def check_alerts() -> int:
    """Beat the worker's heartbeat, open and clear alert episodes; returns how many
    new episodes were opened."""
    beat()
    now = timezone.now()
    opened = _providers(now) + _orders(now)
    Alert.objects.filter(
        kind__in=EVENT_KINDS, cleared_at__isnull=True, opened_at__lt=now - EVENT_ALERTS_SHOWN_FOR
    ).update(cleared_at=now)
    return opened


def _providers(now) -> int:
    low_below = to_micros(configuration.config().provider_low_balance)
    opened, low, broken = 0, [], []
    for p in Provider.objects.filter(active=True):
        if p.balance_micros is not None and p.balance_micros < low_below:
            low.append(key := f"provider-balance:{p.pk}")
            opened += _raise(
                key,
                "provider_balance_low",
                provider=p.name,
                balance_micros=p.balance_micros,
                threshold_micros=low_below,
            )
        if p.breaker_open_until and p.breaker_open_until > now:
            broken.append(key := f"provider-circuit:{p.pk}")
            opened += _raise(key, "provider_circuit_open", provider=p.name)
    clear_alerts_except("provider_balance_low", low)
    clear_alerts_except("provider_circuit_open", broken)
    return opened


def _orders(now) -> int:
    opened = 0
    fail_minutes = configuration.config().alert_fail_minutes
    fail_before = now - timedelta(minutes=fail_minutes)
    failing = (
        Order.objects.filter(
            Q(status=OrderStatus.FAIL, updated_at__lt=fail_before)
            | Q(
                submissions__state=SubmissionState.UNKNOWN,
                submissions__claimed_at__lt=fail_before,
            )
        )
        .distinct()
        .count()
    )
    if failing:
        opened += _raise("orders-failing", "orders_failing", count=failing, minutes=fail_minutes)
    else:
        clear_alerts_except("orders_failing", [])
    pending_minutes = configuration.config().alert_pending_minutes
    pending = (
        Order.objects.filter(
            status=OrderStatus.PENDING,
            created_at__lt=now - timedelta(minutes=pending_minutes),
            # A drip-feed or scheduled run waiting for its time is not stuck.
            submissions__state=SubmissionState.QUEUED,
            submissions__next_attempt_at__lt=now - timedelta(minutes=pending_minutes),
        )
        .distinct()
        .count()
    )
    if pending:
        opened += _raise(
            "orders-pending", "orders_pending_long", count=pending, minutes=pending_minutes
        )
    else:
        clear_alerts_except("orders_pending_long", [])
    return opened


def _raise(key: str, kind: str, **params) -> int:
    return 0 if raise_alert(key, kind, **params) is None else 1
