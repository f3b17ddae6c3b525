"""Which stored setting each environment variable overrides. Plain Python: settings.py
reads it to record which of these variables the environment sets."""

# Stored field → the environment variable that wins over it when set.
FIELD_ENV: dict[str, str] = {
    "site_name": "SITE_NAME",
    "manual_instructions_en": "MANUAL_PAYMENT_INSTRUCTIONS",
    "manual_instructions_uk": "MANUAL_PAYMENT_INSTRUCTIONS",
    "smtp_host": "EMAIL_HOST",
    "smtp_port": "EMAIL_PORT",
    "smtp_user": "EMAIL_HOST_USER",
    "smtp_password": "EMAIL_HOST_PASSWORD",
    "smtp_security": "EMAIL_USE_TLS",
    "from_email": "DEFAULT_FROM_EMAIL",
    "telegram_bot_token": "TELEGRAM_BOT_TOKEN",
    "telegram_chat_ids": "TELEGRAM_CHAT_IDS",
    "staff_alert_emails": "STAFF_ALERT_EMAILS",
    "provider_low_balance": "PROVIDER_LOW_BALANCE",
    "alert_fail_minutes": "ALERT_FAIL_MINUTES",
    "alert_pending_minutes": "ALERT_PENDING_MINUTES",
    "alert_heartbeat_minutes": "ALERT_HEARTBEAT_MINUTES",
}
# Mail is one group: an environment that configures mail at all (a host or a backend of
# its own) owns every SMTP field, so stored and environment values are never mixed.
MAIL_FIELDS = ("smtp_host", "smtp_port", "smtp_user", "smtp_password", "smtp_security")
MAIL_ENV = ("EMAIL_HOST", "EMAIL_BACKEND", "EMAIL_USE_SSL")
ENV_NAMES = frozenset(FIELD_ENV.values()) | frozenset(MAIL_ENV)
