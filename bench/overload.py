"""API v2 under overload, with and without load shedding, in one bounded run.

Starts gunicorn twice against the same throwaway PostgreSQL (set up as in
``api_throughput.py``) and offers ``add`` orders (spread over 16 accounts) from
``--capacity`` x N keep-alive connections, N in ``--levels`` (default 1, 2 and 10 times
the 16 connections that saturate the API on the reference machine):

* **no shedding**: the earlier production setup: gthread workers with one thread each, a
  2048-connection backlog, no in-flight limit. Excess requests wait.
* **shedding**: deploy/gunicorn.conf.py as it is (threads, a small backlog and
  ``MAX_REQUESTS_IN_FLIGHT`` per process). Excess requests get API v2's "temporarily
  unavailable" error with ``Retry-After`` at once.

For each, per level: accepted orders per second (goodput), shed answers per second,
other errors, and p50/p99 latency of the accepted requests; then goodput as a share of
capacity (no shedding at 1x, measured in the same run) and the two setups' ratio.

The client is asyncio over raw HTTP/1.1 keep-alive sockets in this process (cheap per
request, so it takes little CPU from the server). A connection that is shed waits what
``Retry-After`` says before its next request, as a well-behaved client does
(``--ignore-retry-after``: it retries at once). Loopback only; each level is bounded in
time (``--seconds``, then at most ``--drain`` seconds for answers still awaited) and in
count (``--max-requests``); the run stops by itself.

    .venv/bin/python bench/overload.py                       # 10 s per level
    .venv/bin/python bench/overload.py --seconds 15 --levels 1,2,10,25
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from api_throughput import (
    LINK_PREFIX,
    LOOPBACK,
    Gunicorn,
    ThrowawayPostgres,
    ThrowawayRedis,
    audit,
    seed,
)

BUSY = b"Service temporarily unavailable"


@dataclass
class Tally:
    """What one level's connections saw."""

    accepted: list[float] = field(default_factory=list)  # latencies, seconds
    shed: int = 0
    errors: int = 0
    first_error: str = ""
    seconds: float = 0.0

    def error(self, text: str) -> None:
        self.errors += 1
        self.first_error = self.first_error or text[:200]

    def percentile(self, p: int) -> float:
        if len(self.accepted) < 2:
            return float("nan")
        return statistics.quantiles(self.accepted, n=100, method="inclusive")[p - 1] * 1000


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 answer: status, headers (lower-case names), body."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name:
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
            body += (await reader.readexactly(size + 2))[:-2]
        await reader.readuntil(b"\r\n")  # the empty trailer
        return status, headers, body
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


