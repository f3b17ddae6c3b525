"""Data at scale: fill a migrated PostgreSQL database with 10 million orders in minutes.

The command line of ``bench/scale_data.py`` (the first paragraph above is its
description): configure Django for the given scratch database, optionally migrate and
seed the demo catalog, fill, print the accounts and counts, optionally audit the ledger.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from .fill import AlreadyFilled, fill
from .users import BIG_EMAIL, typical_email

SRC = Path(__file__).resolve().parents[2] / "src"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="a scratch PostgreSQL database (default: $DATABASE_URL)",
    )
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=50_000)
    parser.add_argument("--big-user-orders", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=500_000, help="orders per statement")
    parser.add_argument("--prepare", action="store_true", help="migrate and seed-demo first")
    parser.add_argument(
        "--keep-indexes",
        action="store_true",
        help="insert with indexes and foreign keys in place (slower)",
    )
    parser.add_argument("--no-vacuum", action="store_true", help="skip the VACUUM after commit")
    parser.add_argument(
        "--no-history-submissions",
        action="store_true",
        help="submissions for unfinished orders only (faster)",
    )
    parser.add_argument("--audit", action="store_true", help="run the ledger audit after")
    parser.add_argument("--seed", type=float, default=0.42, help="random seed (-1..1)")
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("pass --database-url postgres://… (or set DATABASE_URL): a scratch database")
    setup_django(args.database_url)
    if args.prepare:
        _prepare()
    try:
        result = fill(
            args.orders,
            args.users,
            args.big_user_orders,
            chunk=args.chunk,
            keep_indexes=args.keep_indexes,
            history_submissions=not args.no_history_submissions,
            vacuum=not args.no_vacuum,
            seed=args.seed,
        )
    except (AlreadyFilled, ValueError) as exc:
        sys.exit(f"refused: {exc}")
    print(f"big user #{result.big_user_id} ({BIG_EMAIL}), API key {result.big_user_key}")
    print(
        f"typical user #{result.typical_user_id} ({typical_email(args.users + 1)}), "
        f"API key {result.typical_user_key}"
    )
    for name, count in result.counts.items():
        print(f"  {name:<36}{count:>12,}")
    if args.audit:
        _audit()


def setup_django(database_url: str, data_prefix: str = "smm-scale-") -> None:
    """Configure Django (the product's settings) for ``database_url``; ``DATA_DIR``,
    unless set, is a new temporary directory named ``data_prefix…``."""
    os.environ["DATABASE_URL"] = database_url
    if "DATA_DIR" not in os.environ:  # settings make it; keep it out of the repo
        os.environ["DATA_DIR"] = tempfile.mkdtemp(prefix=data_prefix)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smmpanel.settings")
    sys.path.insert(0, str(SRC))
    import django

    django.setup()


def _prepare() -> None:
    """``migrate`` and ``seed_demo``, quietly."""
    from django.core.management import call_command

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(f"migrate + seed-demo: {time.perf_counter() - t0:.1f} s")


def _audit() -> None:
    """The ledger audit (``smmpanel audit-ledger``); exit 1 on a mismatch."""
    from smmpanel.billing.selectors import ledger_mismatches

    t0 = time.perf_counter()
    bad = ledger_mismatches()
    print(f"ledger audit: {len(bad)} mismatches ({time.perf_counter() - t0:.1f} s)")
    if bad:
        sys.exit(1)
