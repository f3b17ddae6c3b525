"""Server time of the customer's main pages for an account with 100,000 orders.

Renders each page through Django's full request stack in this process (middleware,
session, templates, database) with a signed-in customer who has N orders (default
100,000) and as many ledger entries, and prints the median and 95th percentile per
page beside the trivial endpoint measured in the same run.

    .venv/bin/python bench/web_pages.py [--orders 100000] [--database-url postgres://…]
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

PAGES = [
    ("trivial /health", "/health"),
    ("home", "/"),
    ("orders", "/orders/"),
    ("orders: completed", "/orders/?status=completed"),
    ("orders: older page", "/orders/?before={mid}"),
    ("orders: search id", "/orders/?q={mid}"),
    ("new order", "/orders/new/"),
    ("refills", "/refills/"),
    ("add funds", "/funds/"),
    ("transactions", "/funds/history/"),
    ("tickets", "/tickets/"),
    ("services", "/services/"),
    ("updates", "/updates/"),
    ("api keys", "/api-keys/"),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="bench-web-"))
    os.environ["DATA_DIR"] = str(data_dir)
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{data_dir / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smmpanel.settings")
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    user, mid = seed_orders(args.orders)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    engine = "PostgreSQL" if "postgres" in os.environ["DATABASE_URL"] else "SQLite"
    print(
        f"web pages: one customer with {args.orders:,} orders, {engine}, "
        f"{args.repeat} renders each (after one warm-up)"
    )
    print(f"{'page':<22}{'median ms':>10}{'p95 ms':>10}{'x trivial':>11}")
    baseline = None
    for label, path in PAGES:
        url = path.format(mid=mid)
        assert client.get(url).status_code == 200, url
        times = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        median = statistics.median(times)
        p95 = sorted(times)[int(len(times) * 0.95) - 1]
        baseline = baseline or median
        print(f"{label:<22}{median:>10.1f}{p95:>10.1f}{median / baseline:>11.1f}")


def seed_orders(count: int):
    from django.db import transaction

    from smmpanel.accounts.services import create_user
    from smmpanel.billing.models import LedgerEntry
    from smmpanel.billing.services import deposit
    from smmpanel.catalog.models import Service
    from smmpanel.money import to_micros
    from smmpanel.orders.models import Order, OrderStatus

    user = create_user("heavy@bench.local", None)
    charge = to_micros("0.09")
    deposit(user, to_micros("50.00"), memo="bench")
    services = list(Service.objects.all()[:5])
    statuses = [OrderStatus.COMPLETED] * 7 + [
        OrderStatus.PARTIAL,
        OrderStatus.CANCELED,
        OrderStatus.IN_PROGRESS,
    ]
    with transaction.atomic():
        orders = Order.objects.bulk_create(
            (
                Order(
                    user=user,
                    service=services[n % len(services)],
                    link=f"https://www.instagram.com/p/Bench{n}/",
                    canonical_link=f"https://instagram.com/p/Bench{n}",
                    link_key=f"bench{n}",
                    quantity=100,
                    charge_micros=charge,
                    currency="USD",
                    status=statuses[n % len(statuses)],
                    remains=0,
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
                    balance_after_micros=0,
                    memo="bench",
                )
                for order in orders
            ),
            batch_size=5000,
        )
    return user, orders[len(orders) // 2].pk


if __name__ == "__main__":
    main()
