"""Why a ticket action was refused, in a form pages can show beside the right field."""


class TicketError(ValueError):
    """Bad ticket input. ``field`` names the form field the message belongs beside."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class TicketRefused(Exception):
    """The policy refused a new ticket (duplicate, flood). ``existing_ticket_id`` is
    the customer's open ticket on the same subject, when that is the reason."""

    def __init__(
        self, message: str, message_uk: str, rule: str, existing_ticket_id: int | None = None
    ):
        super().__init__(message)
        self.message = message
        self.message_uk = message_uk
        self.rule = rule
        self.existing_ticket_id = existing_ticket_id

    def message_for(self, language: str) -> str:
        """The message in the user's language (``uk…`` → Ukrainian, else English)."""
        return self.message_uk if (language or "").startswith("uk") else self.message
