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
        # A deposit bonus (or its reversal): never paid money, so never refunded as cash,
        # never the base of a commission, and reports keep it apart.
        BONUS = "bonus", _("Bonus")

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
        CONFIRMED = "confirmed", _("Paid")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")
        FAILED = "failed", _("Failed")
        # Money arrived but something does not match (amount, currency, a payment after
        # expiry): staff decide, nothing is credited meanwhile.
        HELD = "held", _("Held for review")

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
    # --- automatic gateways (see billing/payments.py) ---
    external_id = models.CharField(
        max_length=255, blank=True, help_text=_("the gateway's own id of the payment")
    )
    payment_id = models.CharField(
        max_length=255, blank=True, help_text=_("the gateway's id of the captured payment")
    )
    checkout_url = models.TextField(blank=True)
    fee_micros = models.BigIntegerField(default=0)
    fee_paid_by = models.CharField(max_length=10, blank=True)
    bonus_micros = models.BigIntegerField(default=0)
    pay_currency = models.CharField(max_length=3, blank=True)
    pay_minor = models.BigIntegerField(
        null=True, blank=True, help_text=_("what the gateway collects, in its minor units")
    )
    rate_micros = models.BigIntegerField(
        null=True, blank=True, help_text=_("gateway-currency micros per panel unit")
    )
    received_minor = models.BigIntegerField(null=True, blank=True)
    # Crypto paid in part (or more): what was asked, before the amount became what arrived.
    requested_micros = models.BigIntegerField(null=True, blank=True)
    received_currency = models.CharField(max_length=3, blank=True)
    customer_reference = models.CharField(
        max_length=100, blank=True, help_text=_("what the customer typed: the transfer's id")
    )
    held_reason = models.CharField(max_length=500, blank=True)
    bonus_entry = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="bonus_of"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    checks = models.PositiveSmallIntegerField(default=0)
    disputed_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user", "-id"], name="deposit_user_recent"),
            models.Index(fields=["status", "id"], name="deposit_status"),
            models.Index(
                fields=["next_check_at"],
                condition=models.Q(next_check_at__isnull=False),
                name="deposit_due_check",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_micros__gt=0), name="deposit_amount_positive"
            ),
            # One payment row per gateway payment: a replayed creation can never open two.
            models.UniqueConstraint(
                fields=["gateway", "external_id"],
                condition=~models.Q(external_id=""),
                name="deposit_one_per_gateway_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.status} {self.amount_micros} ({self.user_id})"

    @property
    def received_micros(self) -> int:
        """What the balance grows by when paid: the paid money plus the bonus."""
        return self.amount_micros + self.bonus_micros

    @property
    def paid_total_micros(self) -> int:
        """What the customer pays, in the panel's currency (the fee on top if theirs)."""
        return self.amount_micros + (self.fee_micros if self.fee_paid_by == "customer" else 0)

    @property
    def gateway_name(self) -> str:
        """The payment method's display name (the code if the gateway is gone)."""
        from smmpanel.billing.gateways import gateway_of

        gateway = gateway_of(self)
        return str(gateway.name) if gateway is not None else self.gateway


class GatewaySettings(models.Model):
    """The owner's settings of one payment gateway (staff settings, Payments). A gateway
    without a row follows ``PAYMENT_GATEWAYS``; keys and webhook secrets are sealed
    (``billing.gateway_secrets``) and never shown back."""

    code = models.CharField(max_length=32, unique=True)
    enabled = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)
    secrets_sealed = models.TextField(blank=True)
    min_micros = models.BigIntegerField(null=True, blank=True)
    max_micros = models.BigIntegerField(null=True, blank=True)
    fee_percent_bp = models.PositiveIntegerField(
        default=0, help_text=_("hundredths of a percent: 1% = 100")
    )
    fee_fixed_micros = models.BigIntegerField(default=0)
    fee_paid_by = models.CharField(max_length=10, default="customer")
    currency = models.CharField(max_length=3, blank=True)
    rate_micros = models.BigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "code"]
        verbose_name_plural = "gateway settings"

    def __str__(self) -> str:
        return f"{self.code} ({'on' if self.enabled else 'off'})"


class BonusTier(models.Model):
    """From a deposit of ``from_micros`` on, a bonus of ``percent_bp`` (1% = 100)."""

    from_micros = models.BigIntegerField(unique=True)
    percent_bp = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["from_micros"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(from_micros__gt=0, percent_bp__gt=0, percent_bp__lte=10_000),
                name="bonus_tier_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"from {self.from_micros}: +{self.percent_bp}bp"


class PaymentNotification(models.Model):
    """Every notification a gateway sent, verified or not, kept for staff and for replay
    in tests. Secrets never reach it: the body is the gateway's, the signature header is
    not stored."""

    gateway = models.CharField(max_length=32)
    received_at = models.DateTimeField(auto_now_add=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    verified = models.BooleanField(default=False)
    event_id = models.CharField(max_length=255, blank=True)
    event_type = models.CharField(max_length=100, blank=True)
    external_id = models.CharField(max_length=255, blank=True)
    deposit = models.ForeignKey(
        DepositRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="notifications",
    )
    outcome = models.CharField(max_length=40)
    body = models.TextField(blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["gateway", "event_id"], name="notification_event")]

    def __str__(self) -> str:
        return f"{self.gateway} {self.event_type} {self.outcome}"
