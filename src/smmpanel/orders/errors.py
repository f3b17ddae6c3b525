"""Why an order request was refused, in words a client can show (and match)."""

import re

from django.utils import translation
from django.utils.translation import gettext_noop

# API v2 answers these refusals in fixed English that clients match, so they are raised
# untranslated; the web shows them in the customer's language through ``text``.
FIXED_TEXTS = (
    gettext_noop("Not enough funds on balance"),
    gettext_noop("Your balance is under review and cannot be spent until the review ends"),
    gettext_noop("You have active order with this link. Please wait until order being completed."),
    gettext_noop("Incorrect service ID"),
    gettext_noop("Incorrect order ID"),
)
NUMBERED_TEXTS = (
    (
        re.compile(r"Quantity less than minimal (\d+)"),
        gettext_noop("Quantity less than minimal %(n)s"),
    ),
    (
        re.compile(r"Quantity more than maximum (\d+)"),
        gettext_noop("Quantity more than maximum %(n)s"),
    ),
)


def translated(message: str, language: str) -> str:
    """``message`` in ``language`` from the catalog (unchanged when it has no entry)."""
    with translation.override(language):
        for pattern, msgid in NUMBERED_TEXTS:
            match = pattern.fullmatch(message)
            if match:
                return translation.gettext(msgid) % {"n": match.group(1)}
        return translation.gettext(message)


class OrderRefused(Exception):
    """The request cannot become an order; nothing was written and no money moved.

    ``field`` names the input at fault, so the web can show the message beside it.
    """

    def __init__(
        self,
        message: str,
        field: str | None = None,
        *,
        rule: str | None = None,
        message_uk: str | None = None,
    ):
        super().__init__(message)
        self.message = str(message)
        self.field = field
        self.rule = rule  # the policy rule that refused, if any
        self.message_uk = message_uk

    def text(self, language: str = "en") -> str:
        """The message in ``language``: the translation given, else the catalog's."""
        if language.startswith("uk"):
            return self.message_uk or translated(self.message, "uk")
        return self.message


class InvalidTransition(Exception):
    """The order is not in a state that allows this change (or another writer won)."""
