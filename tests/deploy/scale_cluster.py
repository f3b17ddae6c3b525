"""Several ``smmpanel worker`` processes sharing one PostgreSQL and one Redis, as workers
on several hosts would (loopback here). Used by tests/deploy/test_scale_out.py and
bench/scale_out.py.

Each worker is started with ``REDIS_URL``, so Huey's queue, its periodic scheduler and
the panel's cache are Redis's; the test process points its own Huey at the same Redis
(``use_redis_queue``) so the orders it places are nudged onto the workers' queue.
"""

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis
from huey.contrib.djhuey import HUEY
from huey.storage import RedisStorage

from tests.providers.worker_process import worker_env

LOCK_LINE = re.compile(
    r"lock (?P<name>[\w-]+) (?P<what>taken|released|lost) pid=(?P<pid>\d+) at=(?P<at>[\d.]+)"
)


def use_redis_queue(url: str):
    """Point this process's Huey at Redis (the test settings chose SQLite); returns the
    storage it replaced, for ``restore``."""
    previous = HUEY.storage
    HUEY.storage = RedisStorage(name=HUEY.name, url=url)
    return previous


def queue_length(url: str) -> int:
    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        return int(client.llen(f"huey.redis.{HUEY.name}"))
    finally:
        client.close()


def flush_redis(url: str) -> None:
    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


@dataclass
class Workers:
    """N worker processes; each keeps one log file across its restarts."""

    log_dir: Path
    env: dict[str, str]
    processes: list[subprocess.Popen] = field(default_factory=list)
    killed_at: dict[int, float] = field(default_factory=dict)  # pid -> time before SIGKILL

    @classmethod
    def start(cls, count: int, log_dir: Path, **extra: str) -> "Workers":
        workers = cls(log_dir, worker_env(**extra))
        for slot in range(count):
            workers.processes.append(workers._spawn(slot))
        return workers

    def _spawn(self, slot: int) -> subprocess.Popen:
        log = open(self.log_dir / f"worker-{slot}.log", "ab")  # noqa: SIM115 - child owns it
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "smmpanel.cli", "worker"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()

    def kill_and_restart(self, slot: int) -> None:
        """SIGKILL the worker in ``slot`` (its whole process group) and start a new one."""
        process = self.processes[slot]
        self.killed_at[process.pid] = time.time()  # before: it can do nothing after
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        self.processes[slot] = self._spawn(slot)

    def stop(self) -> None:
        """Stop every worker; SIGKILL what does not end within 10 s."""
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.log_dir.glob("*.log")))

    def lock_intervals(self, name: str, end: float) -> list[tuple[float, float, int]]:
        """(taken, released, pid) for each holding of lock ``name``, from the workers'
        logs. A holder killed before releasing held it until its SIGKILL; one still
        running holds it until ``end``."""
        intervals, open_ = [], {}
        for line in self.logs().splitlines():
            match = LOCK_LINE.search(line)
            if not match or match["name"] != name:
                continue
            pid, at = int(match["pid"]), float(match["at"])
            if match["what"] == "taken":
                open_[pid] = at
            elif pid in open_:
                intervals.append((open_.pop(pid), at, pid))
        for pid, taken in open_.items():
            intervals.append((taken, self.killed_at.get(pid, end), pid))
        return sorted(intervals)


def overlaps(intervals: list[tuple[float, float, int]]) -> list[tuple]:
    """Pairs of holdings by different processes that overlap in time."""
    found = []
    for (a_start, a_end, a_pid), (b_start, b_end, b_pid) in zip(
        intervals, intervals[1:], strict=False
    ):
        if b_start < a_end and a_pid != b_pid:
            found.append(((a_start, a_end, a_pid), (b_start, b_end, b_pid)))
    return found
