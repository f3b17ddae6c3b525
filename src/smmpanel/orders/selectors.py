"""Reads for orders and refills."""

from collections.abc import Iterable

from smmpanel.orders.models import Order, Refill


def parse_ids(raw: object, limit: int) -> list[str] | None:
    """Split ``"1,2, 3"`` into the requested id strings, in order, duplicates dropped.

    Returns None when more than ``limit`` ids were asked for.
    """
    parts = [p.strip() for p in str(raw or "").split(",")]
    seen: dict[str, None] = {}
    for part in parts:
        if part:
            seen.setdefault(part, None)
    ids = list(seen)
    return ids if len(ids) <= limit else None


def _as_pk(text: str) -> int | None:
    if text.isascii() and text.isdigit() and 0 < len(text) <= 18:
        return int(text)
    return None


def orders_by_id(user, id_texts: Iterable[str]) -> dict[str, Order]:
    """The user's orders among ``id_texts``, keyed by the id text as requested."""
    pks = {text: pk for text in id_texts if (pk := _as_pk(text)) is not None}
    found = {
        o.pk: o
        for o in Order.objects.filter(user=user, pk__in=set(pks.values())).only(
            "id", "charge_micros", "start_count", "status", "remains", "currency"
        )
    }
    return {text: found[pk] for text, pk in pks.items() if pk in found}


def refills_by_id(user, id_texts: Iterable[str]) -> dict[str, Refill]:
    """The user's refills among ``id_texts``, keyed by the id text as requested."""
    pks = {text: pk for text in id_texts if (pk := _as_pk(text)) is not None}
    found = {r.pk: r for r in Refill.objects.filter(user=user, pk__in=set(pks.values()))}
    return {text: found[pk] for text, pk in pks.items() if pk in found}


def recent_orders(user, limit: int = 50) -> list[Order]:
    return list(Order.objects.filter(user=user).select_related("service")[:limit])
