"""What the simulated provider remembers: its settings, orders and refills.

An order's status is a pure function of the clock: ``SimOrder.snapshot(now)`` works it
out from the time the order was placed and the timing copied from the settings then.
"""

from dataclasses import asdict, dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from smmpanel.providers.simulator.catalog import SimService

PENDING = "Pending"
IN_PROGRESS = "In progress"
COMPLETED = "Completed"
PARTIAL = "Partial"
CANCELED = "Canceled"
FINAL = frozenset({COMPLETED, PARTIAL, CANCELED})

MICRO = Decimal("0.000001")
# Refunds drop what is below 1/100000 like providers' own ledgers do; never rounds up.
REFUND_STEP = Decimal("0.00001")

ACTIVE_LINK = "You have active order with this link. Please wait until order being completed."


class SimError(Exception):
    """A refusal answered to the client as ``{"error": message}``."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def format_money(value: Decimal) -> str:
    """A money string as providers print it: at least two decimals, at most six."""
    text = f"{value.quantize(MICRO, ROUND_HALF_UP):f}"
    whole, _, frac = text.partition(".")
    return f"{whole}.{frac.rstrip('0').ljust(2, '0')}"


@dataclass
class SimConfig:
    """How the simulated provider behaves; changeable at runtime (new orders only)."""

    start_delay: float = 5.0  # seconds an order stays Pending
    speed: float = 50.0  # units "delivered" per second while In progress
    partial_rate: float = 0.1  # share of orders that stop early and end Partial
    cancel_rate: float = 0.02  # share of orders that end Canceled
    refill_seconds: float = 10.0  # how long a refill stays In progress
    balance: Decimal = Decimal("100000")
    currency: str = "USD"
    one_active_per_link: bool = False  # refuse a second active order on a link+service

    def checked(self) -> "SimConfig":
        """This config, or ValueError naming the first setting out of range."""
        for name in ("start_delay", "speed", "partial_rate", "cancel_rate", "refill_seconds"):
            value = getattr(self, name)
            try:
                if isinstance(value, bool):
                    raise TypeError
                setattr(self, name, float(value))
            except (TypeError, ValueError):
                raise ValueError(f"{name} must be a number") from None
        if not isinstance(self.one_active_per_link, bool):
            raise ValueError("one_active_per_link must be true or false")
        try:
            self.balance = Decimal(str(self.balance))
        except ArithmeticError:
            raise ValueError("balance must be a non-negative amount") from None
        for name in ("start_delay", "refill_seconds"):
            if not 0 <= float(getattr(self, name)) <= 86_400 * 30:
                raise ValueError(f"{name} must be between 0 and 2592000 seconds")
        if not 0 < float(self.speed) <= 1e9:
            raise ValueError("speed must be above 0 units per second")
        for name in ("partial_rate", "cancel_rate"):
            if not 0 <= float(getattr(self, name)) <= 1:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.partial_rate + self.cancel_rate > 1:
            raise ValueError("partial_rate + cancel_rate must not exceed 1")
        if not self.balance.is_finite() or self.balance < 0:
            raise ValueError("balance must be a non-negative amount")
        if not (isinstance(self.currency, str) and 0 < len(self.currency) <= 10):
            raise ValueError("currency must be a short code such as USD")
        return self

    def as_json(self) -> dict:
        """The settings as the control API shows them."""
        data = asdict(self)
        data["balance"] = format_money(self.balance)
        return data


@dataclass(slots=True)
class SimOrder:
    """An order as the simulated provider keeps it. Times are on the state's clock."""

    id: int
    service: SimService
    link: str
    quantity: int  # per run
    runs: int
    interval: float  # seconds between drip-feed runs
    charge: Decimal
    created: float
    created_wall: float
    start_delay: float  # taken from the config when placed, so later changes
    speed: float  # never move an existing order backwards
    start_count: int
    fate: str  # COMPLETED, PARTIAL or CANCELED: how the order ends if left alone
    target: int  # units delivered before it ends
    params: dict = field(default_factory=dict)
    canceled_at: float | None = None
    refunded: bool = False
    charge_text: str = field(init=False)  # formatted once: status batches print it a lot

    def __post_init__(self) -> None:
        self.charge_text = format_money(self.charge)

    @property
    def total(self) -> int:
        return self.quantity * self.runs

    def delivered(self, elapsed: float) -> int:
        """Units delivered ``elapsed`` seconds after the order was placed."""
        t = elapsed - self.start_delay
        if t <= 0 or self.fate == CANCELED:
            return 0
        if self.runs == 1:
            done = int(t * self.speed)
        else:  # each run starts ``interval`` after the previous one and runs at ``speed``
            done = 0
            for run in range(self.runs):
                since = t - run * self.interval
                if since <= 0:
                    break
                done += min(self.quantity, int(since * self.speed))
        return min(self.target, done)

    def snapshot(self, now: float) -> tuple[str, int, int]:
        """(status, remains, start_count) at clock time ``now``."""
        if self.canceled_at is not None:
            return CANCELED, self.total - self.delivered(self.canceled_at - self.created), 0
        elapsed = now - self.created
        if elapsed < self.start_delay:
            return PENDING, self.total, 0
        if self.fate == CANCELED:
            return CANCELED, self.total, 0
        done = self.delivered(elapsed)
        if done < self.target:
            return IN_PROGRESS, self.total - done, self.start_count
        if self.target == self.total:
            return COMPLETED, 0, self.start_count
        return PARTIAL, self.total - self.target, self.start_count

    def refund_for(self, remains: int) -> Decimal:
        """What the provider gives back when the order ends with ``remains`` undelivered."""
        if not remains or not self.total:
            return Decimal(0)
        return (self.charge * remains / self.total).quantize(REFUND_STEP, ROUND_DOWN)

    def charge_text_for(self, status: str, remains: int) -> str:
        """The charge API v2 reports for the order in ``status``: what it really cost.
        Like real panels, a Partial or Canceled order shows its charge less the refund
        of its remains (worked out from the status, so it never waits for the lazy
        balance refund)."""
        if status in (PARTIAL, CANCELED):
            return format_money(self.charge - self.refund_for(remains))
        return self.charge_text

    def ends_at(self) -> float:
        """Clock time at (or just after) which the order reaches its final status."""
        begin = self.created + self.start_delay
        if self.fate == CANCELED:
            return begin
        if self.runs == 1:
            return begin + self.target / self.speed + 1e-6
        low, high = 0.0, self.runs * self.interval + self.quantity / self.speed + 1.0
        for _ in range(60):  # bisect the delivery curve: drip-feed has no closed form here
            mid = (low + high) / 2
            if self.delivered(self.start_delay + mid) >= self.target:
                high = mid
            else:
                low = mid
        return begin + high

    def as_json(self, now: float, include_params: bool = True) -> dict:
        """Everything about the order at ``now``, for the control API (not API v2)."""
        status, remains, start_count = self.snapshot(now)
        data = {
            "order": self.id,
            "service": self.service.id,
            "link": self.link,
            "quantity": self.quantity,
            "runs": self.runs,
            "status": status,
            "remains": remains,
            "start_count": start_count,
            "charge": self.charge_text,
            "fate": self.fate,
            "cancel_requested": self.canceled_at is not None,
            "created": round(self.created_wall, 3),
        }
        if include_params:
            data["params"] = self.params
        return data


@dataclass(slots=True)
class SimRefill:
    """A refill: Pending for ``start_delay``, In progress for ``duration``, then Completed."""

    id: int
    order_id: int
    created: float
    start_delay: float
    duration: float

    def status(self, now: float) -> str:
        """The refill's API v2 status at clock time ``now``."""
        elapsed = now - self.created
        if elapsed < self.start_delay:
            return PENDING
        if elapsed < self.start_delay + self.duration:
            return IN_PROGRESS
        return COMPLETED
