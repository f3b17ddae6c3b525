"""Whole numbers in request parameters: one rule for every numeric parameter.

API clients send ids and quantities as ASCII digits. ``int()`` also reads other
scripts' digits (Arabic-Indic ``٣``, fullwidth ``３``) and ``str.isdigit`` even
superscripts, so each parameter that parsed numbers its own way accepted a different
set. Every numeric parameter (service, order, refill ids, quantity…) goes through
``whole_number``.
"""

MAX_ID_DIGITS = 18  # below 2**62: fits every database's bigint


def whole_number(value: object, max_digits: int = MAX_ID_DIGITS) -> int | None:
    """The non-negative whole number ``value`` spells in ASCII digits (an ``int`` as
    itself; surrounding spaces allowed), or None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 10**max_digits else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if 0 < len(text) <= max_digits and text.isascii() and text.isdigit():
        return int(text)
    return None
