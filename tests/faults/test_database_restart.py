"""Database restart in the middle of a run: requests fail cleanly and recover after.

Real parts: a throwaway PostgreSQL 15 cluster of this test's own (Debian's ``initdb`` and
``pg_ctl``, see ``throwaway_postgres.py``; never the suite's database, since it gets
crashed), migrated and seeded by a separate Django process; gunicorn (two sync workers)
serving API v2 and a real ``smmpanel worker`` process, both on that cluster with the
production settings (persistent connections, ``CONN_HEALTH_CHECKS``); the provider
simulator in-process. Everything listens on loopback.

Two client threads call ``add`` (distinct links), ``balance`` and ``status`` in a loop.
Mid-run PostgreSQL is stopped with ``pg_ctl stop -m immediate`` (every backend killed,
like a crash), left down for a few seconds, and started again; gunicorn and the worker
are never restarted. While the database is down every answer must still be HTTP 200
JSON with a short ``error`` (no HTML, no traceback, no connection details), and once
it is back (the moment its log says it accepts connections again) requests must succeed
again within RECOVERY_SECONDS, on the same gunicorn workers, and the worker must forward
and settle orders again.

The logs, read back from the files the processes wrote: gunicorn's holds one warning
record per "temporarily unavailable" answer, without a traceback, and nothing else; the
worker's holds no error, and warnings without a traceback (a sweep pass or a task that
met the database away) only while the database was away or coming back; and no log
(gunicorn's, the worker's, PostgreSQL's) holds the API key, the provider's key or the
reseller's password.

Afterwards, read from the cluster: every order the client got an id for exists once,
is charged once and has ended; a request answered with an error left no order and moved
no money; no wallet is negative and the ledger audit is clean; nothing went upstream
twice, and every order placed after the restart was forwarded and ended upstream. The
exceptions are physics, not bugs: an ``add`` in flight at the instant of the crash may
have committed before its answer was lost, so its order may exist (it must then be whole
too); a run the worker was sending at that instant may end Fail (sent-or-not unknown,
left for staff), at most one per worker thread.

The last test pins the product fix this run found: a claim whose send the database
failure prevented must roll back, not be left "sending" (see ``forward_submission``).

The suite's own database is not used at all, so the test runs the same on either suite
run; it runs on the SQLite run (``make test`` always does that one) and is skipped on
the PostgreSQL run, where it would only repeat itself.
"""

import contextlib
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from django.db import OperationalError, connection

from smmpanel.api.views import DATABASE_UNAVAILABLE
from smmpanel.fulfilment import forwarding
from smmpanel.money import share_of
from smmpanel.orders.models import OrderStatus
from smmpanel.providers.models import Submission, SubmissionState
from smmpanel.providers.simulator.server import serve
from tests.factories import make_order, make_service, make_user
from tests.faults.process_logs import Record, assert_no_secret_in, new_secret, records
from tests.faults.test_web_crash import Web, kill_group, upstream_orders_for, wait_for
from tests.faults.throwaway_postgres import PG_BIN, ThrowawayPostgres
from tests.providers.worker_process import start_worker, stop_worker, worker_env

REPO = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"
NO_KEEPALIVE = httpx.Limits(max_keepalive_connections=0)
CLIENTS = 2
WARM_SECONDS = 4  # traffic on a healthy database before the crash
DOWN_SECONDS = 4  # how long PostgreSQL stays down
# README: requests succeed again "within half a second" of PostgreSQL coming back
# (measured ~0.2 s); this much for a slow, loaded CI machine. Counted from the instant
# its log says it accepts connections again, not from when pg_ctl noticed.
RECOVERY_SECONDS = 5
AFTER_SECONDS = 4  # traffic after the recovery
# Log stamps are cut to the millisecond and the clocks may drift apart by a few ms in a
# test's time: a log time compared with a call's may be off by this much.
SKEW = 0.05
SETTLE_SECONDS = 40  # then every order must have ended within this
OPEN = {OrderStatus.PENDING, OrderStatus.IN_PROGRESS, OrderStatus.PROCESSING}
FORWARDED = {OrderStatus.COMPLETED, OrderStatus.PARTIAL, OrderStatus.CANCELED}
ENDED = FORWARDED | {OrderStatus.FAIL}
IN_FLIGHT = {SubmissionState.QUEUED, SubmissionState.SENDING}

