"""Writes for display currencies: staff set rates (audited), customers choose one."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from smmpanel.audit.services import audit
from smmpanel.currencies.models import RATE_SCALE, DisplayChoice, DisplayRate

MAX_RATE = Decimal("1000000")


class BadRate(ValueError):
    """A currency code or rate staff typed that cannot be used (the message says why)."""


def parse_rate(text: str) -> int:
    """``"41.235"`` (or ``"41,235"``) as a scaled integer rate; refuse anything else."""
    try:
        value = Decimal(str(text).strip().replace(",", "."))
    except InvalidOperation as exc:
        raise BadRate("not a number") from exc
    if not value.is_finite() or value <= 0 or value > MAX_RATE:
        raise BadRate("out of range")
    scaled = int((value * RATE_SCALE).to_integral_value())
    if scaled <= 0:
        raise BadRate("too small")
    return scaled


def set_display_rate(code: str, rate_text: str, *, actor, panel_currency: str) -> DisplayRate:
    """Set (or change) the rate of display currency ``code``; dated now, audited."""
    code = (code or "").strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise BadRate("a currency code is three letters")
    if code == panel_currency.upper():
        raise BadRate("the panel's own currency needs no rate")
    scaled = parse_rate(rate_text)
    with transaction.atomic():
        rate, _ = DisplayRate.objects.update_or_create(
            code=code,
            defaults={"per_unit_scaled": scaled, "set_at": timezone.now(), "set_by": actor},
        )
        shown = str((Decimal(scaled) / RATE_SCALE).normalize())
        audit(
            "display_rate.set",
            actor=actor,
            currency=code,
            rate=shown,
            reason=f"display rate {code} set to {shown} per {panel_currency}",
        )
    return rate


def choose_display_currency(user, code: str) -> DisplayRate | None:
    """Show ``user`` amounts also in ``code`` (a currency staff set a rate for), or only
    in the panel's currency for an empty or unknown code."""
    rate = DisplayRate.objects.filter(code=(code or "").strip().upper()).first()
    if rate is None:
        DisplayChoice.objects.filter(user=user).delete()
        return None
    DisplayChoice.objects.update_or_create(user=user, defaults={"rate": rate})
    return rate
