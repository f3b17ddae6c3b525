"""Many concurrent orders of one user against one balance: never overdrawn, never doubled.

Real threads, each with its own database connection, race to ``place_order`` the moment
a barrier opens. On PostgreSQL the wallet row lock serialises them; on SQLite the
IMMEDIATE transactions do (fewer threads there: writers queue on ``busy_timeout``).
"""

import contextlib
import os
import threading
import time
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction

from smmpanel.accounts.models import User
from smmpanel.billing.models import LedgerEntry
from smmpanel.billing.selectors import balance_of, ledger_mismatches
from smmpanel.catalog.models import Service
from smmpanel.money import charge_for, to_decimal, to_micros
from smmpanel.orders import services as order_services
from smmpanel.orders.errors import OrderRefused
from smmpanel.orders.models import ACTIVE_STATUSES, Order
from smmpanel.orders.services import ACTIVE_ORDER_EXISTS, NOT_ENOUGH_FUNDS, place_order
from smmpanel.policy import engine, rulebook
from smmpanel.policy.models import Rule
from smmpanel.policy.services import update_rule
from tests.factories import make_service, make_user, post_link

VENDOR = connection.vendor  # the backend's class attribute: no connection is opened

postgres_only = pytest.mark.skipif(
    VENDOR != "postgresql",
    reason=f"needs a real PostgreSQL server (row locks under real concurrency); this run "
    f"uses {VENDOR}: run with DATABASE_URL=postgres://… (make test-postgres)",
)
sqlite_only = pytest.mark.skipif(
    VENDOR != "sqlite",
    reason=f"the SQLite variant (IMMEDIATE transactions); this run uses {VENDOR}",
)

QUANTITY = 1000
RATE = "0.90"  # per 1000: every order here costs exactly 0.90
THREAD_TIMEOUT = 120


