"""What each kind of notification and staff alert says, in the reader's language.

Texts are lazy translations with named placeholders filled from the event's params;
amounts arrive in micros and are shown the reader's way (``25,00`` in Ukrainian).
"""

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import gettext_lazy as _

from smmpanel.money import to_decimal

# Customer kinds: (label in Settings, title, body).
CUSTOMER_KINDS: dict[str, tuple[str, str, str]] = {
    "ticket_answered": (
        _("Ticket answered"),
        _("Your ticket #%(ticket)s was answered"),
        _("Support replied to your ticket #%(ticket)s “%(subject)s”."),
    ),
    "deposit_credited": (
        _("Deposit credited"),
        _("Deposit %(reference)s credited"),
        _("%(amount)s was added to your balance (deposit %(reference)s)."),
    ),
    "deposit_held": (
        _("Deposit held for review"),
        _("Deposit %(reference)s held for review"),
        _("Your deposit %(reference)s of %(amount)s is held while your balance is under "
          "review; it is credited when the review ends."),
    ),
    "order_failed": (
        _("Order failed and refunded"),
        _("Order #%(order)s failed"),
        _("Order #%(order)s could not be delivered; %(amount)s was refunded to your balance."),
    ),
    "order_partial": (
        _("Order ended Partial"),
        _("Order #%(order)s ended Partial"),
        _("Order #%(order)s was partly delivered; %(amount)s for the undelivered "
          "%(remains)s was refunded."),
    ),
    "order_canceled": (
        _("Order canceled"),
        _("Order #%(order)s canceled"),
        _("Order #%(order)s was canceled; %(amount)s was refunded to your balance."),
    ),
    "refill_done": (
        _("Refill done"),
        _("Refill of order #%(order)s done"),
        _("The refill of order #%(order)s is complete."),
    ),
    "refill_rejected": (
        _("Refill rejected"),
        _("Refill of order #%(order)s rejected"),
        _("The refill of order #%(order)s was rejected."),
    ),
    "api_key_created": (
        _("API key created"),
        _("API key created"),
        _("A new API key “%(name)s” (%(prefix)s…) was created on your account."),
    ),
    "api_key_revoked": (
        _("API key revoked"),
        _("API key revoked"),
        _("The API key “%(name)s” (%(prefix)s…) was revoked."),
    ),
    "account_restricted": (
        _("Account restricted"),
        _("Your account was restricted"),
        _("Your account was restricted: %(reason)s"),
    ),
    "restriction_lifted": (
        _("Restriction lifted"),
        _("A restriction was lifted"),
        _("A restriction on your account was lifted."),
    ),
    "balance_review_opened": (
        _("Balance review opened"),
        _("Your balance is under review"),
        _("Your balance is under review: spending is paused and credits are held until "
          "the review ends."),
    ),
    "balance_review_closed": (
        _("Balance review closed"),
        _("Balance review closed"),
        _("The review of your balance has ended; held credits were added."),
    ),
}  # fmt: skip

# Staff alert kinds: (title, body).
ALERT_KINDS: dict[str, tuple[str, str]] = {
    "provider_balance_low": (
        _("Provider balance low"),
        _("Provider %(provider)s: balance %(balance)s is below the threshold %(threshold)s."),
    ),
    "provider_circuit_open": (
        _("Provider circuit open"),
        _("Provider %(provider)s: calls are paused (circuit open)."),
    ),
    "orders_failing": (
        _("Orders need attention"),
        _("%(count)s order(s) in Fail or with an unknown submission for over %(minutes)s "
          "minutes."),
    ),
    "orders_pending_long": (
        _("Orders pending too long"),
        _("%(count)s order(s) Pending for over %(minutes)s minutes: is the worker running?"),
    ),
    "worker_heartbeat_missing": (
        _("Worker heartbeat missing"),
        _("The worker has not reported for over %(minutes)s minutes."),
    ),
    "ticket_new": (
        _("New ticket"),
        _("New ticket #%(ticket)s from %(email)s: %(subject)s"),
    ),
    "chargeback": (
        _("Chargeback"),
        _("Chargeback of %(amount)s recorded for %(email)s."),
    ),
    "payment_held": (
        _("Payment held for review"),
        _("Payment %(reference)s of %(email)s is held for review: %(reason)s"),
    ),
    "payment_partial": (
        _("Crypto payment paid in part or more"),
        _("Payment %(reference)s of %(email)s: %(share)s; %(credited)s credited instead of "
          "%(requested)s. Check the difference with the customer."),
    ),
    "payment_refunded": (
        _("Payment refunded at the gateway"),
        _("Payment %(reference)s of %(email)s was refunded at the gateway (%(amount)s): "
          "correct the balance if the money was not spent."),
    ),
    "payment_unknown": (
        _("Dispute or refund of an unknown payment"),
        _("%(gateway)s reported %(event)s for payment %(payment)s, which matches no "
          "deposit: find the customer and correct the balance."),
    ),
}  # fmt: skip


def _filled(params: dict) -> dict:
    """Params with amounts (``*_micros``) shown in the active language's format."""
    filled = {}
    for name, value in params.items():
        if name.endswith("_micros") and isinstance(value, int):
            amount = to_decimal(value).normalize()
            places = max(2, -amount.as_tuple().exponent)
            shown = formats.number_format(amount, places, use_l10n=True)
            filled[name.removesuffix("_micros")] = f"{shown} {settings.CURRENCY}"
        else:
            filled[name] = value
    return filled


def render(kind: str, params: dict, language: str | None = None) -> tuple[str, str]:
    """The (title, body) of a customer notification or staff alert in ``language``
    (the active one when None). An unknown kind renders as its name."""
    texts = CUSTOMER_KINDS.get(kind)
    title, body = (texts[1], texts[2]) if texts else ALERT_KINDS.get(kind, (kind, kind))
    with translation.override(language or translation.get_language()):
        values = _filled(params)
        try:
            return str(title) % values, str(body) % values
        except (KeyError, TypeError, ValueError):
            return str(title), str(body)


def label(kind: str) -> str:
    """The name of a customer kind in Settings."""
    return str(CUSTOMER_KINDS[kind][0])
