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

from smmpanel.configuration import selectors as configuration
from smmpanel.configuration.mail import stored_from_email, stored_smtp_backend

log = logging.getLogger(__name__)

MAIL_NOT_CONFIGURED = _(
    "Email is not configured on this panel, so no message can be sent. "
    "Please contact the panel's operator."
)


def mail_configured() -> bool:
    """Whether mail the panel sends can reach anyone (the environment's mail settings,
    else the SMTP server stored on the staff settings page)."""
    return configuration.mail_configured()


class UnconfiguredEmailBackend(BaseEmailBackend):
    """The environment configured no mail: sends through the SMTP server the owner stored
    on /staff/settings/ when there is one (read at send time, so a save applies without
    a restart); otherwise drops every message, logging its subject and recipient count
    only."""

    def send_messages(self, email_messages) -> int:
        """Send through the stored server, or send nothing and say so in the log."""
        if configuration.stored_smtp_in_use():
            sender = stored_from_email()
            for message in email_messages:
                if message.from_email == settings.DEFAULT_FROM_EMAIL:
                    message.from_email = sender
            return stored_smtp_backend(fail_silently=self.fail_silently).send_messages(
                email_messages
            )
        for message in email_messages:
            log.warning(
                "mail not configured: %r to %d recipient(s) not sent",
                message.subject,
                len(message.recipients()),
            )
        return 0
