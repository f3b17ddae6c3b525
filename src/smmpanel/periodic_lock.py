"""One holder at a time for a periodic task, across every worker on every machine.

Huey's ``lock_task`` keeps its lock in the queue's storage until the task ends. A worker
killed mid-task leaves it behind, so the consumer flushes all locks at start-up
(``flush_locks``): right for one worker, wrong for several, since a worker restarting on
one machine would then wipe the lock a live sweeper on another machine holds, and a
second sweep would start beside it.

On PostgreSQL the lock is a session advisory lock on a connection of its own: the
server drops it the moment the holder's connection closes, including when the process
is SIGKILLed, and nothing else can release it. On SQLite (one machine, one worker) it
stays Huey's lock.
"""

import hashlib
import logging
import os
import time
from collections.abc import Callable
from contextlib import contextmanager, suppress

from django.conf import settings
from django.db import connection, connections
from huey.contrib.djhuey import HUEY
from huey.exceptions import TaskLockedException

log = logging.getLogger(__name__)


class Held:
    """A lock this process holds. Loops ask ``check()`` before each pass."""

    def __init__(self, name: str, conn=None) -> None:
        self.name = name
        self._advisory = conn is not None
        self._conn = conn  # None after a lost session: Django would silently reconnect

    def check(self) -> bool | None:
        """True: still held, go on. None: the database is away (no pass can run; ask
        again). False: another worker took the lock meanwhile, stop.

        A restarted PostgreSQL has ended the lock's session and so released the lock;
        the holder takes it again on a new connection unless another worker was first.
        """
        if not self._advisory:
            return True  # Huey's lock (SQLite): held until released
        if self._conn is not None:
            try:
                with self._conn.cursor() as cursor:
                    cursor.execute("SELECT 1")
                return True
            except Exception:
                self.close()
        conn = _try_lock(self.name)
        if conn is None:
            return None
        if conn is False:
            _log("lost", self.name)
            return False
        self._conn = conn
        return True

    def close(self) -> None:
        if self._conn is not None:
            # Ends the session: PostgreSQL releases the lock. A session already gone
            # with the server holds nothing, so its error on close is of no interest.
            with suppress(Exception):
                self._conn.close()
            self._conn = None


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_try_advisory_lock``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


# Huey's locks, made when a task module is imported: its consumer flushes the locks it
# knows of at start-up, so on SQLite a lock left by a killed worker does not block the
# task for good (as ``lock_task`` on the task did).
_huey_locks: dict = {}


def declare(name: str) -> str:
    """Name a periodic task's lock, at import time (see ``_huey_locks``); returns it."""
    _huey_locks[name] = HUEY.lock_task(name)
    return name


@contextmanager
def exclusive(name: str):
    """Yield a ``Held`` when this process got the lock ``name``, ``None`` when another
    holds it (or the database cannot be reached). Logs taking and releasing it with the
    pid and wall-clock time: the scale-out test reads those lines for overlaps."""
    if connection.vendor != "postgresql":
        lock = _huey_locks.get(name) or HUEY.lock_task(name)
        try:
            lock.__enter__()
        except TaskLockedException:
            yield None
            return
        _log("taken", name)
        try:
            yield Held(name)
        finally:
            _log("released", name)
            lock.__exit__(None, None, None)
        return
    conn = _try_lock(name)
    if not conn:
        yield None
        return
    held = Held(name, conn)
    _log("taken", name)
    try:
        yield held
    finally:
        _log("released", name)
        held.close()


def repeat_while_held(name: str, one_pass: Callable[[], None], seconds: float = 55) -> None:
    """Run ``one_pass`` every ``SWEEP_INTERVAL_SECONDS`` for ``seconds`` (just under
    Huey's one-minute schedule) while this process holds the lock ``name``; return at
    once when another worker holds it. A pass is skipped while the database is away, and
    the loop ends if another worker took the lock meanwhile."""
    with exclusive(name) as held:
        if held is None:
            return
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            state = held.check()
            if state is False:  # another worker took over while the database was away
                break
            if state:
                one_pass()
            time.sleep(settings.SWEEP_INTERVAL_SECONDS)


def _try_lock(name: str):
    """A new connection holding the advisory lock ``name``; False when another session
    holds it, None when the database cannot be reached."""
    try:
        conn = connections.create_connection("default")
        with conn.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock_key(name)])
            got = cursor.fetchone()[0]
    except Exception as exc:
        log.warning("lock %s: database unavailable: %s", name, type(exc).__name__)
        return None
    if not got:
        conn.close()
        return False
    return conn


def _log(what: str, name: str) -> None:
    log.info("lock %s %s pid=%d at=%.6f", name, what, os.getpid(), time.time())
