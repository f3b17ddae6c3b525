"""Why an order request was refused, in words a client can show (and match)."""


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
        """The message in ``language`` where a translation was given."""
        if language.startswith("uk") and self.message_uk:
            return self.message_uk
        return self.message


class InvalidTransition(Exception):
    """The order is not in a state that allows this change (or another writer won)."""
