"""What a deposit costs and brings, from a gateway's settings: the fee (a percentage and a
fixed part, paid by the customer on top or absorbed by the operator), the bonus of the
deposit's tier, and the amount the gateway collects in its own currency's minor units.

Pure arithmetic on integer micros: no database, so every rule is testable alone.
"""

from dataclasses import dataclass

from smmpanel.money import MICROS, div_round_half_up

CENT = 10_000  # micros in 0.01: fees are charged in whole cents
BASIS = 10_000  # percentages are stored in basis points (1% = 100)
# Currencies Stripe and card networks handle without a minor unit (ISO 4217 exponent 0).
ZERO_DECIMAL = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)

FEE_CUSTOMER = "customer"
FEE_OPERATOR = "operator"


@dataclass(frozen=True)
class Quote:
    """A deposit before it is paid: what the balance receives as paid money (``amount``),
    the bonus written beside it, the fee, and what the customer pays the gateway."""

    amount_micros: int
    fee_micros: int
    fee_paid_by: str
    bonus_micros: int
    pay_micros: int  # in the panel's currency: amount + fee when the customer pays it
    pay_currency: str
    pay_minor: int  # what the gateway collects, in its currency's minor units
    rate_micros: int | None  # gateway-currency micros per panel unit, None: same currency

    @property
    def received_micros(self) -> int:
        """What the balance grows by in all: paid money plus bonus."""
        return self.amount_micros + self.bonus_micros


def fee_for(amount_micros: int, percent_bp: int, fixed_micros: int) -> int:
    """The fee on ``amount_micros``: ``percent_bp`` basis points plus ``fixed_micros``,
    rounded half-up to a cent (the smallest amount a card is charged)."""
    if amount_micros < 0 or percent_bp < 0 or fixed_micros < 0:
        raise ValueError("fees are computed on non-negative figures")
    exact = div_round_half_up(amount_micros * percent_bp, BASIS) + fixed_micros
    return div_round_half_up(exact, CENT) * CENT


def bonus_for(amount_micros: int, tiers: list[tuple[int, int]]) -> int:
    """The bonus of the highest tier ``(from_micros, percent_bp)`` the amount reaches,
    rounded down to a cent (a bonus is a gift: never more than promised); 0 below all."""
    reached = [(start, bp) for start, bp in tiers if amount_micros >= start]
    if not reached:
        return 0
    best = max(reached)[1]  # the highest threshold reached wins
    return (amount_micros * best // BASIS) // CENT * CENT


# ISO 4217 currencies whose minor unit is a thousandth (the fils, the baisa, the millime).
THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])


def minor_exponent(currency: str) -> int:
    """Decimals of ``currency``'s minor unit (2 for USD, EUR, UAH; 0 for JPY; 3 for KWD)."""
    code = currency.upper()
    if code in ZERO_DECIMAL:
        return 0
    return 3 if code in THREE_DECIMAL else 2


def to_minor(micros: int, currency: str) -> int:
    """Micros as the currency's minor units, rounded half-up (micros are finer)."""
    return div_round_half_up(micros, MICROS // 10 ** minor_exponent(currency))


def from_minor(minor: int, currency: str) -> int:
    """Minor units of ``currency`` as micros."""
    return minor * (MICROS // 10 ** minor_exponent(currency))


def convert(micros: int, rate_micros: int) -> int:
    """Panel-currency micros into gateway-currency micros at ``rate_micros`` (gateway
    micros per one panel unit), half-up."""
    return div_round_half_up(micros * rate_micros, MICROS)


def quote(
    amount_micros: int,
    *,
    percent_bp: int,
    fixed_micros: int,
    fee_paid_by: str,
    tiers: list[tuple[int, int]],
    panel_currency: str,
    pay_currency: str,
    rate_micros: int | None,
) -> Quote:
    """The full price of a deposit of ``amount_micros`` through one gateway."""
    fee = fee_for(amount_micros, percent_bp, fixed_micros)
    pay = amount_micros + fee if fee_paid_by == FEE_CUSTOMER else amount_micros
    same = pay_currency.upper() == panel_currency.upper()
    if not same and not rate_micros:
        raise ValueError(f"no rate from {panel_currency} to {pay_currency}")
    in_pay_currency = pay if same else convert(pay, rate_micros)
    return Quote(
        amount_micros=amount_micros,
        fee_micros=fee,
        fee_paid_by=fee_paid_by,
        bonus_micros=bonus_for(amount_micros, tiers),
        pay_micros=pay,
        pay_currency=pay_currency.upper(),
        pay_minor=to_minor(in_pay_currency, pay_currency),
        rate_micros=None if same else rate_micros,
    )
