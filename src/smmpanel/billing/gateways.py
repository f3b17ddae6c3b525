"""Payment gateways behind one interface.

A gateway turns "I want to add 25.00" into a ``DepositRequest`` and, once the money has
really arrived, confirms it; confirming writes the ledger deposit through
``billing.services.confirm_deposit`` and nowhere else, so every gateway gets the same
"confirm twice, credit once" guarantee.

The operator chooses the enabled gateways, in display order, with the setting
``PAYMENT_GATEWAYS`` (env ``PAYMENT_GATEWAYS=manual``). An entry is either the code of a
built-in gateway or the dotted path of a ``PaymentGateway`` subclass, so a real payment
provider plugs in without touching this module.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from smmpanel.configuration import selectors as configuration

if TYPE_CHECKING:
    from smmpanel.billing.models import DepositRequest


class PaymentGateway(ABC):
    """One way to pay. Subclasses set ``code`` and ``name`` and implement the two steps."""

    code: ClassVar[str]
    name: ClassVar[str]
    # True when a person checks the payment (bank transfer): only staff may confirm.
    staff_confirms: ClassVar[bool] = False

    @property
    def instructions(self) -> str:
        """What the customer does to pay, shown on the Add funds page."""
        return ""

    @abstractmethod
    def start_deposit(self, user, amount_micros: int) -> DepositRequest:
        """Open a pending deposit of an already validated amount and return it."""

    def confirm(self, deposit: DepositRequest, *, actor=None, note: str = "") -> DepositRequest:
        """The money arrived: credit the deposit once (see ``services.confirm_deposit``)."""
        from smmpanel.billing import services

        return services.confirm_deposit(deposit, actor=actor, note=note)


class ManualGateway(PaymentGateway):
    """A bank (or other manual) transfer: the customer pays quoting the reference, staff
    see the money arrive and confirm or reject the request on the staff Deposits page."""

    code = "manual"
    name = _("Bank transfer (confirmed by staff)")
    staff_confirms = True

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

    def start_deposit(self, user, amount_micros: int) -> DepositRequest:
        from smmpanel.billing import services

        return services.open_deposit_request(user, self.code, amount_micros)


BUILT_IN: dict[str, type[PaymentGateway]] = {ManualGateway.code: ManualGateway}


def _load(entry: str) -> PaymentGateway:
    entry = entry.strip()
    if entry in BUILT_IN:
        return BUILT_IN[entry]()
    if "." in entry:
        try:
            cls = import_string(entry)
        except ImportError as exc:
            raise ImproperlyConfigured(f"PAYMENT_GATEWAYS: cannot import {entry!r}") from exc
        if isinstance(cls, type) and issubclass(cls, PaymentGateway):
            return cls()
    raise ImproperlyConfigured(
        f"PAYMENT_GATEWAYS: {entry!r} is neither a built-in gateway "
        f"({', '.join(BUILT_IN)}) nor a PaymentGateway subclass"
    )


def enabled_gateways() -> list[PaymentGateway]:
    """The operator's enabled gateways, in the order of ``PAYMENT_GATEWAYS``."""
    seen: dict[str, PaymentGateway] = {}
    for entry in settings.PAYMENT_GATEWAYS:
        if entry.strip():
            gateway = _load(entry)
            seen.setdefault(gateway.code, gateway)
    return list(seen.values())


def enabled_gateway(code: str) -> PaymentGateway | None:
    """The enabled gateway called ``code``, or None (a customer may only use these)."""
    return next((g for g in enabled_gateways() if g.code == code), None)


def gateway_of(deposit: DepositRequest) -> PaymentGateway | None:
    """The gateway a deposit was made through, even if it has been disabled since."""
    found = next((g for g in enabled_gateways() if g.code == deposit.gateway), None)
    if found is None and deposit.gateway in BUILT_IN:
        found = BUILT_IN[deposit.gateway]()
    return found