# The run with a crash never touches the suite's database: on the PostgreSQL run it would
# only repeat the SQLite run's test. (The unit test at the end runs on both.)
own_cluster_only_once = pytest.mark.skipif(
    connection.vendor == "postgresql",
    reason="starts and crashes its own PostgreSQL cluster and never uses the suite's "
    "database, so the PostgreSQL run would repeat the SQLite run's test exactly",
)


def require_postgres_binaries() -> None:
    if (PG_BIN / "pg_ctl").exists() and (PG_BIN / "initdb").exists():
        return
    reason = (
        f"Debian's PostgreSQL server binaries are not installed ({PG_BIN}/pg_ctl): the "
        "test needs a cluster of its own to crash (apt-get install postgresql)"
    )
    # .ci/run installs postgresql and exports REQUIRE_BROWSER=1 (its "nothing may skip").
    if os.environ.get("REQUIRE_BROWSER") == "1" or os.environ.get("CI") == "true":
        pytest.fail(reason + "; CI must have them, so this fails instead of skipping")
    pytest.skip(reason + "; CI installs them and fails instead of skipping")


@dataclass
class Call:
    """One API request as the client saw it (times are ``time.monotonic()``)."""

    action: str
    link: str | None
    sent: float
    received: float
    outcome: str  # ok | error (JSON error) | broken (not HTTP 200 JSON) | failed (no answer)
    answer: object

    def in_flight_during(self, start: float, end: float) -> bool:
        return self.sent <= end and self.received >= start


def classify(response: httpx.Response) -> tuple[str, object]:
    if response.status_code != 200 or response.headers.get("content-type") != "application/json":
        return "broken", f"HTTP {response.status_code} {response.text[:300]!r}"
    try:
        answer = response.json()
    except ValueError:
        return "broken", response.text[:300]
    if isinstance(answer, dict) and "error" in answer:
        return "error", answer
    return "ok", answer


def clean_error(answer: object) -> bool:
    """A message a client can show: short text, no page, no traceback, no internals."""
    message = answer.get("error") if isinstance(answer, dict) else None
    leaks = ("<", "Traceback", "OperationalError", "psycopg", "connection", "server", LOOPBACK)
    return (
        isinstance(message, str)
        and 0 < len(message) <= 120
        and not any(leak.lower() in message.lower() for leak in leaks)
    )


DATABASE_ERROR = {"error": DATABASE_UNAVAILABLE}


def unavailable_warning(record: Record) -> bool:
    """The API's one log record for a request it answered with DATABASE_UNAVAILABLE."""
    return (record.level, record.logger) == ("WARNING", "smmpanel.api.views") and (
        record.text.startswith("api v2 request failed, database unavailable: ")
    )


def worker_outage_line(record: Record) -> bool:
    """The worker's one warning for a sweep pass or a task that met the database away."""
    return (
        record.level == "WARNING"
        and "database unavailable: " in record.text
        and "Traceback" not in record.text
    )


