"""The whole path with real parts: panel HTTP server, simulator HTTP server, a real
worker process. 200 API orders are forwarded, synced and settled; then the ledger
audits clean and every refund matches its order."""

import time

import pytest
from django.core.management import call_command

from smmpanel.billing.models import LedgerEntry
from smmpanel.billing.selectors import ledger_mismatches
from smmpanel.money import share_of
from smmpanel.orders.models import FINAL_STATUSES, Order, OrderStatus
from smmpanel.policy.engine import rules_for
from smmpanel.policy.rulebook import API_REQUEST
from smmpanel.policy.services import update_rule
from smmpanel.providers.models import Submission
from smmpanel.providers.services import add_provider, route_unrouted_services
from smmpanel.providers.simulator.server import serve
from tests.factories import make_key, make_service, make_user
from tests.providers.worker_process import start_worker, stop_worker

ORDERS = 200


@pytest.fixture
def simulator():
    handle = serve(
        key="sim-key", seed=7, start_delay=0.2, speed=400, partial_rate=0.2, cancel_rate=0.1
    )
    yield handle
    handle.shutdown()


@pytest.fixture
def worker(transactional_db, tmp_path):
    process = start_worker(tmp_path / "worker.log")
    yield process
    stop_worker(process)


def wait_until_final(count: int, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    finished = 0
    while time.monotonic() < deadline:
        finished = Order.objects.filter(status__in=FINAL_STATUSES).count()
        if finished >= count:
            break
        time.sleep(0.5)
    return finished


def test_two_hundred_api_orders_settle_and_the_ledger_audits_clean(api, simulator, worker, capsys):
    user = make_user("1000")
    key = make_key(user)
    service = make_service(min_quantity=10, max_quantity=5000, rate_micros=1_230_000)
    provider = add_provider("Simulator", simulator.url, "sim-key", allow_private=True)
    assert route_unrouted_services(provider) >= 1
    # A reseller pushing a batch: fair-use limits must not refuse this burst.
    (rate_rule,) = [r for s, r in rules_for(API_REQUEST) if s.code == "api.rate"]
    update_rule(rate_rule, actor=None, reason="batch test", thresholds={"burst": ORDERS * 2})

    for n in range(ORDERS):
        answer = api(
            key, "add", service=service.pk, link=f"https://instagram.com/p/E2E{n}", quantity=100 + n
        )
        assert "order" in answer, answer

    assert wait_until_final(ORDERS, 120) == ORDERS
    statuses = set(Order.objects.values_list("status", flat=True))
    assert OrderStatus.PARTIAL in statuses and OrderStatus.CANCELED in statuses
    assert OrderStatus.COMPLETED in statuses
    assert ledger_mismatches() == []
    call_command("audit_ledger")
    assert "ledger OK" in capsys.readouterr().out
    for order in Order.objects.all():
        refunds = list(LedgerEntry.objects.filter(order=order, kind="refund"))
        expected = {
            OrderStatus.COMPLETED: [],
            OrderStatus.CANCELED: [order.charge_micros],
            OrderStatus.PARTIAL: [share_of(order.charge_micros, order.remains, order.quantity)],
        }[order.status]
        assert [r.amount_micros for r in refunds] == expected, order.pk
    assert Submission.objects.filter(provider_order_id="").count() == 0
