"""The worker delivers every notification of a run of simulated orders, with the SMTP
server stopped for part of it (issue 18): each message arrives, none more than twice,
nothing blocked an order.

Real processes: the provider simulator (loopback), a real ``smmpanel worker`` process
and a real aiosmtpd SMTP server in this process on 127.0.0.1, stopped while half the
orders are placed and run to their end, then started again on the same port.

The run is ``NOTIFICATION_PROOF_ORDERS`` orders (default 200, the issue's figure; a
slower machine may set a smaller count). Every wait polls the database or the inbox
against a deadline; nothing sleeps to synchronise.
"""

import os
import time
from collections import Counter

import pytest

from smmpanel.billing.selectors import ledger_mismatches
from smmpanel.notifications.models import Channel, Delivery, DeliveryState, Notification
from smmpanel.orders.models import Order, OrderStatus
from smmpanel.orders.services import place_order
from smmpanel.providers.services import add_provider, route_unrouted_services
from smmpanel.providers.simulator.server import serve
from tests.factories import make_service, make_user
from tests.notifications.conftest import SMTP_BACKEND, SmtpServer
from tests.providers.worker_process import start_worker, stop_worker

ORDERS = int(os.environ.get("NOTIFICATION_PROOF_ORDERS", "200"))
CUSTOMERS = 10
FINAL = (OrderStatus.COMPLETED, OrderStatus.PARTIAL, OrderStatus.CANCELED)
REFUND_KINDS = {OrderStatus.PARTIAL: "order_partial", OrderStatus.CANCELED: "order_canceled"}
PENDING_DELIVERY = (DeliveryState.QUEUED, DeliveryState.SENDING)
DEADLINE_SECONDS = 120


def wait_for(predicate, seconds: float = DEADLINE_SECONDS) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def _open_orders() -> int:
    return Order.objects.exclude(status__in=FINAL).count()


def _pending_deliveries() -> int:
    return Delivery.objects.filter(state__in=PENDING_DELIVERY).count()


@pytest.fixture
def simulator():
    handle = serve(
        key="sim-key",
        seed=18,
        start_delay=0.1,
        speed=5000,
        partial_rate=0.25,
        cancel_rate=0.15,
        banner=False,
    )
    yield handle
    handle.shutdown()


@pytest.fixture
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def test_every_notification_of_a_run_arrives_at_most_twice_across_an_smtp_outage(
    transactional_db, simulator, smtp_server, tmp_path
):
    customers = [make_user("1000") for _ in range(CUSTOMERS)]
    service = make_service(min_quantity=10, max_quantity=5000)
    provider = add_provider("Simulator", simulator.url, "sim-key", allow_private=True)
    route_unrouted_services(provider)
    log = tmp_path / "worker.log"
    worker = start_worker(
        log,
        EMAIL_BACKEND=SMTP_BACKEND,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_server.port),
        EMAIL_USE_TLS="false",
        EMAIL_USE_SSL="false",
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_TIMEOUT="5",
        # First retry after ~0.5 s, doubling: the 8 tries span well over the outage.
        NOTIFICATION_RETRY_SECONDS="1",
    )

    def place(numbers):
        for n in numbers:
            customer = customers[n % CUSTOMERS]
            link = f"https://instagram.com/p/Notify{n}"
            place_order(customer, service, {"link": link, "quantity": 100 + n})

    try:
        started = time.monotonic()
        # First half with the mail server up: messages flow.
        place(range(ORDERS // 2))
        assert wait_for(lambda: len(smtp_server.inbox.messages) > 0), log.read_text()[-3000:]

        # The mail server goes away; the second half is placed and every order runs to
        # its end while it is away: mail trouble blocks no order.
        smtp_server.stop()
        outage_began = time.monotonic()
        place(range(ORDERS // 2, ORDERS))
        assert wait_for(lambda: _open_orders() == 0), (
            Counter(Order.objects.values_list("status", flat=True)),
            log.read_text()[-3000:],
        )
        # The outage was seen: rows waiting to be retried, none given up.
        assert wait_for(lambda: Delivery.objects.exclude(error="").exists())
        assert _pending_deliveries() > 0
        assert not Delivery.objects.filter(state=DeliveryState.FAILED).exists()
        outage = time.monotonic() - outage_began

        # Back on the same port (a new controller): the backlog drains.
        smtp_server.start()
        assert wait_for(lambda: _pending_deliveries() == 0), Counter(
            Delivery.objects.values_list("state", flat=True)
        )
        elapsed = time.monotonic() - started
    finally:
        stop_worker(worker)

    orders = list(Order.objects.all())
    assert len(orders) == ORDERS
    statuses = Counter(order.status for order in orders)
    assert statuses[OrderStatus.PARTIAL] and statuses[OrderStatus.CANCELED], statuses

    # Each order that ended with a refund told its customer, once.
    notes = Notification.objects.filter(user__in=customers)
    by_order = Counter((note.kind, note.params.get("order")) for note in notes)
    expected = Counter(
        (REFUND_KINDS[order.status], order.pk) for order in orders if order.status in REFUND_KINDS
    )
    assert by_order == expected

    # Each of those notifications has one email row, sent; each arrived once or twice.
    rows = Delivery.objects.filter(notification__in=notes, channel=Channel.EMAIL)
    assert rows.count() == notes.count()
    assert set(rows.values_list("state", flat=True)) == {DeliveryState.SENT}
    assert rows.filter(attempts__gt=1).exists()  # some went through the outage
    arrived = Counter(message["X-Smmpanel-Dedupe"] for message in smtp_server.inbox.messages)
    message_ids = Counter(message["Message-ID"] for message in smtp_server.inbox.messages)
    keys = set(rows.values_list("dedupe_key", flat=True))
    assert set(arrived) == keys, set(arrived) ^ keys
    assert max(arrived.values()) <= 2, [key for key, n in arrived.items() if n > 2]
    assert len(message_ids) == len(keys) and max(message_ids.values()) <= 2
    assert ledger_mismatches() == []
    print(  # the figures the issue asks about, shown with -s
        f"\n{ORDERS} orders {dict(statuses)}; {len(keys)} notifications, "
        f"{sum(arrived.values())} messages received; outage {outage:.1f} s; "
        f"run {elapsed:.1f} s"
    )
