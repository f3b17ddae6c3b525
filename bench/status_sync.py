"""Status sync throughput: how many active orders per second the panel keeps in step
with a provider, polling 100 upstream ids per call.

Runs the real code (fulfilment.status_sync.sync_provider) in this process against the
provider SIMULATOR in a second process over loopback HTTP. Two passes over N active
orders (default 100,000):

* steady — every order still running upstream: each poll records progress only;
* settle — every order has ended upstream (Completed / Partial / Canceled): each poll
  also settles the order and writes its refund.

Beside them, the same run measures the ceiling: multi-status calls alone, no database.

    .venv/bin/python bench/status_sync.py [--orders 100000] [--database-url postgres://…]

Without --database-url it uses a throwaway SQLite file.
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_simulator(port: int, *, start_delay: float, speed: float) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "smmpanel.providers.simulator",
            "--port",
            str(port),
            "--key",
            "bench-key",
            "--start-delay",
            str(start_delay),
            "--speed",
            str(speed),
            "--partial-rate",
            "0.2",
            "--cancel-rate",
            "0.05",
            "--balance",
            "1000000000",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the simulator did not start")


def main() -> None:
    args = parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    os.environ["DATA_DIR"] = str(data_dir)
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{data_dir / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smmpanel.settings")
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    engine = "PostgreSQL" if "postgres" in os.environ["DATABASE_URL"] else "SQLite"
    print(f"status sync benchmark: {args.orders:,} active orders, {engine}, simulator over HTTP")
    rows = []
    for label, start_delay, speed in (("steady", 3600, 0.001), ("settle", 0, 1e9)):
        port = free_port()
        simulator = start_simulator(port, start_delay=start_delay, speed=speed)
        try:
            rows.append(run_pass(label, port, args.orders))
        finally:
            simulator.terminate()
            simulator.wait(timeout=10)
    print()
    print(f"{'pass':<10}{'orders':>10}{'seconds':>10}{'orders/s':>12}{'ceiling/s':>12}{'ratio':>8}")
    for label, count, seconds, ceiling in rows:
        rate = count / seconds
        print(
            f"{label:<10}{count:>10,}{seconds:>10.1f}{rate:>12,.0f}{ceiling:>12,.0f}"
            f"{rate / ceiling:>8.1%}"
        )


def run_pass(label: str, port: int, count: int) -> tuple[str, int, float, float]:
    import httpx
    from django.db.models import Count

    from smmpanel.billing.selectors import ledger_mismatches
    from smmpanel.fulfilment.status_sync import sync_provider
    from smmpanel.orders.models import Order
    from smmpanel.providers.connection import client_for

    url = f"http://127.0.0.1:{port}"
    made = httpx.post(
        f"{url}/control/orders",
        json={
            "service": 1,
            "count": count,
            "quantity": 100,
            "link": f"https://x.com/b/{label}{{n}}",
        },
        timeout=600,
    ).json()
    provider = seed_panel(label, f"{url}/api/v2", made["first"], count)
    ids = [str(made["first"] + i) for i in range(count)]

    client = client_for(provider)
    started = time.perf_counter()
    for start in range(0, len(ids), 100):
        client.multi_status(ids[start : start + 100])
    ceiling = count / (time.perf_counter() - started)

    started = time.perf_counter()
    synced = sync_provider(provider, limit=count)
    seconds = time.perf_counter() - started
    statuses = dict(
        Order.objects.filter(user__email=f"{label}@bench.local")
        .values_list("status")
        .annotate(n=Count("id"))
    )
    print(f"  {label}: synced {synced:,} in {seconds:.1f} s; order statuses {statuses}")
    assert synced == count, "every order must be synced"
    assert ledger_mismatches() == [], "the ledger must stay consistent"
    return label, count, seconds, ceiling


def seed_panel(label: str, api_url: str, first_remote: int, count: int):
    """``count`` in-progress orders, charged, each with an active upstream submission."""
    from django.db import transaction
    from django.utils import timezone

    from smmpanel.accounts.services import create_user
    from smmpanel.billing.models import LedgerEntry, Wallet
    from smmpanel.billing.services import deposit
    from smmpanel.catalog.services import create_service, get_or_create_category
    from smmpanel.money import to_micros
    from smmpanel.orders.models import Order, OrderStatus
    from smmpanel.providers.models import ServiceRoute, Submission, SubmissionState
    from smmpanel.providers.services import add_provider

    charge = to_micros("0.09")
    user = create_user(f"{label}@bench.local", None)
    deposit(user, charge * count, memo="bench")
    service = create_service(
        get_or_create_category("Bench", label),
        name=f"bench {label}",
        rate_micros=900_000,
        min_quantity=10,
        max_quantity=10_000,
        link_format="website",
    )
    provider = add_provider(f"sim-{label}", api_url, "bench-key", allow_private=True)
    route = ServiceRoute.objects.create(
        service=service, provider=provider, provider_service_id="1", cost_micros=500_000
    )
    now = timezone.now()
    with transaction.atomic():
        orders = Order.objects.bulk_create(
            (
                Order(
                    user=user,
                    service=service,
                    link=f"https://x.com/b/{label}{n}",
                    canonical_link=f"https://x.com/b/{label}{n}",
                    link_key=f"{label}{n}",
                    quantity=100,
                    charge_micros=charge,
                    currency="USD",
                    status=OrderStatus.IN_PROGRESS,
                    remains=100,
                    source="api",
                )
                for n in range(count)
            ),
            batch_size=5000,
        )
        LedgerEntry.objects.bulk_create(
            (
                LedgerEntry(
                    user=user,
                    kind="charge",
                    amount_micros=-charge,
                    order=order,
                    balance_after_micros=charge * (count - n - 1),
                    memo="bench",
                )
                for n, order in enumerate(orders)
            ),
            batch_size=5000,
        )
        Wallet.objects.filter(user=user).update(balance_micros=0)
        Submission.objects.bulk_create(
            (
                Submission(
                    order=order,
                    quantity=100,
                    state=SubmissionState.ACTIVE,
                    route=route,
                    provider=provider,
                    provider_order_id=str(first_remote + n),
                    next_attempt_at=now,
                    sent_at=now,
                    next_sync_at=now,
                )
                for n, order in enumerate(orders)
            ),
            batch_size=5000,
        )
    return provider


if __name__ == "__main__":
    main()
