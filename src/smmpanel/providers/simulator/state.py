"""The simulated provider's memory: orders, refills and balance, driven by a clock.

Nothing here is delivered anywhere. An order's status is a pure function of the time
elapsed since it was placed: it waits ``start_delay`` seconds (Pending), then "delivers"
``speed`` units per second (In progress), then ends Completed — or, for a share of
orders picked from the seed and the order id, Partial or Canceled. The same seed and
the same requests give the same orders, so tests can rely on them.

One lock guards everything; every operation is a dict lookup plus a little arithmetic,
so a 100-id status batch holds it for well under a millisecond.
"""

import heapq
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from smmpanel.providers.simulator.catalog import PACKAGE_TYPES, SimService
from smmpanel.providers.simulator.records import (
    ACTIVE_LINK,
    CANCELED,
    COMPLETED,
    FINAL,
    MICRO,
    PARTIAL,
    SimConfig,
    SimError,
    SimOrder,
    SimRefill,
    format_money,
)

__all__ = ["SimConfig", "SimError", "SimulatorState", "format_money"]

FIRST_ORDER_ID = 1_000_001
FIRST_REFILL_ID = 5_000_001


class SimulatorState:
    """All orders, refills and money of one simulated provider; safe across threads."""

    def __init__(
        self,
        seed: int = 0,
        config: SimConfig | None = None,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.seed = seed
        self._clock = clock
        self._initial = replace(config or SimConfig()).checked()
        self._lock = threading.Lock()
        self.reset()

    # -- time -------------------------------------------------------------------------

    def now(self) -> float:
        """The simulator's time: the clock plus any ``advance``."""
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Jump the simulator's time forward, e.g. to finish orders in an end-to-end test."""
        if not 0 <= seconds <= 86_400 * 365:
            raise ValueError("seconds must be between 0 and one year")
        with self._lock:
            self._offset += seconds

    # -- configuration ----------------------------------------------------------------

    def reset(self) -> None:
        """Forget every order, refill, counter and time jump; back to the first config."""
        with self._lock:
            self.config = replace(self._initial)
            self._balance = self.config.balance
            self._offset = 0.0
            self._orders: dict[int, SimOrder] = {}
            self._by_link: dict[str, list[int]] = {}
            self._refills: dict[int, SimRefill] = {}
            self._next_order = FIRST_ORDER_ID
            self._next_refill = FIRST_REFILL_ID
            self._refund_due: list[tuple[float, int]] = []  # heap of (ends_at, order id)
            self.requests: Counter[str] = Counter()
            self.cancels = 0

    def configure(self, changes: dict) -> SimConfig:
        """Change settings (names of ``SimConfig``); ``balance`` sets the balance itself."""
        unknown = set(changes) - set(SimConfig.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown setting: {sorted(unknown)[0]}")
        with self._lock:
            updated = replace(self.config, **changes).checked()
            self.config = updated
            if "balance" in changes:
                self._balance = updated.balance
            return replace(updated)

    def count_request(self, action: str) -> None:
        """Count one API request for ``action`` (shown by ``GET /control``)."""
        with self._lock:
            self.requests[action[:40]] += 1

    # -- orders -----------------------------------------------------------------------

    def place_order(
        self,
        service: SimService,
        link: str,
        quantity: int,
        runs: int = 1,
        interval_minutes: int = 0,
        params: dict | None = None,
    ) -> int:
        """Record a new order, charge the balance and return the provider order id."""
        total = quantity * runs
        if service.type_slug in PACKAGE_TYPES:
            charge = service.rate_decimal
        else:
            charge = (service.rate_decimal * total / 1000).quantize(MICRO, ROUND_HALF_UP)
        with self._lock:
            now = self.now()
            self._settle(now)
            cfg = self.config
            if cfg.one_active_per_link and self._active_on_link(link, service.id, now):
                raise SimError(ACTIVE_LINK)
            if charge > self._balance:
                raise SimError("Not enough funds on balance")
            order_id = self._next_order
            self._next_order += 1
            rng = random.Random(f"{self.seed}:order:{order_id}")
            roll, share = rng.random(), rng.uniform(0.2, 0.9)
            fate, target = COMPLETED, total
            if roll < cfg.cancel_rate:
                fate, target = CANCELED, 0
            elif roll < cfg.cancel_rate + cfg.partial_rate and total >= 2:
                fate, target = PARTIAL, max(1, min(total - 1, int(total * share)))
            order = SimOrder(
                id=order_id,
                service=service,
                link=link,
                quantity=quantity,
                runs=runs,
                interval=interval_minutes * 60.0,
                charge=charge,
                created=now,
                created_wall=time.time(),
                start_delay=float(cfg.start_delay),
                speed=float(cfg.speed),
                start_count=rng.randint(100, 250_000),
                fate=fate,
                target=target,
                params=dict(params or {}),
            )
            self._orders[order_id] = order
            self._by_link.setdefault(link, []).append(order_id)
            self._balance -= charge
            if fate != COMPLETED:
                heapq.heappush(self._refund_due, (order.ends_at(), order_id))
            return order_id

    def status(self, order_id: object) -> dict | None:
        """The API v2 status of one order, or None when there is no such order."""
        return self.statuses([order_id])[0]

    def statuses(self, order_ids: Iterable[object]) -> list[dict | None]:
        """API v2 statuses for many ids under one lock; None where an id is unknown."""
        answers: list[dict | None] = []
        with self._lock:
            now = self.now()
            currency = self.config.currency
            for raw in order_ids:
                order = self._orders.get(_as_id(raw))
                if order is None:
                    answers.append(None)
                    continue
                status, remains, start_count = order.snapshot(now)
                answers.append(
                    {
                        "charge": order.charge_text_for(status, remains),
                        "start_count": str(start_count),
                        "status": status,
                        "remains": str(remains),
                        "currency": currency,
                    }
                )
        return answers

    def cancel(self, order_id: object) -> None:
        """Cancel an order that has not ended; refund its undelivered part at once."""
        with self._lock:
            order = self._orders.get(_as_id(order_id))
            if order is None:
                raise SimError("Incorrect order ID")
            if not order.service.cancel:
                raise SimError("Cancel is disabled for this service")
            now = self.now()
            status, remains, _ = order.snapshot(now)
            if status in FINAL:
                raise SimError(f"Order can not be canceled: it is {status}")
            order.canceled_at = now
            self.cancels += 1
            self._refund(order, remains)

    def refill(self, order_id: object) -> int:
        """Start a refill of a Completed or Partial order; return the refill id."""
        with self._lock:
            order = self._orders.get(_as_id(order_id))
            if order is None:
                raise SimError("Incorrect order ID")
            if not order.service.refill:
                raise SimError("Refill is disabled for this service")
            now = self.now()
            status = order.snapshot(now)[0]
            if status not in (COMPLETED, PARTIAL):
                raise SimError(f"Refill is not available for this order: it is {status}")
            refill_id = self._next_refill
            self._next_refill += 1
            self._refills[refill_id] = SimRefill(
                refill_id,
                order.id,
                now,
                float(self.config.start_delay),
                float(self.config.refill_seconds),
            )
            return refill_id

    def refill_statuses(self, refill_ids: Iterable[object]) -> list[str | None]:
        """Refill statuses for many ids; None where an id is unknown."""
        with self._lock:
            now = self.now()
            return [
                r.status(now) if (r := self._refills.get(_as_id(raw))) else None
                for raw in refill_ids
            ]

    def balance(self) -> Decimal:
        """The balance after every refund that is due by now."""
        with self._lock:
            self._settle(self.now())
            return self._balance

    # -- inspection for tests ---------------------------------------------------------

    def orders_with_link(self, link: str) -> list[dict]:
        """Every order ever placed on exactly this link, oldest first."""
        with self._lock:
            now = self.now()
            return [self._orders[i].as_json(now) for i in self._by_link.get(link, [])]

    def order_info(self, order_id: object) -> dict | None:
        """Everything about one order (control API), or None when there is no such order."""
        with self._lock:
            order = self._orders.get(_as_id(order_id))
            return order.as_json(self.now()) if order else None

    def stats(self, include_orders: bool = False) -> dict:
        """Counters for tests: requests by action, orders, refills, balance, config."""
        with self._lock:
            now = self.now()
            self._settle(now)
            data = {
                "requests": dict(self.requests),
                "orders_created": len(self._orders),
                "refills_created": len(self._refills),
                "cancels": self.cancels,
                "balance": format_money(self._balance),
                "config": self.config.as_json(),
                "time_offset": self._offset,
            }
            if include_orders:
                data["orders"] = {
                    str(i): o.as_json(now, include_params=False) for i, o in self._orders.items()
                }
            return data

    # -- internals (lock held) --------------------------------------------------------

    def _active_on_link(self, link: str, service_id: int, now: float) -> bool:
        return any(
            self._orders[i].service.id == service_id
            and self._orders[i].snapshot(now)[0] not in FINAL
            for i in self._by_link.get(link, ())
        )

    def _settle(self, now: float) -> None:
        # Orders that end Partial or Canceled on their own are refunded lazily, in the
        # order they end: a heap keeps this O(log n) per order however many are active.
        due = self._refund_due
        while due and due[0][0] <= now:
            _, order_id = heapq.heappop(due)
            order = self._orders[order_id]
            if order.refunded:
                continue
            status, remains, _ = order.snapshot(now)
            if status not in FINAL:  # float rounding left it a hair short: look again soon
                heapq.heappush(due, (now + 0.01, order_id))
                break
            self._refund(order, remains)

    def _refund(self, order: SimOrder, remains: int) -> None:
        if order.refunded:
            return
        order.refunded = True
        self._balance += order.refund_for(remains)


def _as_id(raw: object) -> int | None:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    text = str(raw).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None
