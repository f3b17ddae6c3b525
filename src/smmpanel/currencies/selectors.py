"""Reads for display currencies: the customer's chosen rate and amounts converted."""

from dataclasses import dataclass
from datetime import datetime

from smmpanel.currencies.models import RATE_SCALE, DisplayChoice, DisplayRate


@dataclass(frozen=True)
class Display:
    """How a customer sees amounts besides the panel's currency (``code`` empty: not)."""

    code: str = ""
    per_unit_scaled: int = 0
    set_at: datetime | None = None

    def __bool__(self) -> bool:
        return bool(self.code)

    def convert(self, micros: int) -> int:
        """``micros`` of the panel's currency in micro-units of this one, half up."""
        product = int(micros) * self.per_unit_scaled
        sign = -1 if product < 0 else 1
        return sign * ((abs(product) + RATE_SCALE // 2) // RATE_SCALE)


NONE = Display()


def display_for(user) -> Display:
    """``user``'s chosen display currency and its rate (one query), or ``NONE``."""
    if user is None or not getattr(user, "is_authenticated", False):
        return NONE
    row = (
        DisplayChoice.objects.filter(user=user)
        .values_list("rate__code", "rate__per_unit_scaled", "rate__set_at")
        .first()
    )
    return Display(*row) if row else NONE


def display_rates() -> list[DisplayRate]:
    return list(DisplayRate.objects.select_related("set_by"))


def chosen_code(user) -> str:
    return display_for(user).code
