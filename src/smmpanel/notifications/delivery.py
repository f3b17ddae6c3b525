"""Delivering the outbox: claim a due row, send outside any transaction, record.

Same shape as order forwarding (``fulfilment/forwarding.py``): a row is claimed by a
conditional UPDATE (``queued → sending``), so two workers never send the same row;
a failed send goes back to ``queued`` with doubling, jittered backoff and is given up
(``failed``, shown to staff) after ``MAX_ATTEMPTS``. A worker killed mid-send leaves the
row ``sending``; once stale it is released for one more try, marked ``maybe_sent``, and
a second stale claim gives up: a message goes out at most twice, each copy carrying
the row's dedupe key (Message-ID, the Telegram text's last line).
"""

import logging
import random
import smtplib
from datetime import timedelta

import httpx
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db.models import F
from django.utils import timezone

from smmpanel.configuration import selectors as configuration
from smmpanel.notifications.models import Channel, Delivery, DeliveryState

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
STALE_AFTER = timedelta(minutes=2)
TELEGRAM_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


class SendFailed(Exception):
    """A send that did not go out; ``permanent`` when trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float = 0):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


def mail_configured() -> bool:
    """Whether mail the panel sends can reach anyone (as ``accounts.mail`` decides)."""
    return configuration.mail_configured()


def deliver_due(limit: int = 200) -> dict[str, int]:
    """Release stale claims, then try every due row once; counts by outcome."""
    done = {"stale": release_stale_claims()}
    due = (
        Delivery.objects.filter(state=DeliveryState.QUEUED, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in list(due):
        outcome = deliver(delivery_id)
        done[outcome] = done.get(outcome, 0) + 1
    return done


def deliver(delivery_id: int) -> str:
    """Claim and send one row; returns what happened (for logs and tests)."""
    now = timezone.now()
    claimed = Delivery.objects.filter(
        pk=delivery_id, state=DeliveryState.QUEUED, next_attempt_at__lte=now
    ).update(state=DeliveryState.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if claimed != 1:
        return "not-due"
    row = Delivery.objects.get(pk=delivery_id)
    if row.channel == Channel.EMAIL and not mail_configured():
        _finish(row, DeliveryState.SKIPPED, "mail not configured")
        return "skipped"
    if row.channel == Channel.TELEGRAM and not configuration.config().telegram_bot_token():
        _finish(row, DeliveryState.SKIPPED, "Telegram not configured")
        return "skipped"
    try:
        if row.channel == Channel.EMAIL:
            send_email(row)
        else:
            send_telegram(row)
    except SendFailed as exc:
        return _failed(row, str(exc), permanent=exc.permanent, wait=exc.retry_after)
    _finish(row, DeliveryState.SENT, "", sent_at=timezone.now())
    return "sent"


def release_stale_claims() -> int:
    """Give back rows left ``sending`` by a worker that died; the second time, give up."""
    cutoff = timezone.now() - STALE_AFTER
    stale = Delivery.objects.filter(state=DeliveryState.SENDING, claimed_at__lt=cutoff)
    gave_up = stale.filter(maybe_sent=True).update(
        state=DeliveryState.FAILED, error="worker stopped twice while sending; may have been sent"
    )
    released = stale.filter(maybe_sent=False).update(
        state=DeliveryState.QUEUED, maybe_sent=True, next_attempt_at=timezone.now()
    )
    if gave_up or released:
        log.warning("notifications: %d stale sends released, %d given up", released, gave_up)
    return released + gave_up


def message_id(row: Delivery) -> str:
    """The Message-ID every copy of ``row`` carries: the same for a resend."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2] or "localhost"
    return f"<smmpanel.{row.dedupe_key.replace('@', '.')}@{domain}>"


def send_email(row: Delivery) -> None:
    """Send ``row`` through Django's mail; raises ``SendFailed``."""
    message = EmailMessage(
        subject=f"[{configuration.config().site_name}] {row.subject}",
        body=row.body,
        to=[row.recipient],
        headers={"Message-ID": message_id(row), "X-Smmpanel-Dedupe": row.dedupe_key},
        connection=get_connection(timeout=settings.EMAIL_TIMEOUT),
    )
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as exc:
        raise SendFailed(f"recipient refused: {exc.recipients}", permanent=True) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise SendFailed(f"mail: {type(exc).__name__}: {exc}") from exc


def telegram_text(row: Delivery) -> str:
    """The Telegram message: title, body and the dedupe key as its last line."""
    return f"{row.subject}\n{row.body}\n#{row.dedupe_key.replace('-', '_')}"


def send_telegram(row: Delivery) -> None:
    """Send ``row`` with the Bot API's ``sendMessage``; raises ``SendFailed``."""
    token = configuration.config().telegram_bot_token()
    url = f"{settings.TELEGRAM_API_URL.rstrip('/')}/bot{token}/sendMessage"
    payload = {"chat_id": row.recipient, "text": telegram_text(row)[:4096]}
    try:
        response = httpx.post(url, json=payload, timeout=TELEGRAM_TIMEOUT)
    except httpx.HTTPError as exc:
        # Never the URL in the message: it holds the bot token.
        raise SendFailed(f"Telegram unreachable: {type(exc).__name__}") from exc
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    if response.status_code == 200 and answer.get("ok") is True:
        return
    description = str(answer.get("description") or f"HTTP {response.status_code}")[:200]
    if response.status_code == 429:
        retry_after = (answer.get("parameters") or {}).get("retry_after") or 0
        raise SendFailed(f"Telegram: {description}", retry_after=float(retry_after))
    # Other 4xx (chat not found, bot blocked, bad token) will answer the same again.
    permanent = 400 <= response.status_code < 500
    raise SendFailed(f"Telegram: {description}", permanent=permanent)


def retry_delay(attempts: int) -> float:
    """Seconds before the next try after ``attempts`` tries: doubling from
    ``NOTIFICATION_RETRY_SECONDS`` up to
    an hour, ±50% so many rows failing together do not all come back at once."""
    base = settings.NOTIFICATION_RETRY_SECONDS / 2
    return min(2**attempts * base, 3600) * random.uniform(0.5, 1.5)


def _failed(row: Delivery, error: str, *, permanent: bool, wait: float) -> str:
    if permanent or row.attempts >= MAX_ATTEMPTS:
        _finish(row, DeliveryState.FAILED, error)
        log.warning("notifications: delivery %s given up: %s", row.pk, error)
        return "failed"
    Delivery.objects.filter(pk=row.pk, state=DeliveryState.SENDING).update(
        state=DeliveryState.QUEUED,
        next_attempt_at=timezone.now() + timedelta(seconds=max(wait, retry_delay(row.attempts))),
        error=error[:500],
    )
    return "retry"


def _finish(row: Delivery, state: str, error: str, **fields) -> None:
    Delivery.objects.filter(pk=row.pk, state=DeliveryState.SENDING).update(
        state=state, error=error[:500], **fields
    )
