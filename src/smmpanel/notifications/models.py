"""Notifications, staff alerts, the delivery outbox and the worker's heartbeat."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Notification(models.Model):
    """One message to a customer, shown in the panel (the bell) until read."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    # The event's facts (ids, amounts as display strings, reasons): the text is rendered
    # from them in the reader's language when shown.
    params = models.JSONField(default=dict)
    shown_in_panel = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["user", "created_at"],
                name="notification_unread",
                condition=Q(read_at__isnull=True, shown_in_panel=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} for user {self.user_id}"


class Preference(models.Model):
    """A customer's choice for one kind; no row means both channels on."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    kind = models.CharField(max_length=40)
    in_panel = models.BooleanField(default=True)
    by_email = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="preference_one_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind}: panel={self.in_panel} email={self.by_email}"


class Alert(models.Model):
    """One episode of a staff-facing condition: opened once, cleared when it ends.

    ``key`` names the condition's subject (``provider-balance:3``); the partial unique
    constraint allows one open episode per key, so overlapping sweeps cannot open two.
    """

    key = models.CharField(max_length=120)
    kind = models.CharField(max_length=40)
    params = models.JSONField(default=dict)
    opened_at = models.DateTimeField(auto_now_add=True)
    cleared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=Q(cleared_at__isnull=True), name="alert_one_open_per_key"
            )
        ]

    def __str__(self) -> str:
        return self.key


class Channel(models.TextChoices):
    EMAIL = "email", "email"
    TELEGRAM = "telegram", "Telegram"


class DeliveryState(models.TextChoices):
    QUEUED = "queued", "queued"
    SENDING = "sending", "sending"
    SENT = "sent", "sent"
    FAILED = "failed", "failed (given up)"
    SKIPPED = "skipped", "skipped"


class Delivery(models.Model):
    """The outbox: one message to one recipient on one channel, rendered when written.

    ``dedupe_key`` travels with the message (the email's Message-ID, the Telegram
    text's last line), so a message sent twice after a crash is recognisably one.
    """

    channel = models.CharField(max_length=10, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    dedupe_key = models.CharField(max_length=80, unique=True)
    notification = models.ForeignKey(Notification, null=True, blank=True, on_delete=models.CASCADE)
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.CASCADE)
    state = models.CharField(
        max_length=10, choices=DeliveryState.choices, default=DeliveryState.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    # Set when a claim went stale: the message may already be out. A second stale claim
    # gives up rather than risk a third copy.
    maybe_sent = models.BooleanField(default=False)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due",
                condition=Q(state="queued"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient} ({self.state})"


class Heartbeat(models.Model):
    """The last time a background process showed it was alive (``name='worker'``)."""

    name = models.CharField(max_length=40, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
