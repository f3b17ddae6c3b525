"""Money and counts on pages, written the reader's way.

Pages show amounts in the active language's format through Django's own l10n
(``django.utils.formats.number_format``): ``10,000,000`` and ``49.20`` in English,
``10 000 000`` and ``49,20`` in Ukrainian (a no-break space and a decimal comma, from
Django's ``uk`` formats). ``USE_THOUSAND_SEPARATOR`` stays off: it would group every
integer a template prints, ids in links and hidden inputs included; grouping is asked
for where a number is read (``|money``, ``|rate``, and humanize's ``|intcomma`` for
counts). The API v2 never passes through here: its amounts keep
``money.format_amount``'s plain form, and so does anything typed back into a
form or a query string (``|plain_amount``).

Precision rule: a balance, a total, a charge, a refund or a deposit is shown to the cent
(2 decimals, rounded half-up) — except a non-zero amount below one cent, which would read
as 0.00 and keeps the digits it needs, to the micro-unit. A per-1000 rate (and a
provider's cost per 1000) is a price that sub-cent digits really belong to, so it keeps
every digit down to the micro-unit, never fewer than two: 0.045 stays 0.045.
"""

from decimal import ROUND_HALF_UP, Decimal

from django import template
from django.utils.formats import number_format

from smmpanel.billing import pricing
from smmpanel.money import MICROS, format_amount, to_decimal

register = template.Library()

_CENT_MICROS = MICROS // 100
_CENT = Decimal("0.01")


def _micros(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _localized(amount: Decimal, decimals: int) -> str:
    # number_format cuts extra decimals rather than rounding: ``amount`` comes quantised.
    return number_format(amount, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def _exact(micros: int) -> str:
    """Every significant decimal down to the micro-unit, at least two."""
    frac = f"{abs(micros) % MICROS:06d}".rstrip("0")
    return _localized(to_decimal(micros), max(2, len(frac)))


@register.filter
def money(micros) -> str:
    """An amount in micro-units for reading: ``{{ balance|money }}`` -> ``49.20``/``49,20``.

    Cents, except a non-zero amount below one cent, which keeps its digits (see above).
    """
    value = _micros(micros)
    if value is None:
        return ""
    if 0 < abs(value) < _CENT_MICROS:
        return _exact(value)
    return _localized(to_decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP), 2)


@register.filter
def rate(micros) -> str:
    """A price per 1000 in micro-units for reading, with every digit it has:
    ``{{ s|rate_in:rates|rate }}`` -> ``0.045``/``0,045``."""
    value = _micros(micros)
    return "" if value is None else _exact(value)


@register.filter
def plain_amount(micros) -> str:
    """An amount as a form or a query string takes it back: ``1234.5`` -> ``1234.50``,
    never grouped nor with a decimal comma, whatever the page's language."""
    value = _micros(micros)
    return "" if value is None else format_amount(value)


@register.filter
def rate_in(service, rates) -> int:
    """What the viewer pays per 1000 of ``service``: ``{{ s|rate_in:rates|rate }}``,
    with ``rates`` from ``catalog.selectors.rates_for`` (read once per page). Without
    rates (an anonymous visitor, or a page that gives none) the list rate."""
    rate_for = getattr(rates, "rate_for", None)
    return rate_for(service) if rate_for is not None else service.rate_micros


@register.filter
def minor_units(minor, currency) -> str:
    """An amount in a currency's minor units (what a gateway charges), the reader's way."""
    count = _micros(minor)
    if count is None:
        return ""
    exponent = pricing.minor_exponent(str(currency))
    return _localized(Decimal(count).scaleb(-exponent), exponent)


@register.filter
def percent_bp(basis_points) -> str:
    """A percentage from basis points (bonus tiers, fees): ``500`` → ``5``, ``250`` → ``2.5``."""
    points = _micros(basis_points)
    if points is None:
        return ""
    return number_format(Decimal(points) / 100, decimal_pos=None if points % 100 else 0)
