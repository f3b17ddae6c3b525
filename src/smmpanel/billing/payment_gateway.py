"""The payment gateway interface, and the manual transfer gateway.

A gateway is one class: it opens a payment for a pending ``DepositRequest``
(``create_payment``), checks a notification the gateway sent (``verify_notification``)
and asks the gateway how a payment stands (``fetch_status``). It never writes money:
``billing.payments`` applies what a gateway reports, through the same "confirm twice,
credit once" path for every gateway, so views and the worker know no gateway's
specifics.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from smmpanel.configuration import selectors as configuration

if TYPE_CHECKING:
    from smmpanel.billing.models import DepositRequest

# What a gateway reports about a payment.
PAID, PENDING, FAILED, EXPIRED = "paid", "pending", "failed", "expired"
# What a notification is about besides a payment's state.
PAYMENT, DISPUTE, REFUND, IGNORED = "payment", "dispute", "refund", "ignored"


class BadSignature(Exception):
    """A notification whose signature is missing, wrong or too old. The message says
    which, and never contains a secret."""


class GatewayError(Exception):
    """The gateway could not be reached or refused the call; nothing was decided."""


@dataclass(frozen=True)
class SecretField:
    """A key the owner pastes from the gateway's dashboard; sealed, never shown back."""

    name: str
    label: str
    help_text: str = ""


@dataclass(frozen=True)
class Checkout:
    """A payment opened at the gateway: where the customer pays, and its id there."""

    external_id: str
    url: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Observation:
    """How a payment stands at the gateway. Amounts in the currency's minor units."""

    state: str  # PAID, PENDING, FAILED or EXPIRED
    external_id: str
    amount_minor: int | None = None
    currency: str = ""
    payment_id: str = ""
    # Crypto: the share of what the invoice asked that actually arrived, in parts per
    # million (None: the gateway collected exactly the amount, as card gateways do).
    arrived_ppm: int | None = None


@dataclass(frozen=True)
class Notice:
    """A verified notification, in the panel's words. ``external_id`` finds the payment
    by the id ``create_payment`` returned; ``payment_id`` by the captured payment's id
    (disputes and refunds name only that)."""

    event_id: str
    event_type: str
    kind: str  # PAYMENT, DISPUTE, REFUND or IGNORED
    external_id: str = ""
    payment_id: str = ""
    observation: Observation | None = None
    amount_minor: int | None = None
    currency: str = ""


def observed_notice(event_id: str, event_type: str, seen: Observation, *, refund: bool) -> Notice:
    """The notice a gateway's callback about one payment makes: a refund (after the
    payment was credited) goes to staff with its amount; anything else reports the
    payment's state."""
    if refund:
        return Notice(
            event_id,
            event_type,
            REFUND,
            external_id=seen.external_id,
            payment_id=seen.payment_id,
            amount_minor=seen.amount_minor,
            currency=seen.currency,
        )
    return Notice(event_id, event_type, PAYMENT, external_id=seen.external_id, observation=seen)


@dataclass
class GatewayConfig:
    """The owner's settings of one gateway (defaults when none are stored)."""

    enabled: bool = False
    position: int = 0
    secrets: dict[str, str] = field(default_factory=dict)
    min_micros: int | None = None
    max_micros: int | None = None
    fee_percent_bp: int = 0
    fee_fixed_micros: int = 0
    fee_paid_by: str = "customer"
    currency: str = ""
    rate_micros: int | None = None

    @property
    def pay_currency(self) -> str:
        return (self.currency or settings.CURRENCY).upper()


class PaymentGateway(ABC):
    """One way to pay. Subclasses set ``code`` and ``name`` and implement the three calls
    (a gateway checked by people, ``staff_confirms``, needs only ``create_payment``)."""

    code: ClassVar[str]
    name: ClassVar[str]
    # True when a person checks the payment (bank transfer): only staff may confirm.
    staff_confirms: ClassVar[bool] = False
    # The keys the owner enters on the settings page.
    secret_fields: ClassVar[tuple[SecretField, ...]] = ()
    # HTTP status for a verified notification about a payment the panel does not know:
    # 200 stops the gateway retrying; a gateway whose documentation says to retry such
    # a notification (it may arrive before the payment is recorded) answers 404 or 5xx.
    unknown_payment_status: ClassVar[int] = 200
    # True when the customer types the transfer's own reference (manual transfer).
    asks_customer_reference: ClassVar[bool] = False

    def accepts_currency(self, code: str) -> bool:
        """Whether the gateway can charge in ``code`` (an upper-case ISO 4217 code)."""
        return len(code) == 3 and code.isascii() and code.isalpha()

    def __init__(self, config: GatewayConfig | None = None):
        self.config = config or GatewayConfig()

    @property
    def instructions(self) -> str:
        """What the customer does to pay, shown on the Add funds page."""
        return ""

    def checkout_origins(self) -> list[str]:
        """Origins the customer's browser is sent to for paying (the page allows its form
        to lead there: Content-Security-Policy ``form-action``)."""
        return []

    def secret(self, name: str) -> str:
        """One of the owner's keys ("" when not set)."""
        return self.config.secrets.get(name, "")

    @abstractmethod
    def create_payment(
        self, deposit: DepositRequest, *, return_url: str, notify_url: str
    ) -> Checkout | None:
        """Open the payment at the gateway for ``deposit.pay_minor`` in
        ``deposit.pay_currency``; None when the customer pays outside the panel (a bank
        transfer). Raises ``GatewayError`` when the gateway cannot be reached."""

    def verify_notification(self, body: bytes, headers: Mapping[str, str]) -> Notice:
        """Check the signature of a notification and read it; raises ``BadSignature``."""
        raise BadSignature(f"{self.code} sends no notifications")

    def fetch_status(self, deposit: DepositRequest) -> Observation:
        """Ask the gateway how the payment stands; raises ``GatewayError``."""
        raise GatewayError(f"{self.code} has no status to fetch")


class ManualGateway(PaymentGateway):
    """A bank (or other manual) transfer: the customer pays quoting the reference, staff
    see the money arrive and confirm or reject the request on the staff Deposits page."""

    code = "manual"
    name = _("Bank transfer (confirmed by staff)")
    staff_confirms = True
    asks_customer_reference = True

    @property
    def instructions(self) -> str:
        # The owner's bank details (staff settings page, or MANUAL_PAYMENT_INSTRUCTIONS).
        return configuration.config().manual_instructions() or gettext(
            "Request a deposit below, then transfer exactly that amount to the operator's "
            "bank account shown on your invoice, quoting the reference code of the request "
            "in the payment description. Staff credit your balance once the transfer "
            "arrives, usually within one business day. Questions about a payment: open a "
            "support ticket of the kind 'payment' with the reference code."
        )

    def create_payment(self, deposit, *, return_url: str, notify_url: str) -> None:
        return None
