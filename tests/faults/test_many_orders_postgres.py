"""1,000 orders from 50 threads against five shared balances on PostgreSQL.

Every thread places its orders through ``orders.services.place_order`` with its own
database connection, round-robin over five users whose balances each cover a known
number of orders. The wallet row lock must serialise each user's orders: exactly the
affordable number succeed per user, no balance goes below zero, every success has one
charge, the audit-ledger is clean and no thread is left hanging.
"""

import threading
import time
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command
from django.db import connection, connections

from smmpanel.accounts.models import User
from smmpanel.billing.models import LedgerEntry
from smmpanel.billing.selectors import balance_of, ledger_mismatches
from smmpanel.catalog.models import Service
from smmpanel.money import charge_for, to_decimal, to_micros
from smmpanel.orders.errors import OrderRefused
from smmpanel.orders.models import Order
from smmpanel.orders.services import NOT_ENOUGH_FUNDS, place_order
from tests.factories import make_service, make_user

VENDOR = connection.vendor  # the backend's class attribute: no connection is opened

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        VENDOR != "postgresql",
        reason=f"needs a real PostgreSQL server (row locks under real concurrency); this run "
        f"uses {VENDOR}: run with DATABASE_URL=postgres://…",
    ),
]

THREADS = 50
ORDERS = 1000
USERS = 5
AFFORDABLE = 130  # per user, out of ORDERS / USERS = 200 attempts each
REMAINDER = "0.45"  # less than one order's price
QUANTITY = 1000
RATE = "0.90"  # per 1000: every order costs exactly 0.90
THREAD_TIMEOUT = 90


def test_thousand_orders_fifty_threads_shared_balances_postgres(transactional_db):
    service = make_service(rate_micros=to_micros(RATE))
    charge = charge_for(service.rate_micros, QUANTITY)
    opening = AFFORDABLE * charge + to_micros(REMAINDER)
    users = [make_user(str(to_decimal(opening))) for _ in range(USERS)]
    user_pks = [u.pk for u in users]
    per_thread = ORDERS // THREADS
    # (thread, i) -> user: round-robin, so every user is hit by many threads at once.
    plan = [
        [
            (user_pks[(t * per_thread + i) % USERS], f"https://www.instagram.com/p/Many{t}x{i}/")
            for i in range(per_thread)
        ]
        for t in range(THREADS)
    ]

    barrier = threading.Barrier(THREADS)
    results: list[list[tuple]] = [[] for _ in range(THREADS)]
    finished = [False] * THREADS

    def run(t: int) -> None:
        try:
            by_pk = {u.pk: u for u in User.objects.select_related("wallet").filter(pk__in=user_pks)}
            svc = Service.objects.get(pk=service.pk)
            barrier.wait(timeout=THREAD_TIMEOUT)
            for user_pk, link in plan[t]:
                try:
                    order = place_order(by_pk[user_pk], svc, {"link": link, "quantity": QUANTITY})
                    results[t].append(("ok", user_pk, order.pk))
                except OrderRefused as refusal:
                    results[t].append(("refused", user_pk, refusal.message))
                except Exception as exc:  # reported to the test, never swallowed
                    results[t].append(("error", user_pk, repr(exc)))
            finished[t] = True
        except Exception as exc:
            results[t].append(("error", None, repr(exc)))
            barrier.abort()
        finally:
            connections.close_all()  # this thread's connection; the test DB can be dropped

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(t,), daemon=True) for t in range(THREADS)]
    for thread in threads:
        thread.start()
    deadline = started + THREAD_TIMEOUT
    for thread in threads:
        thread.join(max(0.1, deadline - time.monotonic()))
    hanging = [t for t, thread in enumerate(threads) if thread.is_alive()]
    assert not hanging, f"{len(hanging)} threads still running after {THREAD_TIMEOUT} s"
    assert all(finished), [r for r in results if r and r[-1][0] == "error"]
    elapsed = time.monotonic() - started

    flat = [r for thread_results in results for r in thread_results]
    assert len(flat) == ORDERS
    errors = [r for r in flat if r[0] == "error"]
    assert not errors, errors[:5]
    assert {r[2] for r in flat if r[0] == "refused"} == {NOT_ENOUGH_FUNDS}
    per_user = defaultdict(Counter)
    for outcome, user_pk, _ in flat:
        per_user[user_pk][outcome] += 1
    expected = {"ok": AFFORDABLE, "refused": ORDERS // USERS - AFFORDABLE}
    assert {pk: dict(c) for pk, c in per_user.items()} == {pk: expected for pk in user_pks}

    for user in users:
        assert balance_of(user) == to_micros(REMAINDER)  # never below zero, nothing lost
        placed = {r[2] for r in flat if r[0] == "ok" and r[1] == user.pk}
        assert set(Order.objects.filter(user=user).values_list("pk", flat=True)) == placed
        charges = LedgerEntry.objects.filter(user=user, kind=LedgerEntry.Kind.CHARGE)
        assert sorted(charges.values_list("order_id", flat=True)) == sorted(placed)
        assert set(charges.values_list("amount_micros", flat=True)) == {-charge}
    assert ledger_mismatches() == []
    call_command("audit_ledger")  # exits non-zero on any mismatch
    print(f"{ORDERS} orders from {THREADS} threads in {elapsed:.1f} s")
