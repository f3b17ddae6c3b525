"""How the fill runs its statements: timed, named steps; connection settings for big
sorts; and lanes, each a thread on a connection of its own, so that on two cores the
database does two things at once."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class Steps:
    """Prints each step with its row count and duration; keeps them for the result."""

    def __init__(self, log: Callable[[str], None]):
        self.log = log
        self.seconds: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self.started = time.perf_counter()

    def record(self, name: str, took: float, rows: int | None = None) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + took
        if rows is not None:
            self.counts[name] = self.counts.get(name, 0) + rows
        shown = f"{rows:>12,} rows" if rows is not None else " " * 17
        total = time.perf_counter() - self.started
        self.log(f"  {name:<34}{shown} {took:8.1f} s   (total {total:7.1f} s)")

    def run(self, name: str, work: Callable[[], int | None]) -> int | None:
        t0 = time.perf_counter()
        rows = work()
        self.record(name, time.perf_counter() - t0, rows)
        return rows

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        """Record the block as step ``name`` (without a row count) when it succeeds."""
        t0 = time.perf_counter()
        yield
        self.record(name, time.perf_counter() - t0)


def session(cur, seed: float | None = None) -> None:
    """Settings of a fill connection: big sorts in memory, no wait for WAL flushes."""
    for setting, value in (
        ("work_mem", "1GB"),
        ("maintenance_work_mem", "1GB"),
        ("max_parallel_maintenance_workers", "0"),  # the fill runs two lanes itself
        ("synchronous_commit", "off"),
    ):
        cur.execute("SELECT set_config(%s, %s, false)", [setting, value])
    if seed is not None:
        cur.execute("SELECT setseed(%s)", [seed])


@contextmanager
def session_cursor(seed: float | None = None) -> Iterator:
    """A cursor of this thread's connection, with the fill's ``session`` settings."""
    from django.db import connection

    with connection.cursor() as cur:
        session(cur, seed)
        yield cur


def run_lanes(*lanes: Callable[[], None]) -> None:
    """Run each lane in a thread of its own (so on a connection of its own): on two
    cores the database does two things at once. The first error is raised after all
    lanes stopped."""
    from django.db import connection

    errors: list[BaseException] = []

    def run(lane: Callable[[], None]) -> None:
        try:
            lane()
        except BaseException as exc:  # re-raised in the calling thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(lane,)) for lane in lanes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def split(items: list, ways: int = 2) -> list[list]:
    """``items`` dealt round-robin into ``ways`` lists (longest first when pre-sorted)."""
    return [items[k::ways] for k in range(ways)]


def statements_lane(statements: list[str], log: Callable[[str], None]) -> Callable[[], None]:
    """A lane that runs ``statements`` in turn, logging each that takes ``$SCALE_SLOW``
    seconds (default 5) or more."""
    slow = float(os.environ.get("SCALE_SLOW", "5"))

    def lane() -> None:
        with session_cursor() as cur:
            for statement in statements:
                t0 = time.perf_counter()
                cur.execute(statement)
                if (took := time.perf_counter() - t0) >= slow:
                    log(f"    {took:6.1f} s  {' '.join(statement.split())[:100]}")

    return lane
