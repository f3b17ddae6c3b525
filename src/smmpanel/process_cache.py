"""A copy of some database rows kept in one process for a few seconds.

The hot paths read rule rows, the deny list, the active catalog and who has own prices
from such a copy (``policy.rule_cache``, ``catalog.active_catalog``,
``catalog.price_rule_owners``). ``forget`` drops it after a change.
A read that was already under way when ``forget`` ran may hold the old rows, so its
result is returned to its caller but not kept: the next caller reads again. Without
that, a read racing a change (or the first seeding of the rules) could keep stale or
incomplete rows for the whole lifetime of the copy.

``forget_on_change`` is for a change made in this thread: the copy is dropped now and
again when the change commits, and no read this thread makes before the transaction ends
is kept, since a rollback runs no hook and those reads may have seen rows it takes back.

A copy may also have a ``version``: a cheap read of a value the database changes with
every change to the rows (``catalog.CatalogVersion``). Once the copy is ``seconds`` old,
the version is read instead of the rows, and the rows are read again only when it moved:
the same freshness for one small statement instead of a large read.
"""

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from django.db import connection, transaction

T = TypeVar("T")


class ProcessSnapshot(Generic[T]):
    """``read()``'s result, kept for ``seconds`` by ``clock()`` (monotonic seconds), and
    kept on past them while ``version()`` (if given) still answers what it answered
    before that read. A version of None means unknown: the rows are read again."""

    def __init__(
        self,
        read: Callable[[], T],
        seconds: float,
        clock: Callable[[], float],
        version: Callable[[], object] | None = None,
    ):
        self._read, self._seconds, self._clock = read, seconds, clock
        self._version = version
        self._lock = threading.Lock()
        self._generation = 0
        self._kept: tuple[float, object, T] | None = None  # (read at, version, value)
        self._changing = threading.local()  # .open: this thread's transaction changed rows

    def __call__(self) -> T:
        """The kept copy while it is fresh, else a new read (kept unless forgotten)."""
        with self._lock:
            kept, generation = self._kept, self._generation
        if kept is not None and self._clock() - kept[0] < self._seconds:
            return kept[2]
        started = self._clock()
        # Read before the rows: a change committed during their read moves it again.
        version = self._version() if self._version is not None else None
        if kept is not None and version is not None and version == kept[1]:
            value = kept[2]  # nothing changed since that copy was read
        else:
            value = self._read()
        keep = self._may_keep()
        with self._lock:
            if keep and generation == self._generation:
                self._kept = (started, version, value)
        return value

    def forget(self) -> None:
        """Drop the copy, and the result of any read already under way."""
        self._changing.open = False
        with self._lock:
            self._generation += 1
            self._kept = None

    def forget_on_change(self) -> None:
        """The rows changed in this thread's transaction (or just now, outside one)."""
        self.forget()
        self._changing.open = connection.in_atomic_block
        transaction.on_commit(self.forget)

    def _may_keep(self) -> bool:
        if not getattr(self._changing, "open", False):
            return True
        if connection.in_atomic_block:
            return False
        self._changing.open = False  # that transaction ended without commit: rolled back
        return True
