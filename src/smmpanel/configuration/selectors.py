"""The effective panel configuration: the environment where it sets a value, else what
the owner stored on /staff/settings/, else the built-in default (settings.py).

Read from the database at most once per ``POLICY_CACHE_SECONDS`` in each process
(``ProcessSnapshot``, as the policy rules); the process that saves drops its copy at once
(model signals, wired in ``ConfigurationConfig.ready``).
"""

import time
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation

from smmpanel.configuration import secrets
from smmpanel.configuration.env import FIELD_ENV, MAIL_ENV, MAIL_FIELDS
from smmpanel.configuration.models import PanelSettings
from smmpanel.deploy_checks import UNCONFIGURED_EMAIL_BACKEND
from smmpanel.process_cache import ProcessSnapshot

SINGLETON_PK = 1
SMTP_SECURITY = ("starttls", "ssl", "none")


def _clock() -> float:
    return time.monotonic()


def _read_row() -> dict:
    row = PanelSettings.objects.filter(pk=SINGLETON_PK).defer("logo").first()
    if row is None:
        return {}
    values = {f.name: getattr(row, f.name) for f in PanelSettings._meta.concrete_fields}
    values.pop("logo", None)
    return values


_stored = ProcessSnapshot(_read_row, settings.POLICY_CACHE_SECONDS, lambda: _clock())


@dataclass(frozen=True)
class PanelConfig:
    """What the panel uses now. ``from_env``: the fields the environment decides."""

    site_name: str
    logo_version: str  # "" without a logo; else changes with every save (cache busting)
    support_email: str
    support_telegram: str
    default_language: str
    default_time_zone: str
    terms_contact: str
    aup_contact: str
    manual_instructions_en: str
    manual_instructions_uk: str
    smtp_host: str
    smtp_port: int
    smtp_user: str
    smtp_security: str
    from_email: str
    telegram_chat_ids: list[str]
    staff_alert_emails: list[str]
    provider_low_balance: str
    alert_fail_minutes: int
    alert_pending_minutes: int
    alert_heartbeat_minutes: int
    smtp_password_set: bool
    telegram_bot_token_set: bool
    from_env: frozenset[str] = field(default_factory=frozenset)
    _smtp_password_sealed: str = ""
    _telegram_token_sealed: str = ""

    def smtp_password(self) -> str:
        """The SMTP password in use (opened only when asked)."""
        if "smtp_password" in self.from_env or not self._smtp_password_sealed:
            return settings.EMAIL_HOST_PASSWORD
        return secrets.unseal(self._smtp_password_sealed)

    def telegram_bot_token(self) -> str:
        """The Telegram bot token in use ("" when none)."""
        if "telegram_bot_token" in self.from_env or not self._telegram_token_sealed:
            return settings.TELEGRAM_BOT_TOKEN
        return secrets.unseal(self._telegram_token_sealed)

    def manual_instructions(self) -> str:
        """The manual payment instructions in the active language (the other language's
        when only that one is written)."""
        first, second = self.manual_instructions_en, self.manual_instructions_uk
        if (translation.get_language() or "").startswith("uk"):
            first, second = second, first
        return first or second


def env_fields() -> frozenset[str]:
    """The stored fields the environment overrides (its variable is set)."""
    names = settings.PANEL_SETTINGS_FROM_ENV
    fields = {f for f, var in FIELD_ENV.items() if var in names}
    if any(var in names for var in MAIL_ENV):
        fields |= set(MAIL_FIELDS)
    return frozenset(fields)


def _defaults() -> dict:
    """The environment's (or built-in) value of every field that has one."""
    security = "ssl" if settings.EMAIL_USE_SSL else "starttls" if settings.EMAIL_USE_TLS else "none"
    return {
        "site_name": settings.SITE_NAME,
        "manual_instructions_en": settings.MANUAL_PAYMENT_INSTRUCTIONS,
        "manual_instructions_uk": settings.MANUAL_PAYMENT_INSTRUCTIONS,
        "smtp_host": settings.EMAIL_HOST,
        "smtp_port": settings.EMAIL_PORT,
        "smtp_user": settings.EMAIL_HOST_USER,
        "smtp_security": security,
        "from_email": settings.DEFAULT_FROM_EMAIL,
        "telegram_chat_ids": list(settings.TELEGRAM_CHAT_IDS),
        "staff_alert_emails": list(settings.STAFF_ALERT_EMAILS),
        "provider_low_balance": settings.PROVIDER_LOW_BALANCE,
        "alert_fail_minutes": settings.ALERT_FAIL_MINUTES,
        "alert_pending_minutes": settings.ALERT_PENDING_MINUTES,
        "alert_heartbeat_minutes": settings.ALERT_HEARTBEAT_MINUTES,
    }


def split_list(text: str) -> list[str]:
    """A stored comma- or line-separated list as its items."""
    return [item.strip() for item in text.replace("\n", ",").split(",") if item.strip()]


def config() -> PanelConfig:
    """The effective configuration (see the module's docstring)."""
    stored = dict(_stored())
    for name in ("telegram_chat_ids", "staff_alert_emails"):
        if name in stored:
            stored[name] = split_list(stored[name])
    from_env = env_fields()
    values = {}
    for name, default in _defaults().items():
        mine = stored.get(name)
        values[name] = default if name in from_env or mine in (None, "", []) else mine
    if not stored.get("smtp_host") and "smtp_host" not in from_env:
        # No stored server: the stored port and security mean nothing on their own.
        values["smtp_port"], values["smtp_security"] = (
            settings.EMAIL_PORT,
            _defaults()["smtp_security"],
        )
    logo = stored.get("logo_type") and stored.get("updated_at")
    return PanelConfig(
        **values,
        logo_version=str(int(logo.timestamp())) if logo else "",
        support_email=stored.get("support_email", ""),
        support_telegram=stored.get("support_telegram", ""),
        default_language=stored.get("default_language") or settings.LANGUAGE_CODE,
        default_time_zone=stored.get("default_time_zone") or settings.TIME_ZONE,
        terms_contact=stored.get("terms_contact", ""),
        aup_contact=stored.get("aup_contact", ""),
        smtp_password_set=bool(stored.get("smtp_password_sealed")),
        telegram_bot_token_set=bool(stored.get("telegram_bot_token_sealed")),
        from_env=from_env,
        _smtp_password_sealed=stored.get("smtp_password_sealed", ""),
        _telegram_token_sealed=stored.get("telegram_bot_token_sealed", ""),
    )


def stored_smtp_in_use() -> bool:
    """Whether mail goes through the SMTP server stored here: the environment chose no
    mail backend (settings.py falls back to the unconfigured one) and a host is stored."""
    return settings.EMAIL_BACKEND == UNCONFIGURED_EMAIL_BACKEND and bool(_stored().get("smtp_host"))


def mail_configured() -> bool:
    """Whether mail the panel sends can reach anyone: a mail backend from the
    environment, or the SMTP server stored on the settings page."""
    return settings.EMAIL_BACKEND != UNCONFIGURED_EMAIL_BACKEND or stored_smtp_in_use()


def logo() -> tuple[bytes, str] | None:
    """The stored logo's bytes and content type, or None."""
    row = PanelSettings.objects.filter(pk=SINGLETON_PK).values_list("logo", "logo_type").first()
    if row is None or not row[1]:
        return None
    return bytes(row[0]), row[1]


def forget() -> None:
    """Drop this process's copy (between tests, or after a change)."""
    _stored.forget()


def forget_on_change(**_signal_args) -> None:
    """The stored settings changed (see ``ProcessSnapshot.forget_on_change``)."""
    _stored.forget_on_change()
