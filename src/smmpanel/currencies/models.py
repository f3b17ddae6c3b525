from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Rates are kept as integers: units of the display currency per one unit of the panel's
# currency, times RATE_SCALE (six decimals: 41.235 UAH per USD is 41_235_000).
RATE_SCALE = 1_000_000


class DisplayRate(models.Model):
    """A currency customers may see amounts in, at the rate staff set. Shown only: every
    charge, refund, ledger entry and the API stay in the panel's currency."""

    code = models.CharField(max_length=3, unique=True, help_text=_("ISO 4217, e.g. UAH"))
    per_unit_scaled = models.BigIntegerField(
        help_text=_("units of this currency per one unit of the panel's, × 1,000,000")
    )
    set_at = models.DateTimeField()
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(per_unit_scaled__gt=0), name="display_rate_positive"
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.rate_text}"

    @property
    def rate_text(self) -> str:
        """The rate as staff typed it: ``41.235``."""
        return str((Decimal(self.per_unit_scaled) / RATE_SCALE).normalize())


class DisplayChoice(models.Model):
    """The currency a customer chose to see amounts in besides the panel's."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    rate = models.ForeignKey(DisplayRate, on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.rate_id}"
