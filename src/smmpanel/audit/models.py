"""The audit log: one append-only row per policy decision that was not a plain allow,
per staff action (who did what, and why) and per enforcement by the system.

A leaf app: it imports nothing of the panel, so every app may write to it. The table
is still ``policy_decision`` (the model moved here from ``policy`` without a table
change).
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DecisionQuerySet(models.QuerySet):
    """Bulk updates and deletes would bypass ``Decision.save``/``delete``: refused too."""

    def update(self, **kwargs):
        raise ValueError("decisions are append-only")

    def delete(self):
        raise ValueError("decisions are append-only")


class Decision(models.Model):
    """One non-allow policy decision or staff enforcement action. Append-only."""

    point = models.CharField(max_length=32, db_index=True)
    rule_code = models.CharField(max_length=64, db_index=True)
    rule_version = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=16)
    enforced = models.BooleanField(default=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    api_key = models.ForeignKey(
        "accounts.ApiKey", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("staff member; empty for the system"),
    )
    inputs = models.JSONField(default=dict, blank=True)
    rule_state = models.JSONField(
        default=dict, blank=True, help_text=_("the rule's outcome and thresholds at the time")
    )
    details = models.JSONField(
        default=dict, blank=True, help_text=_("the values the rule's message was filled with")
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        db_table = "policy_decision"
        ordering = ["-id"]
        indexes = [models.Index(fields=["user", "rule_code", "-created_at"], name="decision_user")]

    def __str__(self) -> str:
        return f"{self.rule_code} → {self.outcome}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("decisions are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("decisions are append-only")