def run_script(env: dict[str, str], *args: str) -> dict:
    """Run ``throwaway_postgres.py``'s script in a Django process on the cluster."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.faults.throwaway_postgres", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def cluster():
    require_postgres_binaries()
    pg = ThrowawayPostgres()
    try:
        pg.create()
        yield pg
    finally:
        pg.destroy()


@pytest.fixture
def provider_key() -> str:
    return new_secret("prov")


@pytest.fixture
def simulator(provider_key):
    handle = serve(
        key=provider_key,
        seed=7,
        start_delay=0.2,
        speed=1000,
        partial_rate=0.2,
        cancel_rate=0.1,
        banner=False,
    )
    yield handle
    handle.shutdown()


@own_cluster_only_once
def test_database_crash_mid_run_answers_clean_errors_then_recovers_without_restarts(
    cluster, simulator, provider_key, tmp_path
):
    seed = int(os.environ.get("FAULTS_SEED", random.randrange(1 << 30)))
    print(f"FAULTS_SEED={seed}")
    rng = random.Random(seed)
    # One environment for every panel process: the cluster, a private DATA_DIR (Huey's
    # SQLite queue lives there, shared by gunicorn and the worker, by no other test),
    # no Redis, and the production defaults for connections (persistent, health-checked).
    panel = dict(
        DATABASE_URL=cluster.url,
        DATA_DIR=str(tmp_path / "data"),
        REDIS_URL="",
        HUEY_IMMEDIATE="false",
        CONN_MAX_AGE="60",
        ALLOWED_HOSTS=LOOPBACK,
        DEBUG="false",
        LOG_LEVEL="WARNING",
        DJANGO_SETTINGS_MODULE="smmpanel.settings",
        PROVIDER_CONNECT_TIMEOUT="2",
        WORKER_THREADS="2",
        # A claim older than this counts as a crash mid-send; the simulator answers in ms.
        STALE_CLAIM_SECONDS="5",
    )
    env = worker_env(**panel)
    password = new_secret("pw")
    seeded = run_script(env, "seed", simulator.url, provider_key, password)
    key, service = seeded["key"], seeded["service"]

    web = Web(tmp_path / "gunicorn.log", env)
    worker_log = tmp_path / "worker.log"
    worker: subprocess.Popen | None = None
    calls: list[Call] = []
    accepted: dict[int, str] = {}  # order id -> link, for every id the client was given
    lock = threading.Lock()  # around ``accepted``: both client threads add and sample
    stop = threading.Event()
    marks: dict[str, float] = {}

    def client(n: int) -> None:
        with httpx.Client(timeout=10, limits=NO_KEEPALIVE) as http:
            for i in range(100_000):  # bounded; ``stop`` ends it long before
                if stop.is_set():
                    return
                action = ("add", "add", "balance", "status")[i % 4]
                data: dict[str, object] = {"key": key, "action": action}
                link = None
                if action == "add":
                    link = f"https://instagram.com/p/Db{seed}t{n}x{i}"
                    data |= {"service": service, "link": link, "quantity": 100 + i % 50}
                elif action == "status" and accepted:
                    with lock:
                        ids = rng.sample(sorted(accepted), min(5, len(accepted)))
                    data["orders"] = ",".join(map(str, ids))
                else:
                    data["action"] = action = "balance"
                sent = time.monotonic()
                try:
                    outcome, answer = classify(http.post(f"{web.url}/api/v2", data=data))
                except httpx.HTTPError as exc:
                    outcome, answer = "failed", repr(exc)
                call = Call(action, link, sent, time.monotonic(), outcome, answer)
                calls.append(call)
                if action == "add" and outcome == "ok":
                    with lock:
                        accepted[int(answer["order"])] = link
                time.sleep(0.02)

    def report() -> dict:
        return run_script(env, "report")

    def settled() -> bool:
        facts = report()
        return not any(o["status"] in OPEN for o in facts["orders"]) and not any(
            s["state"] in IN_FLIGHT for s in facts["submissions"]
        )

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
    try:
        web.start()
        worker = start_worker(worker_log, **panel)
        assert wait_for(lambda: len(web.workers()) == 2, 15), web.workers()
        gunicorn_workers = sorted(web.workers())
        for thread in threads:
            thread.start()
        assert wait_for(lambda: len(accepted) >= 5, 20), calls[-5:]
        time.sleep(WARM_SECONDS)

        marks["crash"] = time.monotonic()
        cluster.crash()
        marks["down"] = time.monotonic()
        time.sleep(DOWN_SECONDS)
        marks["restart"] = time.monotonic()
        cluster.start()
        marks["up"] = time.monotonic()
        # The logs' clock (time.time()) less the calls' (time.monotonic()), read once in
        # the middle of it all, and when PostgreSQL began accepting connections (its log
        # says) on the calls' clock: before pg_ctl, which polls, noticed and returned.
        wall = time.time() - time.monotonic()
        marks["ready"] = cluster.ready_at() - wall

        def succeeded_since_restart() -> list[Call]:
            return [c for c in list(calls) if c.outcome == "ok" and c.sent >= marks["restart"]]

        assert wait_for(succeeded_since_restart, RECOVERY_SECONDS), (
            f"no request succeeded within {RECOVERY_SECONDS} s of PostgreSQL's restart",
            [c.answer for c in calls[-5:]],
            web.log_path.read_text()[-3000:],
        )
        marks["recovered"] = min(c.received for c in succeeded_since_restart())
        time.sleep(AFTER_SECONDS)
        stop.set()
        for thread in threads:
            thread.join(15)
        assert not any(t.is_alive() for t in threads), "a client thread hung"
        # Nothing was restarted: the same gunicorn master and workers, the same worker.
        assert web.process.poll() is None, web.log_path.read_text()[-3000:]
        assert sorted(web.workers()) == gunicorn_workers, web.log_path.read_text()[-3000:]
        assert worker.poll() is None, worker_log.read_text()[-3000:]
        assert wait_for(settled, SETTLE_SECONDS), (
            report()["orders"][-10:],
            worker_log.read_text()[-3000:],
        )
        assert worker.poll() is None, worker_log.read_text()[-3000:]
    finally:
        stop.set()
        kill_group(web.process)
        if worker is not None:
            with contextlib.suppress(ProcessLookupError):
                stop_worker(worker)
    facts = report()
    elapsed = time.monotonic() - started
    # Every panel process is gone and its log complete; PostgreSQL's log too is written.
    assert_no_secret_in(
        [web.log_path, worker_log, cluster.log],
        {
            "API key": key,
            "API key's body": key.removeprefix("smmk_"),
            "provider key": provider_key,
            "password": password,
        },
    )

    crash, down, restart, ready = marks["crash"], marks["down"], marks["restart"], marks["ready"]
    up = marks["up"]
    recovery = marks["recovered"] - ready
    outcomes = Counter(c.outcome for c in calls)
    orders = {o["id"]: o for o in facts["orders"]}
    print(
        f"{len(calls)} calls {dict(outcomes)}; accepted {len(accepted)}; down "
        f"{restart - down:.1f} s, accepting connections {ready - restart:.2f} s after "
        f"pg_ctl start (which returned {up - ready:.2f} s later); first success "
        f"{recovery:.2f} s after that; orders {Counter(o['status'] for o in orders.values())}; "
        f"{elapsed:.1f} s"
    )
    # Requests succeed again within RECOVERY_SECONDS of the database accepting them (the
    # log line read is this restart's: between pg_ctl's start and its return).
    assert restart - SKEW <= ready <= up + SKEW, (restart, ready, up)
    assert recovery <= RECOVERY_SECONDS, recovery

    # The web process answered every request, always as HTTP 200 JSON.
    assert outcomes["failed"] == 0, [c.answer for c in calls if c.outcome == "failed"][:5]
    assert outcomes["broken"] == 0, [c.answer for c in calls if c.outcome == "broken"][:5]
    # Before the crash nothing failed.
    before = [c for c in calls if c.received < crash]
    assert before and all(c.outcome == "ok" for c in before), [
        c.answer for c in before if c.outcome != "ok"
    ][:5]
    # While the database was down every answer was a clean error, and there were many.
    while_down = [c for c in calls if c.sent >= down and c.received <= restart]
    assert len(while_down) >= 10, len(while_down)
    assert all(c.outcome == "error" for c in while_down), [
        c.answer for c in while_down if c.outcome != "error"
    ][:5]
    messages = Counter(c.answer.get("error") for c in calls if c.outcome == "error")
    assert all(clean_error({"error": m}) for m in messages), messages
    assert {c.answer["error"] for c in while_down} == {DATABASE_UNAVAILABLE}

    # gunicorn's log: one warning record per "temporarily unavailable" answer, naming the
    # database's error in psycopg's words (one to three lines, no traceback), and
    # nothing else: no step of a request logs the database's error on its own.
    web_text = web.log_path.read_text()
    web_log = records(web.log_path)
    assert sum(r.lines for r in web_log) == len(web_text.splitlines()), web_text[:3000]
    warnings = [r for r in web_log if unavailable_warning(r)]
    unavailable = [c for c in calls if c.outcome == "error" and c.answer == DATABASE_ERROR]
    assert len(warnings) == len(unavailable), (len(warnings), len(unavailable))
    assert not any("Traceback" in r.text for r in warnings)
    extra = [r for r in web_log if not unavailable_warning(r)]
    assert not extra, [r.text[:300] for r in extra]
    # The worker's log: no error, and the panel's warnings (a sweep pass or a task
    # that met the database away, one line each and no traceback) only while the
    # database was away or coming back: none once it had accepted connections for
    # RECOVERY_SECONDS. (Huey's own warnings, such as a periodic sweep skipped while
    # the last one holds its lock, are routine.)
    worker_records = records(worker_log)
    errors = [r.text[:300] for r in worker_records if r.level in ("ERROR", "CRITICAL")]
    assert not errors, errors[:2]
    worker_errors = [
        r for r in worker_records if r.level == "WARNING" and r.logger.startswith("smmpanel")
    ]
    assert any(worker_outage_line(r) for r in worker_errors), "the worker did not log it"
    tracebacks = [r.text[:300] for r in worker_errors if "Traceback" in r.text]
    assert not tracebacks, tracebacks[:2]
    outside = [
        (r.at - wall - ready, r.text[:200])
        for r in worker_errors
        if not crash - SKEW <= r.at - wall <= ready + RECOVERY_SECONDS
    ]
    assert not outside, outside[:2]
    print(
        f"gunicorn log: {len(warnings)} warnings by lines each "
        f"{dict(Counter(r.lines for r in warnings))}, others "
        f"{[(r.level, r.logger, r.lines) for r in extra]}; worker log: errors "
        f"{dict(Counter((r.logger, r.text.splitlines()[0][:27]) for r in worker_errors))}, "
        f"{sum(r.lines for r in worker_errors)} lines, the last "
        f"{max(r.at for r in worker_errors) - wall - ready:+.2f} s from the restart"
    )
    # Once one request succeeded after the restart, all later ones did too (both workers'
    # dead persistent connections were replaced, none was left broken).
    after = [c for c in calls if c.sent >= marks["recovered"]]
    assert sum(c.action == "add" for c in after) >= 5, len(after)
    assert all(c.outcome == "ok" for c in after), [c.answer for c in after if c.outcome != "ok"][:5]
    # Every successful answer is whole: status knows every acknowledged id it was
    # asked about, the balance is never negative.
    for c in calls:
        if c.outcome != "ok":
            continue
        if c.action == "status":
            assert all("status" in row for row in c.answer.values()), c.answer
        elif c.action == "balance":
            assert Decimal(c.answer["balance"]) >= 0, c.answer

    # Errored adds left no order, except those in flight during the crash (a commit may
    # have landed before its answer was lost); every order the client got an id for exists.
    failed_adds = [c for c in calls if c.action == "add" and c.outcome == "error"]
    ambiguous = {c.link for c in failed_adds if c.in_flight_during(crash, down)}
    by_link = Counter(o["link"].rstrip("/").rsplit("/", 1)[1] for o in orders.values())
    assert all(n == 1 for n in by_link.values()), [k for k, n in by_link.items() if n > 1]
    for c in failed_adds:
        if c.link not in ambiguous:
            assert c.link.rsplit("/", 1)[1] not in by_link, c
    assert set(accepted) <= set(orders)
    for pk, link in accepted.items():
        assert orders[pk]["link"].rstrip("/").endswith(link.rsplit("/", 1)[1]), (pk, link)
    unacknowledged = set(orders) - set(accepted)
    assert {orders[pk]["link"].rstrip("/").rsplit("/", 1)[1] for pk in unacknowledged} <= {
        link.rsplit("/", 1)[1] for link in ambiguous
    }, unacknowledged
    print(
        f"adds in flight during the crash, answered with an error: {len(ambiguous)}, of "
        f"which committed: {sorted(unacknowledged)}; errors: {sorted(messages)}"
    )

    # Money: one charge per order, refunds only as its end says, nothing else moved.
    ledger = facts["ledger"]
    deposits = [e for e in ledger if e["order_id"] is None]
    assert [e["kind"] for e in deposits] == ["deposit"], deposits
    assert deposits[0]["amount_micros"] == seeded["opening_micros"]
    assert {e["order_id"] for e in ledger if e["order_id"] is not None} == set(orders)
    for order in orders.values():
        assert order["status"] in ENDED, (order["id"], order["status"])
        charges = [
            e["amount_micros"]
            for e in ledger
            if e["order_id"] == order["id"] and e["kind"] == "charge"
        ]
        assert charges == [-order["charge_micros"]], (order["id"], charges)
        refunds = [
            e["amount_micros"]
            for e in ledger
            if e["order_id"] == order["id"] and e["kind"] == "refund"
        ]
        expected = {
            OrderStatus.COMPLETED: [],
            OrderStatus.CANCELED: [order["charge_micros"]],
            OrderStatus.PARTIAL: [
                share_of(order["charge_micros"], order["remains"], order["quantity"])
            ],
            OrderStatus.FAIL: [],  # sent-or-not unknown: left for staff, never auto-refunded
        }[order["status"]]
        assert refunds == expected, (order["id"], order["status"], refunds)
        assert set(e["kind"] for e in ledger if e["order_id"] == order["id"]) <= {
            "charge",
            "refund",
        }
    assert all(w["balance_micros"] >= 0 for w in facts["wallets"]), facts["wallets"]
    assert facts["mismatches"] == []
    audit = subprocess.run(
        [sys.executable, "-m", "smmpanel.cli", "audit-ledger"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert audit.returncode == 0, audit.stderr

    # Upstream: never twice; every order placed after the restart was really forwarded
    # by the same worker and ended upstream (the worker recovered, not just survived).
    # Only a send the crash caught between its claim and its recorded answer may end
    # Fail (sent-or-not unknown, for staff): at most one per worker thread.
    upstream = {pk: upstream_orders_for(simulator, o["link"]) for pk, o in orders.items()}
    assert all(n <= 1 for n in upstream.values()), upstream
    assert all(upstream[pk] == 1 for pk, o in orders.items() if o["status"] in FORWARDED)
    failed = [pk for pk, o in orders.items() if o["status"] == OrderStatus.FAIL]
    assert len(failed) <= int(panel["WORKER_THREADS"]), failed
    print(f"Fail (caught mid-send): {[(pk, upstream[pk]) for pk in failed]}")
    late = [pk for pk in accepted if any(c.link == accepted[pk] and c.sent >= up for c in calls)]
    assert late, "no order was placed after the restart"
    assert all(orders[pk]["status"] in FORWARDED for pk in late), [
        (pk, orders[pk]["status"]) for pk in late if orders[pk]["status"] not in FORWARDED
    ]


def test_a_database_error_between_claim_and_send_leaves_the_run_queued(db, monkeypatch):
    """The worker claims a run, then the database fails before the request goes out
    (what the crash above does to a worker mid-forward): the claim must roll back, so
    the sweep sends the run later, instead of staying "sending" and turning into an
    unknown submission and a Fail for staff although nothing left the panel."""
    order = make_order(make_user("100"), make_service())
    (submission,) = Submission.objects.filter(order=order)

    def database_gone(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(forwarding, "_route_after", database_gone)
    with pytest.raises(OperationalError):
        forwarding.forward_submission(submission.pk)

    submission.refresh_from_db()
    assert (submission.state, submission.attempts, submission.claimed_at) == (
        SubmissionState.QUEUED,
        0,
        None,
    )
    assert forwarding.due_submissions() == [submission.pk]
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING
