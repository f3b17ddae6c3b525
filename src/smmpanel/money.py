"""Money at the edges: integer micro-units inside, ``Decimal`` strings outside.

A micro-unit is 1/1,000,000 of the currency unit. Every amount the panel stores is
an ``int`` of micros; conversion happens once, here, when input arrives or output
leaves.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MICROS = 1_000_000
_MICRO = Decimal("0.000001")


class InvalidAmount(ValueError):
    """An amount that is not a finite decimal number with at most six decimals."""


def to_micros(value: str | int | Decimal) -> int:
    """Parse a decimal amount (``"0.90"``, ``12``) into integer micros, exactly.

    More than six decimals is refused rather than silently rounded: money typed by a
    person or a client must mean exactly what it says.
    """
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise InvalidAmount(f"{value!r} is not a number") from exc
    if not amount.is_finite():
        raise InvalidAmount(f"{value!r} is not a number")
    scaled = amount * MICROS
    if scaled != scaled.to_integral_value():
        raise InvalidAmount(f"{value!r} has more than six decimal places")
    return int(scaled)


def to_decimal(micros: int) -> Decimal:
    """The exact ``Decimal`` value of an amount in micros."""
    return (Decimal(micros) / MICROS).quantize(_MICRO)


def format_amount(micros: int) -> str:
    """Render micros the way panels do: at least two decimals, no trailing zeros past them.

    ``900000 -> "0.90"``, ``278190 -> "0.27819"``, ``100840000 -> "100.84"``.
    """
    sign = "-" if micros < 0 else ""
    whole, frac = divmod(abs(micros), MICROS)
    digits = f"{frac:06d}".rstrip("0")
    digits = digits.ljust(2, "0")
    return f"{sign}{whole}.{digits}"


def div_round_half_up(numerator: int, denominator: int) -> int:
    """Integer division of non-negative ints rounded half-up (0.5 goes away from zero)."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("div_round_half_up takes a non-negative numerator and positive divisor")
    return (2 * numerator + denominator) // (2 * denominator)


def charge_for(rate_micros: int, quantity: int) -> int:
    """Charge for ``quantity`` units at ``rate_micros`` per 1000, rounded half-up to a micro.

    A paid order is never rounded down to nothing: the floor is one micro-unit.
    """
    exact = rate_micros * quantity
    if exact <= 0:
        return 0
    return max(1, div_round_half_up(exact, 1000))


def share_of(amount_micros: int, part: int, whole: int) -> int:
    """``amount × part / whole`` rounded half-up: the refund for ``part`` undelivered units."""
    if not 0 <= part <= whole:
        raise ValueError("part must be between 0 and whole")
    return div_round_half_up(amount_micros * part, whole)


def quantize_display(value: Decimal) -> Decimal:
    """Round a Decimal to micro precision, half-up (for amounts computed at the edges)."""
    return value.quantize(_MICRO, rounding=ROUND_HALF_UP)
