"""``fill()``: the order of the steps, and why the fill is fast.

Speed: outgoing foreign keys, unique constraints and secondary indexes of the filled
tables are dropped, the rows inserted, then the indexes rebuilt (sorted bulk builds, two
at a time) and the constraints added back (one validating join each): on 1M orders that
took 41 s against 126 s with everything in place (``--keep-indexes``; there the deferred
foreign-key checks alone, one trigger per row, took ~40 s). Orders are written in chunks
by two connections; then one connection writes the money (ledger, wallets, deposits)
while the other writes the rest. Tables are ANALYZEd before the rebuild (the validating
joins get real plans) and VACUUMed at the end (visibility map, hint bits: index-only
scans work and the first benchmark reads do not write). Rows are inserted in time order
(orders, ledger) so each user's rows are interleaved as in production: per-user reads
are not flattered by a heap clustered by user. Each connection uses ``work_mem`` and
``maintenance_work_mem`` of 1GB (a few GB of RAM at peak). A full fill is ~11 GB.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from . import history, money, sources
from .lanes import Steps, run_lanes, session_cursor, split, statements_lane
from .links import check_link_shapes, check_sample_links
from .orders import chunk_starts, write_chunks
from .params import parameters
from .sql import detach, first_id_since, max_id, require_columns, run, sync_sequence, table
from .users import already_filled, bench_accounts, insert_reseller_keys, insert_users

LOCK_KEY = 0x5CA1E  # advisory lock: two fills of one database refuse each other


class AlreadyFilled(Exception):
    """The database holds generated data already (or another fill is running)."""


@dataclass
class FillResult:
    big_user_id: int
    big_user_key: str  # API key plaintext (shown once, like the product does)
    typical_user_id: int  # the account of median rank (~140 orders in a full fill)
    typical_user_key: str
    provider_id: int
    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class _Job:
    """One fill under way: what was asked, its step log and the shared SQL parameters."""

    orders: int
    users: int
    big_user_orders: int
    chunk: int
    seed: float
    history_submissions: bool
    steps: Steps
    now: datetime
    params: dict[str, object] = field(default_factory=dict)
    provider_id: int = 0
    written: bool = False  # generated rows are committed: a failure leaves them
    restore: list[str] = field(default_factory=list)  # detached indexes and constraints

    @property
    def log(self) -> Callable[[str], None]:
        return self.steps.log


def fill(
    orders: int = 10_000_000,
    users: int = 50_000,
    big_user_orders: int = 100_000,
    *,
    chunk: int = 500_000,
    keep_indexes: bool = False,
    history_submissions: bool = True,
    vacuum: bool = True,
    seed: float = 0.42,
    log: Callable[[str], None] = print,
) -> FillResult:
    """Fill the configured (migrated, demo-seeded) PostgreSQL database; see the notes of
    ``bench/scale_data.py`` and of this package's modules. ``orders`` counts all
    generated orders, the big user's included; ``history_submissions=False`` writes
    submissions for unfinished orders only (a faster fill for benchmarks that never open
    refills of old orders).

    Call it outside any transaction: it commits step by step, on two connections at
    once. Once the users are written a second fill refuses; if a fill fails after that,
    the database is partly filled: drop it and fill a fresh one.
    """
    from django.utils import timezone

    _check_call(orders, users, big_user_orders, chunk)
    job = _Job(
        orders, users, big_user_orders, chunk, seed, history_submissions, Steps(log), timezone.now()
    )
    with _advisory_lock():
        _plan(job)
        with _partial_fill_notice(job):
            _write_users(job, detach_indexes=not keep_indexes)
            _write_orders(job)
            _analyze_orders(job)
            _write_money_and_history(job)
            accounts = bench_accounts(job.users + 1)
            _analyze(job)
            _rebuild(job)
            _check(job)
            if vacuum:
                _vacuum(job)
    log(f"fill done in {time.perf_counter() - job.steps.started:.1f} s")
    return FillResult(
        **accounts, provider_id=job.provider_id, counts=_counts(job), seconds=job.steps.seconds
    )


def _filled_models() -> list:
    """The models whose tables the fill writes (and detaches, analyzes, vacuums)."""
    from smmpanel.accounts.models import ApiKey, User
    from smmpanel.audit.models import Decision
    from smmpanel.billing.models import DepositRequest, LedgerEntry, Wallet
    from smmpanel.orders.models import Order, OrderEvent, Refill
    from smmpanel.providers.models import RefillSubmission, Submission

    return [
        User,
        Wallet,
        ApiKey,
        Order,
        LedgerEntry,
        DepositRequest,
        Submission,
        OrderEvent,
        Decision,
        Refill,
        RefillSubmission,
    ]


def _tables() -> list[str]:
    return [m._meta.db_table for m in _filled_models()]


def _quoted_tables() -> list[str]:
    from django.db import connection

    return [connection.ops.quote_name(t) for t in _tables()]


def _check_call(orders: int, users: int, big_user_orders: int, chunk: int) -> None:
    """A PostgreSQL database, outside a transaction, sizes that make sense, link shapes
    the product agrees with and the columns the SQL reads back."""
    from django.db import connection

    if connection.vendor != "postgresql":
        raise RuntimeError(f"the fill is for PostgreSQL; this database is {connection.vendor}")
    if connection.in_atomic_block:
        raise RuntimeError("call fill() outside a transaction: it commits step by step")
    if users < 2 or big_user_orders < 0 or orders < big_user_orders or chunk < 1:
        raise ValueError("need users >= 2 and 0 <= big_user_orders <= orders")
    check_link_shapes()
    require_columns()


@contextmanager
def _advisory_lock() -> Iterator[None]:
    """Hold the fill's advisory lock (``AlreadyFilled`` while another fill holds it)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
        if not cur.fetchone()[0]:
            raise AlreadyFilled("another fill is running on this database")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


