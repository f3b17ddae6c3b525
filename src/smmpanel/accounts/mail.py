"""Mail when the operator configured none: nothing is sent, and users are told so.

Production without ``EMAIL_HOST`` (or another real ``EMAIL_BACKEND``) gets
``UnconfiguredEmailBackend``: mail is dropped with a warning naming its subject, never
its body (a reset link in a log is an account takeover). Password reset and email
verification tell the user plainly that mail is not configured instead of pretending
a message is on its way.
"""

import logging

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.translation import gettext_lazy as _

from smmpanel.deploy_checks import UNCONFIGURED_EMAIL_BACKEND

log = logging.getLogger(__name__)

MAIL_NOT_CONFIGURED = _(
    "Email is not configured on this panel, so no message can be sent. "
    "Please contact the panel's operator."
)


def mail_configured() -> bool:
    """Whether mail the panel sends can reach anyone."""
    return settings.EMAIL_BACKEND != UNCONFIGURED_EMAIL_BACKEND


class UnconfiguredEmailBackend(BaseEmailBackend):
    """Drops every message, logging its subject and recipient count only."""

    def send_messages(self, email_messages) -> int:
        """Send nothing; say in the log what was not sent."""
        for message in email_messages:
            log.warning(
                "mail not configured: %r to %d recipient(s) not sent",
                message.subject,
                len(message.recipients()),
            )
        return 0
