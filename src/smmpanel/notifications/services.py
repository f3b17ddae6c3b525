"""Writing notifications and staff alerts: rows only, in the caller's transaction.

``notify`` and ``raise_alert`` never send anything: they write the notification (or
alert) and its outbox rows (``Delivery``), which the worker delivers after commit
(``delivery.deliver_due``). A rolled-back event leaves no message; a committed one
loses none, whatever happens to the mail server or Telegram.
"""

from collections.abc import Iterable, Mapping

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from smmpanel.configuration import selectors as configuration
from smmpanel.notifications.kinds import CUSTOMER_KINDS, render
from smmpanel.notifications.models import (
    Alert,
    Channel,
    Delivery,
    Heartbeat,
    Notification,
    Preference,
)

WORKER = "worker"


def notify(user, kind: str, **params) -> Notification | None:
    """Tell ``user`` about an event of ``kind`` (a key of ``kinds.CUSTOMER_KINDS``).

    ``params`` are the event's facts, JSON values (amounts as ``*_micros`` ints). Writes
    the in-panel notification and, if the user wants this kind by email, an email
    outbox row rendered in the user's language. Returns None when the user switched the
    kind off on both channels.
    """
    if kind not in CUSTOMER_KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    choice = Preference.objects.filter(user=user, kind=kind).first()
    in_panel = choice.in_panel if choice else True
    by_email = choice.by_email if choice else True
    if not (in_panel or by_email):
        return None
    note = Notification.objects.create(user=user, kind=kind, params=params, shown_in_panel=in_panel)
    if by_email and user.email:
        subject, body = render(kind, params, user.language)
        _queue(Channel.EMAIL, user.email, subject, body, f"n{note.pk}", notification=note)
    return note


def raise_alert(key: str, kind: str, **params) -> Alert | None:
    """Open a staff alert episode for ``key`` unless one is open; returns the new alert.

    The first call of an episode writes the alert and one outbox row per staff email
    address and Telegram chat; later calls while it stays open write nothing, so a
    condition seen every sweep is announced once.
    """
    if Alert.objects.filter(key=key, cleared_at__isnull=True).exists():
        return None
    try:
        with transaction.atomic():
            alert = Alert.objects.create(key=key, kind=kind, params=params)
    except IntegrityError:  # an overlapping sweep opened it first
        return None
    subject, body = render(kind, params, settings.LANGUAGE_CODE)
    current = configuration.config()  # the environment's, else the staff settings page's
    for address in current.staff_alert_emails:
        _queue(Channel.EMAIL, address, subject, body, f"a{alert.pk}-{address}", alert=alert)
    if current.telegram_bot_token():
        for chat in current.telegram_chat_ids:
            _queue(Channel.TELEGRAM, chat, subject, body, f"a{alert.pk}-tg{chat}", alert=alert)
    return alert


def clear_alert(key: str) -> int:
    """End the open episode of ``key`` (if any); returns how many were cleared."""
    return Alert.objects.filter(key=key, cleared_at__isnull=True).update(cleared_at=timezone.now())


def clear_alerts_except(kind: str, still_true: Iterable[str]) -> int:
    """End every open episode of ``kind`` whose key is not in ``still_true``."""
    return (
        Alert.objects.filter(kind=kind, cleared_at__isnull=True)
        .exclude(key__in=list(still_true))
        .update(cleared_at=timezone.now())
    )


def mark_read(user, notification_ids: Iterable[int] | None = None) -> int:
    """Mark ``user``'s notifications read (all unread ones when ids is None)."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())


def set_preferences(user, choices: Mapping[str, tuple[bool, bool]]) -> None:
    """Save ``user``'s (in panel, by email) choice for each kind given."""
    with transaction.atomic():
        for kind, (in_panel, by_email) in choices.items():
            if kind not in CUSTOMER_KINDS:
                raise ValueError(f"unknown notification kind {kind!r}")
            Preference.objects.update_or_create(
                user=user, kind=kind, defaults={"in_panel": in_panel, "by_email": by_email}
            )


def beat(name: str = WORKER) -> None:
    """Record that the process ``name`` is alive now (the worker: every sweep)."""
    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})


def _queue(channel: str, recipient: str, subject: str, body: str, key: str, **cause) -> None:
    Delivery.objects.create(
        channel=channel,
        recipient=recipient,
        subject=subject[:200],
        body=body,
        dedupe_key=key[:80],
        next_attempt_at=timezone.now(),
        **cause,
    )
