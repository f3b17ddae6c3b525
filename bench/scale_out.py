"""Orders forwarded per second by one, two and three ``smmpanel worker`` processes
sharing one PostgreSQL and one Redis, with the provider simulator answering every
``add`` after 100 ms (so a worker's concurrency, not the CPU, bounds it). Each worker
runs ``--threads`` Huey threads and calls one provider from at most
``PROVIDER_MAX_THREADS`` of them at once (half its threads by default): at 100 ms a
call, 2 calls at once make a ceiling of 20 orders a second per worker.

Each run places ``--orders`` orders with the workers stopped (their forwarding tasks
wait in Redis), starts N workers, and times until every order's run has left the
outbox; the rate counts from the first order accepted upstream to the last. It
creates a throwaway database on the server and drops it at the end.

    BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    BENCH_REDIS_URL=redis://127.0.0.1:6379/0 .venv/bin/python bench/scale_out.py

Redis's database is flushed: point it at a throwaway server.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "src")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per add")
    parser.add_argument("--threads", default="4", help="WORKER_THREADS of each worker")
    parser.add_argument("--workers", default="1,2,3")
    args = parser.parse_args()
    pg, redis_url = os.environ["BENCH_POSTGRES_URL"], os.environ["BENCH_REDIS_URL"]
    import psycopg

    name = f"smmpanel_bench_scale_{os.getpid()}"
    admin = psycopg.connect(pg, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        os.environ["DATABASE_URL"] = urlunsplit(urlsplit(pg)._replace(path=f"/{name}"))
        os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="bench-scale-"))
        os.environ.setdefault("SECRET_KEY", "bench-scale-out")
        os.environ.setdefault("LOG_LEVEL", "WARNING")
        figures = run(args, redis_url)
    finally:
        from django.db import connections

        connections.close_all()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    print(f"\norders forwarded per second ({args.orders} orders, add latency {args.latency}s):")
    for workers, rate in figures:
        print(f"  {workers} worker(s) x {args.threads} threads: {rate:6.1f}/s")


def run(args, redis_url: str) -> list[tuple[int, float]]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smmpanel.settings")
    import django

    django.setup()
    import httpx
    from django.core.management import call_command
    from django.db.models import Max, Min

    from smmpanel.orders.services import place_order
    from smmpanel.providers.models import Submission, SubmissionState
    from smmpanel.providers.services import add_provider, route_unrouted_services
    from smmpanel.providers.simulator.server import serve
    from tests.deploy.scale_cluster import Workers, flush_redis, use_redis_queue
    from tests.factories import make_service, make_user

    call_command("migrate", verbosity=0)
    flush_redis(redis_url)
    use_redis_queue(redis_url)
    sim = serve(key="sim-key", seed=1, start_delay=30, partial_rate=0, cancel_rate=0, banner=False)
    figures = []
    try:
        httpx.post(
            sim.control_url,
            json={"fault": "slow", "actions": ["add"], "delay": args.latency},
            timeout=5,
        ).raise_for_status()
        user = make_user("1000000")
        service = make_service(min_quantity=10, max_quantity=5000)
        route_unrouted_services(add_provider("Simulator", sim.url, "sim-key", allow_private=True))
        prefix = "https://instagram.com/p/Bench"
        for count in (int(n) for n in args.workers.split(",")):
            start = len(figures)
            for n in range(args.orders):
                link = f"{prefix}{count}x{start}x{n}"
                place_order(user, service, {"link": link, "quantity": 100})
            waiting = Submission.objects.filter(
                state__in=(SubmissionState.QUEUED, SubmissionState.SENDING)
            )
            updates_before = _submission_updates()
            cpu_before = _children_cpu()
            with tempfile.TemporaryDirectory() as logs:
                began = time.monotonic()
                workers = Workers.start(
                    count,
                    Path(logs),
                    REDIS_URL=redis_url,
                    WORKER_THREADS=args.threads,
                    PROVIDER_READ_TIMEOUT="10",
                    LOG_LEVEL="WARNING",
                )
                try:
                    deadline = began + 600
                    while waiting.exists() and time.monotonic() < deadline:
                        time.sleep(0.05)
                    elapsed = time.monotonic() - began
                    waited = sum(_runqueue_wait(p.pid) for p in workers.processes)
                finally:
                    workers.stop()
            # From the first order accepted upstream to the last: the workers' start-up
            # (a second or two of Django and Huey) is not forwarding.
            sent = Submission.objects.filter(order__link__startswith=f"{prefix}{count}x{start}x")
            span = sent.aggregate(first=Min("sent_at"), last=Max("sent_at"))
            forwarding = (span["last"] - span["first"]).total_seconds()
            rate = (args.orders - 1) / forwarding
            # Each try of a run is a claim and an outcome, two updates of its row: more than
            # two per order are runs put back because their provider was busy.
            tries = (_submission_updates() - updates_before) / 2 / args.orders
            cpu = (_children_cpu() - cpu_before) / args.orders * 1000
            print(
                f"{count} worker(s): {args.orders} orders in {elapsed:.1f} s from the workers' "
                f"start, forwarded in {forwarding:.1f} s = {rate:.1f}/s; {tries:.1f} tries an "
                f"order; the workers used {cpu:.0f} ms of CPU an order and waited "
                f"{waited / args.orders * 1000:.0f} ms an order for a CPU"
            )
            figures.append((count, rate))
    finally:
        sim.shutdown()
    return figures


def _submission_updates() -> int:
    """Rows of the outbox updated so far (PostgreSQL's statistics, flushed first)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_force_next_flush()")
        cursor.execute(
            "SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'providers_submission'"
        )
        return int(cursor.fetchone()[0])


def _runqueue_wait(pid: int) -> float:
    """Seconds the threads of process ``pid`` were ready to run but waited for a CPU
    (the kernel's schedstat; 0 where it is not available)."""
    total = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        try:
            total += int(stat.read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


def _children_cpu() -> float:
    """CPU seconds used by the worker processes that have ended."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


if __name__ == "__main__":
    main()
