"""Three workers, as three hosts would run them, on one PostgreSQL and one Redis, with
their periodic tasks on, while the test SIGKILLs and restarts them at random (seeded)
moments: every order is sent upstream at most once and settled once, the sweep is run
by one worker at a time, and the queue ends empty.

300 orders by default (~1 min); ``SCALE_OUT_LONG=1`` runs the issue's 2,000 and
``SCALE_OUT_ORDERS=N`` any count. Needs Redis: ``TEST_REDIS_URL`` (CI starts one).
"""

import os
import random
import time

import httpx
import pytest
from django.core.management import call_command
from django.db import connection
from huey.contrib.djhuey import HUEY

from smmpanel.billing.models import LedgerEntry
from smmpanel.billing.selectors import ledger_mismatches
from smmpanel.orders.models import Order, OrderStatus
from smmpanel.orders.services import place_order
from smmpanel.providers.models import Submission, SubmissionState
from smmpanel.providers.services import add_provider, route_unrouted_services
from smmpanel.providers.simulator.server import serve
from tests.deploy.scale_cluster import Workers, flush_redis, overlaps, queue_length, use_redis_queue
from tests.factories import make_service, make_user

VENDOR = connection.vendor
pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        VENDOR != "postgresql",
        reason=f"needs PostgreSQL (workers on several hosts share it); this run uses {VENDOR}",
    ),
]

ORDERS = int(
    os.environ.get("SCALE_OUT_ORDERS") or (2000 if os.environ.get("SCALE_OUT_LONG") else 300)
)
WORKERS = 3
KILLS = 8
SEED = 22
ACTIVE = (OrderStatus.PENDING, OrderStatus.IN_PROGRESS)


@pytest.fixture
def redis_url():
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        if os.environ.get("REQUIRE_REDIS") == "1" or os.environ.get("CI") == "true":
            pytest.fail("TEST_REDIS_URL is unset but this run requires Redis (REQUIRE_REDIS=1)")
        pytest.skip("needs Redis: set TEST_REDIS_URL=redis://127.0.0.1:PORT/0 (CI starts one)")
    flush_redis(url)
    previous = use_redis_queue(url)
    yield url
    HUEY.storage = previous
    flush_redis(url)


@pytest.fixture
def simulator():
    # Statuses move quickly; some orders end Partial or Canceled, so refunds are settled.
    handle = serve(
        key="sim-key",
        seed=SEED,
        start_delay=0.5,
        speed=2000,
        partial_rate=0.1,
        cancel_rate=0.05,
        balance="1000000",
        banner=False,
    )
    yield handle
    handle.shutdown()


def wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return predicate()


def upstream_orders_for(simulator, link: str) -> int:
    answer = httpx.get(f"{simulator.control_url}/orders", params={"link": link}, timeout=5)
    return len(answer.json()["orders"])


def test_three_workers_killed_at_random_send_and_settle_every_order_once(
    transactional_db, simulator, redis_url, tmp_path
):
    user = make_user("100000")
    service = make_service(min_quantity=10, max_quantity=5000)
    provider = add_provider("Simulator", simulator.url, "sim-key", allow_private=True)
    route_unrouted_services(provider)
    chaos = random.Random(SEED)
    workers = Workers.start(
        WORKERS, tmp_path, REDIS_URL=redis_url, STALE_CLAIM_SECONDS="3", WORKER_THREADS="4"
    )
    try:
        kills_at = sorted(chaos.uniform(0, ORDERS) for _ in range(KILLS))
        for n in range(ORDERS):
            place_order(
                user, service, {"link": f"https://instagram.com/p/Scale{n}", "quantity": 100}
            )
            while kills_at and n >= kills_at[0]:
                kills_at.pop(0)
                workers.kill_and_restart(chaos.randrange(WORKERS))
        # And the sweeper itself, once: its lock must pass to another run of the sweep.
        assert wait_for(lambda: workers.lock_intervals("providers-sweep", time.time()), 60)
        holder = workers.lock_intervals("providers-sweep", end=float("inf"))[-1][2]
        workers.kill_and_restart(
            next(i for i, p in enumerate(workers.processes) if p.pid == holder)
        )
        assert wait_for(
            lambda: len(workers.lock_intervals("providers-sweep", time.time())) >= 2, 60
        )
        settled = wait_for(
            lambda: not Order.objects.filter(status__in=ACTIVE).exists(), 60 + ORDERS / 10
        )
        assert settled, Order.objects.filter(status__in=ACTIVE).count()
        assert wait_for(lambda: queue_length(redis_url) == 0, 30), queue_length(redis_url)
        sweep_holdings = workers.lock_intervals("providers-sweep", end=time.time())
    finally:
        workers.stop()

    assert Order.objects.count() == ORDERS
    for order in Order.objects.all():
        assert upstream_orders_for(simulator, order.link) <= 1, order.link
        kinds = list(LedgerEntry.objects.filter(order=order).values_list("kind", flat=True))
        assert kinds.count("charge") == 1, (order.pk, kinds)
        assert kinds.count("refund") <= 1, (order.pk, kinds)
    # An order whose send was cut by a SIGKILL is left Fail for staff, never re-sent.
    unknown = Order.objects.filter(submissions__state=SubmissionState.UNKNOWN)
    assert set(unknown.values_list("status", flat=True)) <= {OrderStatus.FAIL}
    assert not Submission.objects.filter(
        state__in=(SubmissionState.QUEUED, SubmissionState.SENDING)
    ).exists()
    assert ledger_mismatches() == []
    call_command(
        "audit_ledger"
    )  # `smmpanel audit-ledger`: exits non-zero (SystemExit) on any mismatch

    # Every restart tried to sweep at once and every scheduler enqueued a sweep a
    # minute: the lock let one worker at a time run it, and someone always did.
    assert len(sweep_holdings) >= 2, workers.logs()[-3000:]
    assert overlaps(sweep_holdings) == [], overlaps(sweep_holdings)
    assert "Traceback" not in workers.logs(), workers.logs()[-5000:]
