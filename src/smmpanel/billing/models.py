from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Wallet(models.Model):
    """A user's prepaid balance: a cache of the sum of their ledger entries.

    ``balance_micros`` changes only through ``billing.services`` by a conditional
    UPDATE in the same transaction as the ledger entry; ``smmpanel audit-ledger``
    proves the two equal.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="wallet"
    )
    currency = models.CharField(max_length=3)
    balance_micros = models.BigIntegerField(default=0)
    frozen = models.BooleanField(
        default=False, help_text=_("under balance review: only staff may move it")
    )

    def __str__(self) -> str:
        return f"{self.user_id}: {self.balance_micros} {self.currency}"


class LedgerEntry(models.Model):
    """One money movement. Append-only: never updated, never deleted."""

    class Kind(models.TextChoices):
        DEPOSIT = "deposit", _("Deposit")
        CHARGE = "charge", _("Charge")
        REFUND = "refund", _("Refund")
        ADJUSTMENT = "adjustment", _("Adjustment")
        CHARGEBACK = "chargeback", _("Chargeback")

    # Indexed by ``ledger_user_recent``, which starts with the user.
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, db_index=False)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    amount_micros = models.BigIntegerField(help_text=_("signed: + credits, - debits"))
    balance_after_micros = models.BigIntegerField()
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    memo = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["user", "-id"], name="ledger_user_recent")]
        constraints = [
            # The database itself refuses a second charge or refund for one order,
            # so replaying a status sync can never refund twice.
            models.UniqueConstraint(
                fields=["order", "kind"],
                condition=models.Q(kind__in=["charge", "refund"]),
                name="ledger_one_charge_one_refund_per_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_micros} ({self.user_id})"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("ledger entries are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("ledger entries are append-only")


class HeldCredit(models.Model):
    """A credit (refund or deposit) that arrived while the balance was frozen.

    It is written to the ledger when the balance review ends, not before: the balance
    cannot move during a review except by staff.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    kind = models.CharField(max_length=16, choices=LedgerEntry.Kind.choices)
    amount_micros = models.BigIntegerField()
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    memo = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind"],
                condition=models.Q(kind="refund"),
                name="held_one_refund_per_order",
            ),
        ]

    def __str__(self) -> str:
        return f"held {self.kind} {self.amount_micros} ({self.user_id})"


class DepositRequest(models.Model):
    """A customer's request to add funds through a payment gateway.

    It moves no money by itself: confirming it writes exactly one ledger deposit (or a
    held credit under balance review), and its status changes only by a conditional
    UPDATE from ``pending`` so a double confirmation can never credit twice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deposit_requests"
    )
    gateway = models.CharField(max_length=32)
    amount_micros = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reference = models.CharField(
        max_length=16, unique=True, help_text=_("shown to the customer; quoted in the payment")
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(max_length=1000, blank=True)
    ledger_entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="deposit"
    )
    held_credit = models.OneToOneField(
        HeldCredit, null=True, blank=True, on_delete=models.PROTECT, related_name="deposit"
    )

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user", "-id"], name="deposit_user_recent"),
            models.Index(fields=["status", "id"], name="deposit_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_micros__gt=0), name="deposit_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.status} {self.amount_micros} ({self.user_id})"

    @property
    def gateway_name(self) -> str:
        """The payment method's display name (the code if the gateway is gone)."""
        from smmpanel.billing.gateways import gateway_of

        gateway = gateway_of(self)
        return str(gateway.name) if gateway is not None else self.gateway
