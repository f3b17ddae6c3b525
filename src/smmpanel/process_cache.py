"""A copy of some database rows kept in one process for a few seconds.

The hot paths read rule rows, the deny list and the active catalog from such a copy
(``policy.rule_cache``, ``catalog.active_catalog``). ``forget`` drops it after a change.
A read that was already under way when ``forget`` ran may hold the old rows, so its
result is returned to its caller but not kept: the next caller reads again. Without
that, a read racing a change (or the first seeding of the rules) could keep stale or
incomplete rows for the whole lifetime of the copy.
"""

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


def _always() -> bool:
    return True


class ProcessSnapshot(Generic[T]):
    """``read()``'s result, kept for ``seconds`` by ``clock()`` (monotonic seconds).

    ``keep()``, asked after each read, may refuse to keep it (the read is still returned).
    """

    def __init__(
        self,
        read: Callable[[], T],
        seconds: float,
        clock: Callable[[], float],
        keep: Callable[[], bool] = _always,
    ):
        self._read, self._seconds, self._clock, self._keep = read, seconds, clock, keep
        self._lock = threading.Lock()
        self._generation = 0
        self._kept: tuple[float, T] | None = None  # (read at, value)

    def __call__(self) -> T:
        """The kept copy while it is fresh, else a new read (kept unless forgotten)."""
        with self._lock:
            kept, generation = self._kept, self._generation
        if kept is not None and self._clock() - kept[0] < self._seconds:
            return kept[1]
        started = self._clock()
        value = self._read()
        keep = self._keep()
        with self._lock:
            if keep and generation == self._generation:
                self._kept = (started, value)
        return value

    def forget(self) -> None:
        """Drop the copy, and the result of any read already under way."""
        with self._lock:
            self._generation += 1
            self._kept = None
