from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from smmpanel.catalog import link_formats, service_types
from smmpanel.money import div_round_half_up


class Platform(models.Model):
    name = models.CharField(max_length=60, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="categories")
    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["platform__position", "position", "name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["platform", "name"], name="category_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """A sellable service. Its ``id`` is the public service id of API v2."""

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=255)
    type = models.CharField(
        max_length=40, choices=service_types.CHOICES, default=service_types.DEFAULT.slug
    )
    rate_micros = models.BigIntegerField(help_text=_("price per 1000 in micro-units"))
    min_quantity = models.PositiveIntegerField(default=10)
    max_quantity = models.PositiveIntegerField(default=10000)
    refill = models.BooleanField(default=False)
    refill_days = models.PositiveIntegerField(default=0, help_text=_("refill period, days"))
    cancel = models.BooleanField(default=False)
    dripfeed = models.BooleanField(default=False)
    start_time = models.CharField(max_length=100, blank=True, help_text=_("e.g. 0-1 hour"))
    speed = models.CharField(max_length=100, blank=True, help_text=_("e.g. 5K/day"))
    link_format = models.CharField(max_length=40, choices=link_formats.CHOICES)
    description = models.TextField(blank=True)
    allow_multiple_active = models.BooleanField(
        default=False, help_text=_("allow several active orders on the same link")
    )
    active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category__platform__position", "category__position", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(min_quantity__lte=models.F("max_quantity")),
                name="service_min_lte_max",
            ),
            models.CheckConstraint(
                condition=models.Q(rate_micros__gte=0), name="service_rate_ge_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.id} — {self.name}"

    @property
    def service_type(self) -> service_types.ServiceType:
        return service_types.type_named(self.type) or service_types.DEFAULT

    @property
    def link_format_spec(self) -> link_formats.LinkFormat:
        return link_formats.link_format(self.link_format)


class ServiceUpdate(models.Model):
    """One public change to a service, shown on the Updates page. Append-only."""

    class Kind(models.TextChoices):
        CREATED = "created", _("New service")
        RATE = "rate", _("Rate changed")
        MIN = "min", _("Minimum changed")
        MAX = "max", _("Maximum changed")
        REFILL = "refill", _("Refill changed")
        ENABLED = "enabled", _("Enabled")
        DISABLED = "disabled", _("Disabled")

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    old_value = models.CharField(max_length=64, blank=True)
    new_value = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.service_id} {self.kind} {self.old_value} → {self.new_value}"


class CustomRate(models.Model):
    """A customer's own price: a fixed rate per 1000 for one service, or a discount in
    basis points (1/100 of a percent) for one service or, with no service, for all.

    A rule for the service wins over the all-services rule. Set by staff through
    ``staff.actions.catalog.staff_set_custom_rate`` (audited); read by order pricing.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="custom_rates"
    )
    service = models.ForeignKey(
        Service,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="custom_rates",
        help_text=_("empty: every service"),
    )
    rate_micros = models.BigIntegerField(
        null=True, blank=True, help_text=_("own price per 1000 in micro-units")
    )
    discount_bp = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("discount in basis points (100 = 1%)")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["user", "service_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "service"], name="custom_rate_one_per_service"),
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(service__isnull=True),
                name="custom_rate_one_for_all",
            ),
            # Exactly one of the two kinds, and a fixed rate only for one service.
            models.CheckConstraint(
                condition=(
                    models.Q(
                        rate_micros__isnull=False,
                        discount_bp__isnull=True,
                        service__isnull=False,
                        rate_micros__gte=0,
                    )
                    | models.Q(
                        rate_micros__isnull=True, discount_bp__isnull=False, discount_bp__lte=10000
                    )
                ),
                name="custom_rate_kind",
            ),
        ]

    def __str__(self) -> str:
        if self.rate_micros is not None:
            return f"{self.user_id}: {self.service_id} at {self.rate_micros} micros"
        return f"{self.user_id}: {self.service_id or 'all'} less {self.discount_bp} bp"

    @property
    def discount_percent(self) -> str:
        """The discount as a percent for people: 750 bp → ``"7.5"``."""
        whole, part = divmod(self.discount_bp or 0, 100)
        return f"{whole}.{part:02d}".rstrip("0").rstrip(".")

    def rate_for(self, base_micros: int) -> int:
        """The price per 1000 this rule gives a service whose list rate is ``base_micros``."""
        if self.rate_micros is not None:
            return self.rate_micros
        return discounted(base_micros, self.discount_bp or 0)


def discounted(base_micros: int, discount_bp: int) -> int:
    """``base`` less ``discount_bp`` basis points, rounded half-up to a micro-unit."""
    return div_round_half_up(base_micros * (10000 - discount_bp), 10000)


class CatalogVersion(models.Model):
    """One row whose counter the database itself raises, in the same transaction, with
    every change to a service, category or platform (triggers, migration 0003): bulk
    updates and raw SQL included. A process asks it whether its copy of the active
    catalog is still current (``catalog.active_catalog``) instead of reading the
    catalog again."""

    counter = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"catalog version {self.counter}"
