"""The one row of panel settings the owner stored. An empty text (or a null number)
means "not stored": the environment's value, or the built-in default, applies."""

from django.db import models


class PanelSettings(models.Model):
    """Singleton (pk 1). Secrets are sealed (``configuration.secrets``), never plain."""

    site_name = models.CharField(max_length=80, blank=True)
    # A small PNG or JPEG, served by the panel from /logo (never SVG: it can carry script).
    logo = models.BinaryField(blank=True, default=b"")
    logo_type = models.CharField(max_length=20, blank=True)
    support_email = models.EmailField(blank=True)
    support_telegram = models.CharField(max_length=33, blank=True)
    default_language = models.CharField(max_length=8, blank=True)
    default_time_zone = models.CharField(max_length=64, blank=True)
    terms_contact = models.CharField(max_length=300, blank=True)
    aup_contact = models.CharField(max_length=300, blank=True)
    manual_instructions_en = models.TextField(blank=True)
    manual_instructions_uk = models.TextField(blank=True)
    smtp_host = models.CharField(max_length=255, blank=True)
    smtp_port = models.PositiveIntegerField(null=True, blank=True)
    smtp_user = models.CharField(max_length=255, blank=True)
    smtp_password_sealed = models.TextField(blank=True)
    smtp_security = models.CharField(max_length=10, blank=True)  # starttls | ssl | none
    from_email = models.EmailField(blank=True)
    telegram_bot_token_sealed = models.TextField(blank=True)
    telegram_chat_ids = models.CharField(max_length=500, blank=True)
    staff_alert_emails = models.CharField(max_length=1000, blank=True)
    provider_low_balance = models.CharField(max_length=20, blank=True)
    alert_fail_minutes = models.PositiveIntegerField(null=True, blank=True)
    alert_pending_minutes = models.PositiveIntegerField(null=True, blank=True)
    alert_heartbeat_minutes = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "panel settings"
        verbose_name_plural = "panel settings"

    def __str__(self) -> str:
        return "panel settings"
