"""Deployment checks (``smmpanel check --deploy``) for what Django's own do not see.

A production panel (``DEBUG=false``) must have a ``SECRET_KEY`` of its own, since it
also keys API-key hashes and seals provider keys and TOTP secrets, and a mail server,
since password-reset links written to the console give any account to whoever reads
the process output. The settings import the defaults named here, so the check and the
settings compare against one value.
"""

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db import DatabaseError

# Public (it is in the source): fine for development and tests, never for production.
DEVELOPMENT_SECRET_KEY = "insecure-dev-only-change-me-" + "x" * 32
CONSOLE_EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
SMTP_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# Production without a mail server: mail is dropped (and logged without its body).
UNCONFIGURED_EMAIL_BACKEND = "smmpanel.accounts.mail.UnconfiguredEmailBackend"


@checks.register(checks.Tags.security, deploy=True)
def check_secret_key(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """``SECRET_KEY`` (and ``API_KEY_PEPPER``) set to a secret of the operator's own."""
    if settings.DEBUG:
        return []
    errors = []
    if not settings.SECRET_KEY or settings.SECRET_KEY == DEVELOPMENT_SECRET_KEY:
        errors.append(
            checks.Error(
                "SECRET_KEY is unset or the public development default.",
                hint=(
                    "Set SECRET_KEY to a long random secret of your own (for example "
                    "`python -c 'import secrets; print(secrets.token_urlsafe(64))'`). It "
                    "signs sessions, keys API-key hashes and seals provider keys and TOTP "
                    "secrets: with the public default anyone can forge them."
                ),
                id="smmpanel.E001",
            )
        )
    elif getattr(settings, "API_KEY_PEPPER", "") == DEVELOPMENT_SECRET_KEY:
        errors.append(
            checks.Error(
                "API_KEY_PEPPER is the public development default.",
                hint="Set API_KEY_PEPPER to a secret of your own, or leave it unset.",
                id="smmpanel.E001",
            )
        )
    return errors


@checks.register(checks.Tags.security, deploy=True)
def check_mail(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """A real mail backend: neither the console (links in the process output) nor none."""
    if settings.DEBUG:
        return []
    if settings.EMAIL_BACKEND == UNCONFIGURED_EMAIL_BACKEND and _smtp_stored():
        return []  # the owner set a mail server on the panel settings page
    if settings.EMAIL_BACKEND in (CONSOLE_EMAIL_BACKEND, UNCONFIGURED_EMAIL_BACKEND):
        return [
            checks.Error(
                "Mail is not configured: password-reset and verification mail cannot reach "
                "users"
                + (
                    " and is written to the server's output, where whoever reads it can "
                    "take over any account."
                    if settings.EMAIL_BACKEND == CONSOLE_EMAIL_BACKEND
                    else "."
                ),
                hint=(
                    "Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, "
                    "EMAIL_USE_TLS, DEFAULT_FROM_EMAIL) to your mail server, or EMAIL_BACKEND "
                    "to another real backend, or set the mail server on /staff/settings/. "
                    "The console backend is for DEBUG and the demo."
                ),
                id="smmpanel.E002",
            )
        ]
    return []


def _smtp_stored() -> bool:
    """Whether the panel settings page holds a mail server. Looked up by the app
    registry: the settings module imports this one, so ``configuration`` cannot be
    imported here; a database that cannot be read counts as none."""
    panel_settings = apps.get_model("configuration", "PanelSettings")
    try:
        return panel_settings.objects.exclude(smtp_host="").exists()
    except DatabaseError:
        return False