async def connection(
    n: int,
    url_port: int,
    keys: tuple[str, ...],
    add_body: str,
    tag: str,
    stop_at: float,
    budget: list[int],
    tally: Tally,
    honour_retry_after: bool,
) -> None:
    """One keep-alive connection placing orders until ``stop_at`` or the budget is spent;
    a new connection after any socket error."""
    seq = 0
    while time.monotonic() < stop_at and budget[0] > 0:
        try:
            reader, writer = await asyncio.open_connection(LOOPBACK, url_port)
        except OSError as exc:
            tally.error(f"connect: {exc}")
            await asyncio.sleep(0.1)
            continue
        try:
            while time.monotonic() < stop_at and budget[0] > 0:
                budget[0] -= 1
                seq += 1
                body = (f"key={keys[(n + seq) % len(keys)]}&{add_body}{tag}c{n}n{seq}%2F").encode()
                request = (
                    f"POST /api/v2 HTTP/1.1\r\nHost: {LOOPBACK}\r\n"
                    "Content-Type: application/x-www-form-urlencoded\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                ).encode() + body
                t0 = time.perf_counter()
                writer.write(request)
                status, headers, answer = await read_answer(reader)
                took = time.perf_counter() - t0
                if status == 200 and answer.startswith(b'{"order"'):
                    tally.accepted.append(took)
                elif BUSY in answer:
                    tally.shed += 1
                    if honour_retry_after:
                        await asyncio.sleep(float(headers.get("retry-after", "1")))
                else:
                    tally.error(f"{status} {answer[:150]!r}")
                if headers.get("connection", "").lower() == "close":
                    break
        except (OSError, asyncio.IncompleteReadError, ValueError, IndexError) as exc:
            tally.error(f"socket or parse: {exc!r}")
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def offer(
    port: int,
    connections: int,
    keys: tuple[str, ...],
    add_body: str,
    tag: str,
    seconds: float,
    drain: float,
    max_requests: int,
    honour_retry_after: bool,
) -> Tally:
    """``connections`` clients for ``seconds``; answers still awaited get ``drain`` more
    seconds, then are cut off (counted as errors)."""
    tally = Tally()
    budget = [max_requests]
    start = time.monotonic()
    stop_at = start + seconds
    tasks = [
        asyncio.create_task(
            connection(n, port, keys, add_body, tag, stop_at, budget, tally, honour_retry_after)
        )
        for n in range(connections)
    ]
    done, pending = await asyncio.wait(tasks, timeout=seconds + drain)
    for task in pending:
        task.cancel()
        tally.error("cut off after the drain time")
    await asyncio.gather(*pending, return_exceptions=True)
    tally.seconds = time.monotonic() - start
    return tally


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    p.add_argument("--seconds", type=float, default=10.0, help="per level (default 10)")
    p.add_argument("--drain", type=float, default=15.0, help="max wait after a level (15)")
    p.add_argument(
        "--capacity", type=int, default=16, help="connections that saturate the API (default 16)"
    )
    p.add_argument("--levels", default="1,2,10", help="multiples of --capacity (1,2,10)")
    p.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    p.add_argument("--max-requests", type=int, default=200_000, help="cap per level")
    p.add_argument(
        "--ignore-retry-after",
        action="store_true",
        help="shed clients retry at once instead of waiting Retry-After",
    )
    p.add_argument(
        "--limits",
        default="",
        help="MAX_REQUESTS_IN_FLIGHT values to compare, e.g. 2,4 (default: the config's)",
    )
    args = p.parse_args(argv)
    args.levels = [float(x) for x in args.levels.split(",")]
    args.limits = args.limits.split(",") if args.limits else [""]
    if not 0 < args.seconds <= 120 or not 0 <= args.drain <= 60:
        p.error("--seconds must be in (0, 120], --drain in [0, 60]")
    if not all(0 < x <= 50 for x in args.levels):
        p.error("--levels must be in (0, 50]")
    return args


def setups(limits: list[str]) -> dict[str, tuple[int | None, tuple[str, ...], str | None]]:
    """name: (threads or None for the config's, extra gunicorn arguments,
    MAX_REQUESTS_IN_FLIGHT or None for the config's)."""
    plan = {"no shedding": (1, ("--backlog", "2048"), "0")}
    for limit in limits:
        plan["shedding" + (f" ({limit})" if limit else "")] = (None, (), limit or None)
    return plan


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tag = uuid.uuid4().hex[:8]
    workdir = Path(tempfile.mkdtemp(prefix="smm-overload-"))
    results: dict[tuple[str, float], Tally] = {}
    logs: dict[str, str] = {}  # each server's log (warnings and errors), read before cleanup
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        database_url = args.database_url or stack.enter_context(ThrowawayPostgres())
        redis_url = stack.enter_context(ThrowawayRedis()) if shutil.which("redis-server") else ""
        env = dict(os.environ) | {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DATA_DIR": str(workdir / "data"),
            "DJANGO_SETTINGS_MODULE": "smmpanel.settings",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
        env.pop("MAX_REQUESTS_IN_FLIGHT", None)  # the config's value, unless a setup says
        os.environ.update(env)
        print("overload: migrating and seeding ...", flush=True)
        seeded = seed(tag, 16, 0, None)
        keys = seeded.keys[1:]
        add_body = urlencode(
            {"action": "add", "service": seeded.service_id, "quantity": seeded.quantity}
        )
        add_body += "&link=" + quote(LINK_PREFIX, safe="")
        for name, (threads, extra, limit) in setups(args.limits).items():
            server_env = dict(env)
            if limit is not None:
                server_env["MAX_REQUESTS_IN_FLIGHT"] = limit
            server = Gunicorn(
                server_env, args.workers, threads or 16, workdir / f"{name}.log", extra=extra
            )
            if threads is None:  # the config's own thread count
                i = server.cmd.index("--threads")
                del server.cmd[i : i + 2]
            with server:
                stack.callback(lambda s=server, n=name: logs.__setitem__(n, s.log_path.read_text()))
                asyncio.run(
                    offer(
                        server.port,
                        args.capacity,
                        keys,
                        add_body,
                        f"{tag}w",
                        2.0,
                        5.0,
                        args.max_requests,
                        True,
                    )
                )  # warm-up
                for level in args.levels:
                    conns = max(1, round(args.capacity * level))
                    tally = asyncio.run(
                        offer(
                            server.port,
                            conns,
                            keys,
                            add_body,
                            f"{tag}{name[0]}{len(results)}x",
                            args.seconds,
                            args.drain,
                            args.max_requests,
                            not args.ignore_retry_after,
                        )
                    )
                    results[(name, level)] = tally
                    print(
                        f"overload: {name}, {conns} connections: "
                        f"{len(tally.accepted) / tally.seconds:,.0f} add/s",
                        flush=True,
                    )
                    time.sleep(1)  # let the previous level's connections close
        placed, mismatches = audit(seeded)

    capacity = results[("no shedding", args.levels[0])]
    cap_rate = len(capacity.accepted) / capacity.seconds
    row = "{:<12} {:>6} {:>8} {:>8} {:>7} {:>8} {:>8} {:>9} {:>9}"
    print()
    print(
        row.format(
            "setup", "conns", "add/s", "shed/s", "errors", "p50 ms", "p99 ms", "vs cap.", "vs none"
        )
    )
    for (name, level), t in results.items():
        rate = len(t.accepted) / t.seconds
        base = results[("no shedding", level)]
        base_rate = len(base.accepted) / base.seconds
        cells = (
            name,
            round(args.capacity * level),
            f"{rate:,.0f}",
            f"{t.shed / t.seconds:,.0f}",
            t.errors,
            f"{t.percentile(50):.0f}",
            f"{t.percentile(99):.0f}",
            f"{rate / cap_rate:.0%}",
            f"{rate / base_rate:.2f}x",
        )
        print(row.format(*cells))
    retry = "retry at once" if args.ignore_retry_after else "wait Retry-After"
    print(
        f"\ncapacity = no shedding at {args.capacity} connections; latencies are of accepted "
        f"requests only; shed clients {retry}; "
        f"{os.cpu_count()} CPUs shared by server, database and client; orders placed "
        f"(warm-ups included): {placed}; ledger mismatches: {mismatches}"
    )
    failed = set()
    for (name, level), t in results.items():
        if t.first_error:
            failed.add(name)
            print(f"first error ({name}, {level:g}x): {t.first_error}", file=sys.stderr)
    for name in sorted(failed):
        print(
            f"gunicorn's log ({name}, last 3,000 characters):\n{logs.get(name, '')[-3000:]}",
            file=sys.stderr,
        )
    return 1 if failed or mismatches else 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
