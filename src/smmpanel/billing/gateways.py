"""The payment gateways the panel knows, with the owner's settings.

Which gateways are offered, in which order and at which limits and fees is the owner's
choice on the staff settings page (``GatewaySettings``); a gateway without stored
settings follows ``PAYMENT_GATEWAYS`` (env ``PAYMENT_GATEWAYS=manual``), whose entries
are built-in codes or dotted paths of ``PaymentGateway`` subclasses, so a payment
provider plugs in by writing one class (``billing/payment_gateway.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from smmpanel.billing import gateway_secrets
from smmpanel.billing.liqpay_gateway import LiqPayGateway
from smmpanel.billing.models import GatewaySettings
from smmpanel.billing.nowpayments_gateway import NowPaymentsGateway
from smmpanel.billing.payment_gateway import GatewayConfig, ManualGateway, PaymentGateway
from smmpanel.billing.stripe_gateway import StripeGateway

if TYPE_CHECKING:
    from smmpanel.billing.models import DepositRequest

__all__ = [
    "LiqPayGateway",
    "ManualGateway",
    "NowPaymentsGateway",
    "PaymentGateway",
    "StripeGateway",
]

BUILT_IN: dict[str, type[PaymentGateway]] = {
    ManualGateway.code: ManualGateway,
    StripeGateway.code: StripeGateway,
    NowPaymentsGateway.code: NowPaymentsGateway,
    LiqPayGateway.code: LiqPayGateway,
}


def _class_of(entry: str) -> type[PaymentGateway]:
    entry = entry.strip()
    if entry in BUILT_IN:
        return BUILT_IN[entry]
    if "." in entry:
        try:
            cls = import_string(entry)
        except ImportError as exc:
            raise ImproperlyConfigured(f"PAYMENT_GATEWAYS: cannot import {entry!r}") from exc
        if isinstance(cls, type) and issubclass(cls, PaymentGateway):
            return cls
    raise ImproperlyConfigured(
        f"PAYMENT_GATEWAYS: {entry!r} is neither a built-in gateway "
        f"({', '.join(BUILT_IN)}) nor a PaymentGateway subclass"
    )


def known_classes() -> list[type[PaymentGateway]]:
    """Every gateway the panel can offer: the built-in ones and those ``PAYMENT_GATEWAYS``
    names by dotted path."""
    classes = dict(BUILT_IN)
    for entry in settings.PAYMENT_GATEWAYS:
        if entry.strip():
            cls = _class_of(entry)
            classes.setdefault(cls.code, cls)
    return list(classes.values())


def config_of(row: GatewaySettings | None, env_position: int | None) -> GatewayConfig:
    """The settings of a gateway from its stored row, else from ``PAYMENT_GATEWAYS``."""
    if row is None:
        return GatewayConfig(enabled=env_position is not None, position=env_position or 0)
    return GatewayConfig(
        enabled=row.enabled,
        position=row.position,
        secrets=gateway_secrets.unseal(row.secrets_sealed),
        min_micros=row.min_micros,
        max_micros=row.max_micros,
        fee_percent_bp=row.fee_percent_bp,
        fee_fixed_micros=row.fee_fixed_micros,
        fee_paid_by=row.fee_paid_by,
        currency=row.currency,
        rate_micros=row.rate_micros,
    )


def all_gateways() -> list[PaymentGateway]:
    """Every known gateway with its settings, enabled or not, in display order."""
    env_codes = [_class_of(e).code for e in settings.PAYMENT_GATEWAYS if e.strip()]
    rows = {row.code: row for row in GatewaySettings.objects.all()}
    found = []
    for cls in known_classes():
        env_position = env_codes.index(cls.code) if cls.code in env_codes else None
        found.append(cls(config_of(rows.get(cls.code), env_position)))
    return sorted(found, key=lambda g: (g.config.position, g.code))


def enabled_gateways() -> list[PaymentGateway]:
    """The gateways a customer may pay with, in the owner's display order."""
    return [g for g in all_gateways() if g.config.enabled]


def enabled_gateway(code: str) -> PaymentGateway | None:
    """The enabled gateway called ``code``, or None (a customer may only use these)."""
    return next((g for g in enabled_gateways() if g.code == code), None)


def gateway_named(code: str) -> PaymentGateway | None:
    """The gateway called ``code`` with its settings, enabled or not (notifications and
    status checks of payments made before it was switched off still count)."""
    return next((g for g in all_gateways() if g.code == code), None)


def gateway_of(deposit: DepositRequest) -> PaymentGateway | None:
    """The gateway a deposit was made through, even if it has been disabled since."""
    return gateway_named(deposit.gateway)
