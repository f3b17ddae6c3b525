from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Provider(models.Model):
    """An upstream panel reached over API v2. Its key is stored encrypted."""

    name = models.CharField(max_length=100, unique=True)
    api_url = models.URLField(max_length=500)
    api_key_sealed = models.TextField()
    api_key_last4 = models.CharField(max_length=4)
    allow_private = models.BooleanField(
        default=False,
        help_text=_("allow http and loopback/private addresses (only for the built-in simulator)"),
    )
    active = models.BooleanField(default=True)
    balance_micros = models.BigIntegerField(null=True, blank=True)
    balance_currency = models.CharField(max_length=3, blank=True)
    balance_checked_at = models.DateTimeField(null=True, blank=True)
    breaker_failures = models.PositiveIntegerField(default=0)
    breaker_open_until = models.DateTimeField(null=True, blank=True)
    calls = models.PositiveBigIntegerField(default=0)
    failed_calls = models.PositiveBigIntegerField(default=0)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    services_synced_at = models.DateTimeField(null=True, blank=True)
    last_latency_ms = models.PositiveIntegerField(null=True, blank=True)
    avg_latency_ms = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("rolling average of recent calls")
    )
    last_error = models.CharField(max_length=500, blank=True)
    # The numbers of the last services answer that our columns cannot hold, one
    # {"service", "name", "field", "value", "low", "high"} per value: those offers were
    # left as they were, and staff see why on the providers page.
    refused_values = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ServiceRoute(models.Model):
    """Where a panel service is bought: a provider's service, in fallback order."""

    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="routes")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="routes")
    provider_service_id = models.CharField(max_length=64)
    cost_micros = models.BigIntegerField(help_text=_("provider's rate per 1000, micro-units"))
    markup_percent = models.DecimalField(max_digits=7, decimal_places=2, default=0)
    priority = models.PositiveIntegerField(default=0, help_text=_("0 = primary; then fallbacks"))
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["service_id", "priority", "id"]
        constraints = [
            models.UniqueConstraint(fields=["service", "provider"], name="route_unique_provider")
        ]

    def __str__(self) -> str:
        return f"{self.service_id} via {self.provider} #{self.provider_service_id}"


class SubmissionState(models.TextChoices):
    QUEUED = "queued", _("Queued")  # not sent yet; sent when next_attempt_at is due
    SENDING = "sending", _("Sending")  # claimed by a worker, request in flight
    ACTIVE = "active", _("Active")  # accepted upstream; status synced
    UNKNOWN = "unknown", _("Unknown")  # may or may not have reached the provider: staff check
    REFUSED = "refused", _("Refused")  # the provider said no
    DONE = "done", _("Done")  # final status reached upstream


class CostBasis(models.TextChoices):
    """How a finished run's provider cost was worked out (blank: not worked out, the
    run is still going or was closed without a final answer)."""

    REPORTED = "reported", _("charge reported by the provider")
    PRO_RATA = "pro_rata", _("charge pro rata to delivery")


class Submission(models.Model):
    """One upstream order for one run of a panel order (runs > 1 for drip-feed).

    This row is the outbox: it is written in the order's own transaction, so a crash
    between commit and enqueue loses nothing; the sweep sends whatever is due.
    """

    # The order, the provider and the due time have no index of their own: the
    # constraint and indexes in Meta start with them (fewer to write per order placed).
    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="submissions", db_index=False
    )
    run = models.PositiveIntegerField(default=1)
    quantity = models.PositiveIntegerField()
    state = models.CharField(max_length=8, choices=SubmissionState.choices, default="queued")
    route = models.ForeignKey(ServiceRoute, null=True, blank=True, on_delete=models.SET_NULL)
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.PROTECT, db_index=False
    )
    provider_order_id = models.CharField(max_length=64, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    next_sync_at = models.DateTimeField(null=True, blank=True)
    sync_interval = models.PositiveIntegerField(default=15, help_text=_("seconds"))
    remote_status = models.CharField(max_length=16, blank=True)
    start_count = models.BigIntegerField(null=True, blank=True)
    remains = models.BigIntegerField(null=True, blank=True)
    # What the provider charged for this run: the charge it last reported while the run
    # goes, and once it ends what it really charged for what it delivered (cost_basis).
    provider_charge_micros = models.BigIntegerField(null=True, blank=True)
    cost_basis = models.CharField(
        max_length=8, choices=CostBasis.choices, blank=True, default="", db_default=""
    )
    cancel_sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order_id", "run"]
        constraints = [
            models.UniqueConstraint(fields=["order", "run"], name="submission_one_per_run")
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="submission_due"),
            models.Index(fields=["provider", "state", "next_sync_at"], name="submission_sync"),
            # An accepted order id is looked up before it is taken (forwarding: a provider
            # that gives one id twice), in one step however long the provider's history.
            models.Index(fields=["provider", "provider_order_id"], name="submission_upstream_id"),
        ]

    def __str__(self) -> str:
        return f"order {self.order_id} run {self.run}: {self.state}"


class RefillSubmission(models.Model):
    """A customer refill forwarded upstream, with its own synced status."""

    refill = models.OneToOneField("orders.Refill", on_delete=models.CASCADE, primary_key=True)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT)
    provider_refill_id = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=8, choices=SubmissionState.choices, default="queued")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    # When a worker took it to send; one left ``sending`` long after stopped mid-send.
    claimed_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # The sweep's picks (due_refills: queued and due; sync_refills: active) read
            # by state, like ``submission_due``: without it each pass scans every refill.
            models.Index(fields=["state", "next_attempt_at"], name="refill_submission_due"),
        ]

    def __str__(self) -> str:
        return f"refill {self.refill_id}: {self.state}"


class PendingServiceChange(models.Model):
    """A change the catalog sync would make to a service that breaks what its name
    promises (refill, its period, limits): held for staff instead of going live and
    onto the public Updates page (``providers.promises``).

    One open row per service and provider: a later sync proposing the same values
    leaves it be, other values replace them, a sync keeping the promise drops it. A
    rejected row stays, so that the sync does not raise the same change again.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    service = models.ForeignKey(
        "catalog.Service", on_delete=models.CASCADE, related_name="pending_changes"
    )
    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="+")
    # field → value: what the sync would set, and what the service had when it was held
    changes = models.JSONField()
    before = models.JSONField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_reason = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "provider"],
                condition=models.Q(state="pending"),
                name="pending_change_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.service_id} via {self.provider_id}: {self.changes} ({self.state})"