@contextmanager
def _partial_fill_notice(job: _Job) -> Iterator[None]:
    """Say so when the fill fails after it wrote rows."""
    try:
        yield
    except BaseException:
        if job.written:
            job.log("FILL FAILED: the database is partly filled; drop it and fill a fresh one")
        raise


def _plan(job: _Job) -> None:
    """Refuse a filled database; pick the services, staff user and provider; name the
    parameters of the statements."""
    from django.db import connection

    from smmpanel.accounts.models import User
    from smmpanel.orders.models import Order

    if already_filled():
        raise AlreadyFilled(
            "this database was filled already, or a fill of it failed (users "
            "@scale.example exist); fill a fresh one (migrate + seed-demo) instead"
        )
    services = sources.services()
    staff = sources.staff_user()
    provider = sources.provider()
    job.log(
        f"fill: {job.orders:,} orders over {job.users:,} users + the big one "
        f"({job.big_user_orders:,} orders); {len(services)} services; "
        f"provider #{provider.pk} {provider.name!r}"
    )
    with connection.cursor() as cur:
        u0 = max_id(cur, User) + 1
        o0 = max_id(cur, Order) + 1
    job.provider_id = provider.pk
    job.params = parameters(
        now=job.now,
        orders=job.orders,
        users=job.users,
        big_user_orders=job.big_user_orders,
        services=services,
        staff=staff,
        provider=provider,
        u0=u0,
        o0=o0,
    )


def _write_users(job: _Job, *, detach_indexes: bool) -> None:
    """1. The users: once they are committed, a second fill refuses. Then (unless the
    indexes are kept) detach the indexes and constraints of the filled tables."""
    with session_cursor(job.seed) as cur:
        job.steps.run("users", lambda: insert_users(cur, dict(job.params)))
        job.written = True
        if detach_indexes:
            job.steps.run(
                "drop indexes + constraints", lambda: job.restore.extend(detach(cur, _tables()))
            )


def _write_orders(job: _Job) -> None:
    """2. The orders, in chunks, on two connections."""

    def lane(starts: list[int]) -> None:
        with session_cursor() as cur:
            write_chunks(
                cur,
                job.steps,
                job.params,
                starts,
                orders=job.orders,
                chunk=job.chunk,
                seed=job.seed,
            )

    starts = chunk_starts(job.orders, job.chunk)
    run_lanes(*(partial(lane, part) for part in split(starts)))