def _race(n_threads: int, user_pk: int, service_pk: int, links: list[str]) -> list[tuple]:
    """Start ``n_threads`` threads that each place one order for ``links[i]`` at once.

    Returns one ``(outcome, detail)`` per thread: ``("ok", order_id)``,
    ``("refused", message)`` or ``("error", repr)`` for anything else.
    """
    barrier = threading.Barrier(n_threads)
    results: list[tuple] = [("error", "thread did not finish")] * n_threads

    def run(i: int) -> None:
        try:
            # Connect and load before the barrier, so the orders themselves collide.
            user = User.objects.select_related("wallet").get(pk=user_pk)
            service = Service.objects.get(pk=service_pk)
            barrier.wait(timeout=THREAD_TIMEOUT)
            order = place_order(user, service, {"link": links[i], "quantity": QUANTITY})
            results[i] = ("ok", order.pk)
        except Exception as exc:  # every outcome is reported to the test
            if isinstance(exc, OrderRefused):
                results[i] = ("refused", exc.message)
            else:
                results[i] = ("error", repr(exc))
                barrier.abort()  # the others stop waiting for a thread that will never come
        finally:
            connections.close_all()  # this thread's connection; the test DB can be dropped

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n_threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(THREAD_TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a thread hung placing its order"
    return results


def _assert_never_overdrawn(n_threads: int, affordable: int, remainder: str) -> None:
    service = make_service(rate_micros=to_micros(RATE))
    charge = charge_for(service.rate_micros, QUANTITY)
    assert charge == to_micros(RATE)
    opening = affordable * charge + to_micros(remainder)
    user = make_user(str(to_decimal(opening)))
    assert balance_of(user) == opening

    links = [post_link() for _ in range(n_threads)]  # distinct targets: only money limits
    results = _race(n_threads, user.pk, service.pk, links)

    outcomes = Counter(outcome for outcome, _ in results)
    errors = [detail for outcome, detail in results if outcome == "error"]
    assert not errors, errors
    assert outcomes == {"ok": affordable, "refused": n_threads - affordable}, results
    assert {detail for outcome, detail in results if outcome == "refused"} == {NOT_ENOUGH_FUNDS}

    balance = balance_of(user)
    assert balance >= 0
    assert balance == to_micros(remainder)
    placed = {detail for outcome, detail in results if outcome == "ok"}
    assert set(Order.objects.filter(user=user).values_list("pk", flat=True)) == placed
    charges = LedgerEntry.objects.filter(user=user, kind=LedgerEntry.Kind.CHARGE)
    assert sorted(charges.values_list("order_id", flat=True)) == sorted(placed)
    assert set(charges.values_list("amount_micros", flat=True)) == {-charge}
    assert ledger_mismatches() == []
    call_command("audit_ledger")  # exits non-zero on any mismatch


def _assert_one_active_order_per_link(n_threads: int) -> None:
    service = make_service(rate_micros=to_micros(RATE))
    user = make_user("1000")
    # The duplicates are refused within milliseconds and recorded as invalid orders; the
    # slower threads would then meet the invalid-orders escalation instead, another
    # rule than the one under test.
    staff = make_user(role=User.Role.STAFF)
    engine.rules_for(rulebook.ORDER_PLACE)  # seeds the rule rows on first use
    invalid_orders = Rule.objects.get(code="abuse.invalid_orders")
    update_rule(invalid_orders, actor=staff, reason="not under test", enabled=False)
    opening = balance_of(user)
    # One target, spelled the ways clients retype it: all canonicalise to the same link.
    spellings = [
        "https://www.instagram.com/p/SameTarget1/",
        "https://instagram.com/p/SameTarget1",
        "http://WWW.Instagram.com/p/SameTarget1/?igsh=abc",
        "https://www.instagram.com/p/SameTarget1/?utm_source=ig_web_copy_link",
    ]
    links = [spellings[i % len(spellings)] for i in range(n_threads)]
    results = _race(n_threads, user.pk, service.pk, links)

    errors = [detail for outcome, detail in results if outcome == "error"]
    assert not errors, errors
    assert Counter(outcome for outcome, _ in results) == {"ok": 1, "refused": n_threads - 1}
    assert {detail for outcome, detail in results if outcome == "refused"} == {ACTIVE_ORDER_EXISTS}
    assert Order.objects.filter(user=user, status__in=ACTIVE_STATUSES).count() == 1
    assert balance_of(user) == opening - charge_for(service.rate_micros, QUANTITY)
    assert ledger_mismatches() == []


# --- PostgreSQL: 24 threads, money for 7 orders ------------------------------------------


@pytest.mark.postgres
@postgres_only
@pytest.mark.parametrize("remainder", ["0", "0.45"], ids=["exact", "with-remainder"])
def test_concurrent_orders_never_overdraw_postgres(transactional_db, remainder):
    _assert_never_overdrawn(n_threads=24, affordable=7, remainder=remainder)


@pytest.mark.postgres
@postgres_only
def test_concurrent_orders_same_link_one_active_postgres(transactional_db):
    _assert_one_active_order_per_link(n_threads=24)


@pytest.mark.postgres
@postgres_only
def test_a_same_link_order_committed_while_the_next_waited_for_the_wallet_refuses_it(
    transactional_db,
):
    """The second order waits for the wallet row while the first is uncommitted; once it
    has the row, its active-order check (or, for a check that read the orders before the
    first committed, ``ONE_ACTIVE_PER_TARGET``) refuses it: one order, one charge."""
    service = make_service(rate_micros=to_micros(RATE))
    user = make_user("1000")
    opening, link = balance_of(user), post_link()
    order = {"link": link, "quantity": QUANTITY}

    outcome = _second_order_while_the_first_is_held(user, service, order, order, held_by_test=True)

    assert isinstance(outcome["first"], int), outcome
    assert outcome["second"] == ACTIVE_ORDER_EXISTS, outcome
    assert list(Order.objects.filter(user=user).values_list("pk", flat=True)) == [outcome["first"]]
    assert balance_of(user) == opening - charge_for(service.rate_micros, QUANTITY)
    assert ledger_mismatches() == []


@pytest.mark.postgres
@postgres_only
def test_a_drip_feed_order_and_a_plain_one_for_the_same_link_never_deadlock(
    transactional_db, monkeypatch
):
    """A drip-feed order (several provider runs) and a plain one for the same link. The
    first pauses after writing its order (the pause is the only stand-in here: nothing
    else holds a placing transaction open), while the second, for the same link, waits.
    Every order takes the wallet before the order, so the second waits for the wallet
    and is refused; if one took them the other way round, the two would deadlock."""
    service = make_service(rate_micros=to_micros(RATE), dripfeed=True)
    user = make_user("1000")
    link = post_link()
    queue_order = order_services.queue_order

    def pausing_queue_order(order):
        if threading.current_thread().name == "first":
            HELD.written.set()
            HELD.release.wait(THREAD_TIMEOUT)
        return queue_order(order)

    monkeypatch.setattr(order_services, "queue_order", pausing_queue_order)
    drip = {"link": link, "quantity": QUANTITY, "runs": 2, "interval": 5}
    plain = {"link": link, "quantity": QUANTITY}

    outcome = _second_order_while_the_first_is_held(user, service, drip, plain, held_by_test=False)

    assert isinstance(outcome["first"], int), outcome
    assert outcome["second"] == ACTIVE_ORDER_EXISTS, outcome
    assert Order.objects.filter(user=user, status__in=ACTIVE_STATUSES).count() == 1
    assert ledger_mismatches() == []


class HELD:
    """The first order's pause: set when it has written, released by the test."""

    written = threading.Event()
    release = threading.Event()


def _second_order_while_the_first_is_held(user, service, first, second, *, held_by_test):
    """Place ``first`` in a thread and keep its transaction open (``held_by_test``: after
    placing, in an outer transaction; otherwise where the test's own pause holds it),
    place ``second`` in another thread until it waits for a lock, then let the first
    commit. Returns what each placing gave: an order id or a refusal's message."""
    HELD.written.clear()
    HELD.release.clear()
    outcome: dict[str, object] = {}

    def place(name: str, data: dict, hold: bool) -> None:
        try:
            buyer = User.objects.select_related("wallet").get(pk=user.pk)
            with transaction.atomic() if hold else contextlib.nullcontext():
                outcome[name] = place_order(buyer, Service.objects.get(pk=service.pk), data).pk
                if hold:  # the wallet row locked, the order not yet committed
                    HELD.written.set()
                    HELD.release.wait(THREAD_TIMEOUT)
        except OrderRefused as refusal:
            outcome[name] = refusal.message
        except Exception as exc:  # every outcome is reported to the test
            outcome[name] = repr(exc)
        finally:
            HELD.written.set()
            connections.close_all()

    threads = [
        threading.Thread(
            target=place, name="first", args=("first", first, held_by_test), daemon=True
        ),
        threading.Thread(target=place, name="second", args=("second", second, False), daemon=True),
    ]
    threads[0].start()
    assert HELD.written.wait(THREAD_TIMEOUT)
    threads[1].start()
    waited = _wait_for_a_lock_wait(seconds=30)
    HELD.release.set()
    for thread in threads:
        thread.join(THREAD_TIMEOUT)
    assert waited, "the second order never waited for a lock"
    assert not any(thread.is_alive() for thread in threads), "a placing thread hung"
    return outcome


def _wait_for_a_lock_wait(seconds: float) -> bool:
    """Whether some backend of this database waits for a lock within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.02)
    return False


# --- SQLite: fewer threads, IMMEDIATE transactions queue the writers -------------------------


@sqlite_only
def test_concurrent_orders_never_overdraw_sqlite(transactional_db):
    _assert_never_overdrawn(n_threads=8, affordable=3, remainder="0.45")


@sqlite_only
def test_concurrent_orders_same_link_one_active_sqlite(transactional_db):
    _assert_one_active_order_per_link(n_threads=8)


# --- The run is on the engine it was asked for ---------------------------------------------


def test_run_uses_the_expected_database_engine():
    """``make test-postgres`` sets SMMPANEL_EXPECT_DB_VENDOR, so a mis-set DATABASE_URL fails
    here instead of quietly skipping every PostgreSQL-only test."""
    expected = os.environ.get("SMMPANEL_EXPECT_DB_VENDOR")
    if not expected:
        pytest.skip(
            "run outside `make test`: no engine was named (SMMPANEL_EXPECT_DB_VENDOR), "
            "so there is nothing to compare the connected engine with"
        )
    assert expected == VENDOR
