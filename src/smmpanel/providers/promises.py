"""What a service's name promises its buyers — refill, a refill period, limits — and
which of the catalog sync's changes would break it.

A name is what customers read ("Instagram Followers — 60 days refill", "TikTok Likes
1K-10K", "Підписники — відновлення 30 днів"): a sync that takes the promised refill away
or moves the limits past the named ones is held for staff (``PendingServiceChange``)
instead of going live. Reading stays deliberately narrow: a name that names nothing
clearly promises nothing, and its changes go live as before.
"""

import re
from dataclasses import dataclass

# "refill", "refills", "відновлення", "відновленням"… — but not "no refill", "non-refill",
# "without refill", "без відновлення".
_REFILL = re.compile(
    r"(?<![\w-])(?:(?P<no>no|non|without|без|немає)[\s-]+)?(?:refill\w*|відновлен\w*)",
    re.IGNORECASE,
)
_DAYS = r"(?:days?|d|днів|дні|день|дн)\b"
# "60 days refill", "60d refill", "refill 30 days", "refill (30d)", "відновлення 30 днів"
_REFILL_DAYS = re.compile(
    rf"(?P<a>\d{{1,4}})\s*{_DAYS}\W{{0,3}}(?:refill|відновлен)"
    rf"|(?:refill|відновлен)\w*\W{{0,3}}(?P<b>\d{{1,4}})\s*{_DAYS}",
    re.IGNORECASE,
)
_NUMBER = r"\d+(?:[.,]\d+)?\s*[kкmм]?(?![\w])"
# "1K-10K", "100 – 5000": not a time span ("0-1 hour", "5K-10K/day").
_RANGE = re.compile(
    rf"(?<![\w.,])(?P<low>{_NUMBER})\s*[-–—]\s*(?P<high>{_NUMBER})"
    r"(?!\s*(?:/|hours?|hrs?|h\b|min|days?|d\b|годин|год|хв|дн|днів))",
    re.IGNORECASE,
)
_MAX = re.compile(rf"\b(?:max(?:imum)?|макс(?:имум)?)\W{{0,2}}(?P<n>{_NUMBER})", re.IGNORECASE)
_MIN = re.compile(rf"\b(?:min(?:imum)?|мін(?:імум)?)\W{{0,2}}(?P<n>{_NUMBER})", re.IGNORECASE)
_SCALE = {"k": 1_000, "к": 1_000, "m": 1_000_000, "м": 1_000_000}


@dataclass(frozen=True)
class Promise:
    """What a name promises; None where it promises nothing."""

    refill: bool = False
    refill_days: int | None = None
    min_quantity: int | None = None
    max_quantity: int | None = None


def promise_of(name: str) -> Promise:
    """The promise a service's name makes."""
    refill = [m for m in _REFILL.finditer(name)]
    promises_refill = any(not m.group("no") for m in refill)
    days = None
    if promises_refill and (found := _REFILL_DAYS.search(name)):
        days = int(found.group("a") or found.group("b"))
    low = high = None
    if found := _RANGE.search(name):
        low, high = _quantity(found.group("low")), _quantity(found.group("high"))
        if low is not None and high is not None and low >= high:
            low = high = None
    if found := _MAX.search(name):
        high = _quantity(found.group("n"))
    if found := _MIN.search(name):
        low = _quantity(found.group("n"))
    return Promise(refill=promises_refill, refill_days=days, min_quantity=low, max_quantity=high)


def _quantity(text: str) -> int | None:
    text = text.replace(" ", "").replace(",", ".").lower()
    scale = _SCALE.get(text[-1:], 1)
    number = text[:-1] if text[-1:] in _SCALE else text
    try:
        return int(float(number) * scale)
    except ValueError:
        return None


# The fields a sync may change that a name can promise, as held together: limits move
# as one (holding only one of them could leave min above max).
_LIMITS = ("min_quantity", "max_quantity")


def broken_promises(
    name: str, current: dict[str, object], proposed: dict[str, object], offer_name: str = ""
) -> dict[str, object]:
    """The part of ``proposed`` (field → new value) that breaks what ``name`` promises,
    given the service's ``current`` values; empty when nothing does. ``offer_name`` is
    the provider's own name for its offer: a refill period it names shorter than ours
    is a change too (``refill_days``), the API having no field for it."""
    promise = promise_of(name)
    held: dict[str, object] = {}
    if promise.refill:
        if proposed.get("refill") is False and current.get("refill") is not False:
            held["refill"] = False
        offered = promise_of(offer_name).refill_days if proposed.get("refill", True) else None
        if (
            promise.refill_days is not None
            and offered is not None
            and offered < promise.refill_days
            and offered != current.get("refill_days")
        ):
            held["refill_days"] = offered
    low = proposed.get("min_quantity", current.get("min_quantity"))
    high = proposed.get("max_quantity", current.get("max_quantity"))
    limits_break = (promise.min_quantity is not None and low > promise.min_quantity) or (
        promise.max_quantity is not None
        and (high < promise.max_quantity or low > promise.max_quantity)
    )
    if limits_break:
        held.update(
            {f: proposed[f] for f in _LIMITS if f in proposed and proposed[f] != current.get(f)}
        )
    return held
