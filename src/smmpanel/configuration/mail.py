"""Mail through the SMTP server stored on /staff/settings/, for when the environment
configures no mail (``accounts.mail.UnconfiguredEmailBackend`` hands messages here)."""

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend

from smmpanel.configuration.selectors import config


def stored_smtp_backend(**kwargs) -> EmailBackend:
    """An SMTP backend built from the stored values, read now (so a save applies to the
    next message without a restart)."""
    current = config()
    return EmailBackend(
        host=current.smtp_host,
        port=current.smtp_port,
        username=current.smtp_user or None,
        password=current.smtp_password() or None,
        use_tls=current.smtp_security == "starttls",
        use_ssl=current.smtp_security == "ssl",
        timeout=kwargs.pop("timeout", settings.EMAIL_TIMEOUT),
        **kwargs,
    )


def stored_from_email() -> str:
    """The sender address for mail sent through the stored server."""
    return config().from_email
