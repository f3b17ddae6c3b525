"""Support tickets: a customer's question tied to their orders, and the thread of
messages between the customer and staff. Workflows live in ``services.py``."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TicketKind(models.TextChoices):
    ORDER = "order", pgettext_lazy("ticket subject", "Order")
    PAYMENT = "payment", pgettext_lazy("ticket subject", "Payment")
    REFILL = "refill", pgettext_lazy("ticket subject", "Refill")
    CANCEL = "cancel", pgettext_lazy("ticket subject", "Cancel")
    OTHER = "other", pgettext_lazy("ticket subject", "Other")


# Kinds that are about particular orders: a ticket of these kinds names at least one.
KINDS_NEEDING_ORDERS = (TicketKind.ORDER, TicketKind.REFILL, TicketKind.CANCEL)


class TicketStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("ticket status", "Open")  # waiting for staff
    ANSWERED = "answered", pgettext_lazy("ticket status", "Answered")  # waiting for the customer
    CLOSED = "closed", pgettext_lazy("ticket status", "Closed")


ACTIVE_TICKET_STATUSES = (TicketStatus.OPEN, TicketStatus.ANSWERED)


class Ticket(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="tickets"
    )
    kind = models.CharField(_("subject"), max_length=16, choices=TicketKind.choices)
    title = models.CharField(_("title"), max_length=200)
    orders = models.ManyToManyField("orders.Order", blank=True, related_name="tickets")
    status = models.CharField(
        max_length=16, choices=TicketStatus.choices, default=TicketStatus.OPEN
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    search_text = models.TextField(
        blank=True, help_text=_("casefolded title, email and order ids, for search")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_message_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-last_message_at"], name="ticket_user_recent"),
            models.Index(fields=["user", "kind", "status"], name="ticket_user_subject"),
            models.Index(fields=["user", "created_at"], name="ticket_user_created"),
            models.Index(fields=["status", "last_message_at"], name="ticket_inbox"),
        ]

    def __str__(self) -> str:
        return f"ticket {self.pk}"

    @property
    def is_closed(self) -> bool:
        return self.status == TicketStatus.CLOSED


class TicketMessage(models.Model):
    """One message of a ticket's thread: plain text, rendered escaped. Append-only."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    is_staff = models.BooleanField(default=False)
    body = models.TextField()
    search_text = models.TextField(blank=True, help_text=_("casefolded body, for search"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"message {self.pk} of ticket {self.ticket_id}"


class CannedReply(models.Model):
    """A ready answer staff can pick to prefill a reply."""

    title = models.CharField(_("title"), max_length=120)
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]
        verbose_name_plural = "canned replies"

    def __str__(self) -> str:
        return self.title