def _analyze_orders(job: _Job) -> None:
    """Analyze the orders (the next steps read them) and note where the ledger, the
    refills and the orders of the events window start."""
    from django.db import connection

    from smmpanel.billing.models import LedgerEntry
    from smmpanel.orders.models import Order, Refill

    p = job.params
    since = job.now - timedelta(days=history.EVENTS_WINDOW_DAYS)
    with connection.cursor() as cur:
        job.steps.run("analyze orders", lambda: run(cur, f"ANALYZE {table(Order)}"))
        p["l0"] = max_id(cur, LedgerEntry) + 1
        p["r0"] = max_id(cur, Refill) + 1
        p["recent"] = first_id_since(cur, Order, p["o0"], since)


def _write_money_and_history(job: _Job) -> None:
    """3. Two lanes at once: the money, and everything else."""
    run_lanes(partial(_money_lane, job), partial(_work_lane, job))


def _lane(job: _Job, seed: float, inserts: Sequence[tuple[str, Callable]]) -> None:
    """Run ``inserts`` (step name, ``insert(cur, params)``) in turn on a connection of
    this lane's own, seeded with ``seed``."""
    lp = dict(job.params)
    with session_cursor(seed) as cur:
        for name, insert in inserts:
            job.steps.run(name, partial(insert, cur, lp))


def _money_lane(job: _Job) -> None:
    """3a. The money: ledger, wallets, deposit requests."""
    _lane(
        job,
        job.seed / 2,
        [
            ("ledger (deposits, charges, refunds)", money.insert_ledger),
            ("wallets (balance = ledger sum)", money.insert_wallets),
            ("deposit requests", money.insert_deposit_requests),
        ],
    )


def _work_lane(job: _Job) -> None:
    """3b. Beside the money, everything else: provider work, history, reseller keys."""
    submissions = partial(history.insert_submissions, history=job.history_submissions)
    _lane(
        job,
        job.seed / 3,
        [
            ("submissions (outbox)", submissions),
            ("order events (last 7 days)", history.insert_events),
            ("policy decisions (refused orders)", history.insert_decisions),
            ("refills", history.insert_refills),
            ("refill submissions", history.insert_refill_submissions),
            ("api keys (resellers)", insert_reseller_keys),
        ],
    )


def _analyze(job: _Job) -> None:
    """Analyze the filled tables, so the validating joins of the rebuild get real plans."""
    from django.db import connection

    tables = ", ".join(_quoted_tables())
    with connection.cursor() as cur:
        job.steps.run("analyze", lambda: run(cur, f"ANALYZE {tables}"))


def _rebuild(job: _Job) -> None:
    """4. The indexes back (two at a time, biggest tables first), then the constraints."""
    if not job.restore:
        return
    from smmpanel.billing.models import LedgerEntry
    from smmpanel.orders.models import Order
    from smmpanel.providers.models import Submission

    heavy = [Order._meta.db_table, LedgerEntry._meta.db_table, Submission._meta.db_table]

    def biggest_first(statement: str) -> int:
        return next(
            (n for n, t in enumerate(heavy) if f"{t} " in statement or f'"{t}"' in statement),
            len(heavy),
        )

    with job.steps.timed("rebuild indexes + constraints"):
        builds = sorted((s for s in job.restore if " FOREIGN KEY " not in s), key=biggest_first)
        run_lanes(*(statements_lane(part, job.log) for part in split(builds)))
        keys = [s for s in job.restore if " FOREIGN KEY " in s]
        run_lanes(*(statements_lane(part, job.log) for part in split(keys)))


def _check(job: _Job) -> None:
    """Move the sequences past the generated ids; check the links of a sample of orders."""
    from django.db import connection

    with connection.cursor() as cur:
        for model in _filled_models():
            sync_sequence(cur, model)
        job.steps.run("check sample links", lambda: check_sample_links(cur, job.params["o0"]))


def _vacuum(job: _Job) -> None:
    """VACUUM the filled tables, two at a time (visibility map, hint bits)."""
    with job.steps.timed("vacuum"):
        parts = split(_quoted_tables())
        run_lanes(*(statements_lane([f"VACUUM {t}" for t in part], job.log) for part in parts))


def _counts(job: _Job) -> dict[str, int]:
    """The rows each step wrote, the orders' chunks summed."""
    counts = job.steps.counts
    return {
        "users": counts.get("users", 0),
        "orders": sum(v for k, v in counts.items() if k.startswith("orders ")),
        "big_user_orders": job.big_user_orders,
        **{k: v for k, v in counts.items() if not k.startswith(("orders ", "users", "check "))},
    }
