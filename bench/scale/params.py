"""The named parameters (``%(name)s``) that every statement of a fill shares."""

from __future__ import annotations

from datetime import datetime, timedelta

from .history import SYNC_INTERVALS
from .money import REF_ALPHABET
from .orders import ACTIVE_WINDOW_S, QUANTITIES, SPAN_DAYS, TARGET_POOL
from .sources import cumulative_weights
from .users import BIG_EMAIL, SCALE_DOMAIN, resellers


def parameters(
    *,
    now: datetime,
    orders: int,
    users: int,
    big_user_orders: int,
    services: list,
    staff,
    provider,
    u0: int,
    o0: int,
) -> dict[str, object]:
    """The parameters of a fill of ``orders`` orders over ``users`` accounts (the big
    one not counted), the generated users' ids from ``u0`` on, the orders' from ``o0``.
    The ledger's, refills' and recent orders' first ids (``l0``, ``r0``, ``recent``)
    are added once the orders are written."""
    from django.conf import settings

    from smmpanel.money import to_micros
    from smmpanel.orders.services import ACTIVE_ORDER_EXISTS

    return {
        "now": now,
        "start": now - timedelta(days=SPAN_DAYS),
        "span": SPAN_DAYS * 86400.0 - 30,
        "week": 7 * 86400.0,
        "active_window": float(ACTIVE_WINDOW_S),
        "n": orders,
        "b": big_user_orders,
        "users": users + 1,  # user number 1 is the big user
        "resellers": resellers(users + 1),
        "pool": TARGET_POOL,
        "u0": u0,
        "o0": o0,
        "currency": settings.CURRENCY,
        "staff": staff.pk if staff else None,
        "provider": provider.pk,
        "big_email": BIG_EMAIL,
        "at_domain": "@" + SCALE_DOMAIN,
        "svc_id": [s.pk for s, _ in services],
        "svc_fmt": [s.link_format for s, _ in services],
        "svc_rate": [s.rate_micros for s, _ in services],
        "svc_min": [s.min_quantity for s, _ in services],
        "svc_max": [s.max_quantity for s, _ in services],
        "svc_pkg": [s.service_type.quantity_from.value == "package" for s, _ in services],
        "svc_refill": [bool(s.refill) for s, _ in services],
        "svc_cum": cumulative_weights(services),
        "quantities": list(QUANTITIES),
        "n_quantities": len(QUANTITIES),
        "intervals": list(SYNC_INTERVALS),
        "cap_units": max(1, to_micros(getattr(settings, "MAX_DEPOSIT", "10000")) // 10**6),
        "alphabet": REF_ALPHABET,
        "p31": [31**k for k in range(8, -1, -1)],
        "refused": f"{provider.name} refused: Not enough funds on balance",
        "withdrawn": "withdrawn: order canceled before sending",
        "sent_note": f"sent to {provider.name}",
        "duplicate": ACTIVE_ORDER_EXISTS,
    }
