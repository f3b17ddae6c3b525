"""SIGKILL the worker while it is sending an order upstream, then restart it: no order
is lost, none is charged twice, none is placed twice upstream."""

import signal
import time

import httpx
import pytest

from smmpanel.billing.models import LedgerEntry
from smmpanel.billing.selectors import ledger_mismatches
from smmpanel.orders.models import Order, OrderStatus
from smmpanel.orders.services import place_order
from smmpanel.providers.models import Submission, SubmissionState
from smmpanel.providers.services import add_provider, route_unrouted_services
from smmpanel.providers.simulator.server import serve
from tests.factories import make_service, make_user
from tests.providers.worker_process import start_worker, stop_worker

ORDERS = 20


def wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def simulator():
    handle = serve(
        key="sim-key", seed=3, start_delay=0.2, speed=1000, partial_rate=0, cancel_rate=0
    )
    yield handle
    handle.shutdown()


def upstream_orders_for(simulator, link: str) -> int:
    answer = httpx.get(f"{simulator.control_url}/orders", params={"link": link}, timeout=5)
    return len(answer.json()["orders"])


def test_worker_killed_mid_send_loses_nothing_and_sends_nothing_twice(
    transactional_db, simulator, tmp_path
):
    user = make_user("500")
    service = make_service(min_quantity=10, max_quantity=5000)
    provider = add_provider("Simulator", simulator.url, "sim-key", allow_private=True)
    route_unrouted_services(provider)
    # The first add hangs for a while (and is then processed): the worker dies during it.
    httpx.post(
        simulator.control_url,
        json={"fault": "slow", "actions": ["add"], "count": 1, "delay": 3},
        timeout=5,
    ).raise_for_status()
    worker = start_worker(tmp_path / "worker.log", STALE_CLAIM_SECONDS="2")
    try:
        links = [f"https://instagram.com/p/Crash{n}" for n in range(ORDERS)]
        for link in links:
            place_order(user, service, {"link": link, "quantity": 100})
        assert wait_for(
            lambda: Submission.objects.filter(state=SubmissionState.SENDING).exists(), 30
        )
        stop_worker(worker, signal.SIGKILL)
        worker = start_worker(tmp_path / "worker.log", STALE_CLAIM_SECONDS="2")
        assert wait_for(
            lambda: (
                not Submission.objects.filter(
                    state__in=(SubmissionState.QUEUED, SubmissionState.SENDING)
                ).exists()
                and not Order.objects.filter(
                    status__in=(OrderStatus.PENDING, OrderStatus.IN_PROGRESS)
                ).exists()
            ),
            60,
        ), list(Submission.objects.values_list("state", flat=True))
    finally:
        stop_worker(worker)

    assert Order.objects.count() == ORDERS
    for order in Order.objects.all():
        assert LedgerEntry.objects.filter(order=order, kind="charge").count() == 1
        assert upstream_orders_for(simulator, order.link) <= 1
    unknown = Submission.objects.filter(state=SubmissionState.UNKNOWN)
    assert unknown.count() >= 1  # the one in flight at the kill: left for staff, not re-sent
    assert set(Order.objects.filter(submissions__in=unknown).values_list("status", flat=True)) == {
        OrderStatus.FAIL
    }
    assert Order.objects.filter(status=OrderStatus.COMPLETED).count() == ORDERS - unknown.count()
    assert ledger_mismatches() == []
