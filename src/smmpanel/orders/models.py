from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    IN_PROGRESS = "in_progress", _("In progress")
    PROCESSING = "processing", _("Processing")
    COMPLETED = "completed", _("Completed")
    PARTIAL = "partial", _("Partial")
    CANCELED = "canceled", _("Canceled")
    REVIEW = "review", _("Review")
    FAIL = "fail", _("Fail")


ACTIVE_STATUSES = (
    OrderStatus.PENDING,
    OrderStatus.IN_PROGRESS,
    OrderStatus.PROCESSING,
    OrderStatus.REVIEW,
    OrderStatus.FAIL,
)
FINAL_STATUSES = (OrderStatus.COMPLETED, OrderStatus.PARTIAL, OrderStatus.CANCELED)
# The unique constraint that keeps one active order per link (``Order.exclusive``).
ONE_ACTIVE_PER_TARGET = "order_one_active_per_target"
# Status -> its name, translated when shown (lazy).
STATUS_LABELS = dict(OrderStatus.choices)


class Order(models.Model):
    """A paid order. Its ``id`` is the public order id of API v2."""

    # No index of its own: the indexes below start with the user (one fewer to write per
    # order placed).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, db_index=False)
    service = models.ForeignKey("catalog.Service", on_delete=models.PROTECT)
    link = models.CharField(max_length=2000)
    canonical_link = models.CharField(max_length=2000)
    link_key = models.CharField(max_length=40, help_text=_("digest of the canonical link"))
    quantity = models.PositiveIntegerField(help_text=_("units, per run for drip-feed"))
    runs = models.PositiveIntegerField(null=True, blank=True)
    interval = models.PositiveIntegerField(null=True, blank=True, help_text=_("minutes"))
    params = models.JSONField(default=dict, blank=True)
    charge_micros = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=16, choices=OrderStatus.choices, default="pending")
    start_count = models.BigIntegerField(default=0)
    remains = models.BigIntegerField(default=0)
    source = models.CharField(max_length=8, default="api")
    # The database keeps the one-active-order-per-link rule for these (see Meta).
    exclusive = models.BooleanField(
        default=False,
        # Also the database's: code from before the column (a rolling deploy) can
        # still insert orders.
        db_default=False,
        help_text=_("placed under the one-active-order-per-link rule of its service"),
    )
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user", "-id"], name="order_user_recent"),
            # ``charge_micros`` last makes the index covering for the staff card's
            # per-status counts and charges (``order_summary``): an index-only scan on
            # both databases instead of a heap read of every order of the user. A key
            # column rather than ``include=``, which only PostgreSQL has (SQLite would
            # drop it, and warn models.W040 on every migrate).
            models.Index(
                fields=["user", "status", "-id", "charge_micros"], name="order_user_status"
            ),
            # ``link_key`` before ``service``: the one-active-order check matches all
            # three, and the customer's search by a pasted link matches (user, link_key).
            models.Index(fields=["user", "link_key", "service"], name="order_user_target"),
            models.Index(fields=["status", "id"], name="order_status"),
            # The few unfinished orders with a cancel asked for, where the sweep's
            # ``forward_cancels`` starts (rather than at every running submission).
            models.Index(
                fields=["id"],
                condition=models.Q(cancel_requested_at__isnull=False, status__in=ACTIVE_STATUSES),
                name="order_cancel_requested",
            ),
        ]
        # On PostgreSQL migration 0002 also adds ``order_link_trgm``, a pg_trgm GIN index
        # on UPPER(link) for the link search (``link__icontains``); it is not declared
        # here because neither the index type nor the extension exist on SQLite.
        constraints = [
            models.CheckConstraint(
                condition=models.Q(charge_micros__gte=0), name="order_charge_ge_0"
            ),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="order_quantity_gt_0"),
            # The one-active-order rule where a check cannot see a concurrent order:
            # placing one is a single statement on PostgreSQL (``orders.services``),
            # whose snapshot may predate another order for the same link committed
            # while it waited for the wallet. Orders from before this constraint are
            # not ``exclusive``; the statement's own check still sees them.
            models.UniqueConstraint(
                fields=["user", "link_key", "service"],
                condition=models.Q(exclusive=True, status__in=ACTIVE_STATUSES),
                name=ONE_ACTIVE_PER_TARGET,
            ),
        ]

    def __str__(self) -> str:
        return f"order {self.pk}"

    @property
    def total_quantity(self) -> int:
        return self.quantity * (self.runs or 1)

    @property
    def status_label(self) -> str:
        """The status's name in the active language. ``get_status_display`` rebuilds the
        whole choices mapping on each call, a tenth of the time of a 50-order page."""
        return str(STATUS_LABELS.get(self.status, self.status))


class OrderEvent(models.Model):
    """One state transition of an order, with who made it and why. Append-only."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status or '∅'} → {self.to_status}"


class RefillStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    REJECTED = "rejected", _("Rejected")


class Refill(models.Model):
    """A customer's request to top an order back up. Its ``id`` is the API refill id."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refills")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    status = models.CharField(max_length=16, choices=RefillStatus.choices, default="pending")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user", "-id"], name="refill_user_recent"),
            # The moderation queue's stuck refills: only the pending few, not the history.
            models.Index(
                fields=["-id"],
                condition=models.Q(status=RefillStatus.PENDING),
                name="refill_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"refill {self.pk} of order {self.order_id}"


class FavouriteService(models.Model):
    """A service a customer starred, to find it first on the services list and New order."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, db_index=False)
    service = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "service"], name="favourite_one_per_service")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} ★ {self.service_id}"


class ServiceAverageTime(models.Model):
    """How long the panel's own orders of a service took, worked out by the worker from
    the orders completed in the last ``AVERAGE_TIME_DAYS`` days (PerfectPanel's
    "Average time"); pages read this row instead of adding up orders on each view."""

    service = models.OneToOneField(
        "catalog.Service", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    orders = models.PositiveIntegerField(help_text=_("completed orders it is taken from"))
    average_seconds = models.PositiveIntegerField()
    computed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"service {self.service_id}: {self.average_seconds} s over {self.orders}"
