"""Fixtures and helpers for the fulfillment tests (forwarding, status sync, customer
requests, services): real simulators over HTTP on loopback, each on a clock the test
moves by hand, so upstream statuses change only when a test says so.

The provider service functions are called in-process; nothing here needs a worker.
Test modules that define their own ``sim``/``clock`` fixtures (test_simulator.py) keep
theirs: a module's fixture wins over this file's.
"""

import socket
import time
from contextlib import contextmanager
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from smmpanel.billing.models import LedgerEntry
from smmpanel.fulfilment.forwarding import forward_submission
from smmpanel.fulfilment.status_sync import sync_provider
from smmpanel.money import to_micros
from smmpanel.orders.models import Order
from smmpanel.providers.models import Provider, ServiceRoute, Submission
from smmpanel.providers.services import add_provider
from smmpanel.providers.simulator.server import SimulatorHandle, serve
from tests.factories import make_order, make_service, make_user

SIM_KEY = "sim-key"
# Simulator service 1: "Instagram Likes — 30 days refill", Default, rate 0.60,
# min 50, max 10000, refill, cancel and drip-feed allowed.
SIM_LIKES = "1"
SIM_LIKES_COST = to_micros("0.60")
START_DELAY = 10  # the simulator's Pending time (start_simulator)
LONG_ENOUGH = 60  # by then a 100-unit order at 100 units/s has long ended upstream


class HandClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


def start_simulator(clock: HandClock, **config) -> SimulatorHandle:
    """A simulator on 127.0.0.1: Pending for 10 s, then 100 units/s, every order
    Completed unless the test configures Partial/Canceled fates."""
    options = dict(
        key=SIM_KEY,
        seed=11,
        start_delay=10,
        speed=100,
        partial_rate=0,
        cancel_rate=0,
        refill_seconds=20,
        balance="1000",
        clock=clock,
        banner=False,
    )
    options.update(config)
    return serve(**options)


@pytest.fixture
def sim_clock():
    return HandClock()


@pytest.fixture
def sim(sim_clock):
    handle = start_simulator(sim_clock)
    yield handle
    handle.shutdown()


@pytest.fixture
def sim_b(sim_clock):
    """A second simulator: another provider with its own orders."""
    handle = start_simulator(sim_clock, seed=12)
    yield handle
    handle.shutdown()


@pytest.fixture
def fast_provider_timeouts(settings):
    """A short read timeout, so an answer held back by a fault is missed in half a second.

    Only for tests whose sole timed call is the faulted one: a loaded machine may take
    longer than this to answer an ordinary request.
    """
    settings.PROVIDER_CONNECT_TIMEOUT = 0.5
    settings.PROVIDER_READ_TIMEOUT = 0.5
    return settings


# A held-back answer: longer than a short timeout (below), yet soon over.
HELD_BACK = 2.0
# A slow answer that still comes well within the client's timeouts (patient_provider_timeouts).
SLOW_ANSWER = 1.0


@contextmanager
def short_provider_timeouts(settings):
    """``fast_provider_timeouts`` for the calls inside the block only, so the rest of a
    test (placing, forwarding, settling) keeps timeouts a loaded machine can meet."""
    saved = settings.PROVIDER_CONNECT_TIMEOUT, settings.PROVIDER_READ_TIMEOUT
    settings.PROVIDER_CONNECT_TIMEOUT = settings.PROVIDER_READ_TIMEOUT = 0.5
    try:
        yield
    finally:
        settings.PROVIDER_CONNECT_TIMEOUT, settings.PROVIDER_READ_TIMEOUT = saved


@pytest.fixture
def patient_provider_timeouts(settings):
    """Timeouts far above ``SLOW_ANSWER``, whatever the environment sets: a slow answer
    is then one the client waits for."""
    settings.PROVIDER_CONNECT_TIMEOUT = 5.0
    settings.PROVIDER_READ_TIMEOUT = 10 * SLOW_ANSWER
    return settings


@pytest.fixture
def provider(db, sim):
    return connect_provider(sim, "Simulator A")


@pytest.fixture
def provider_b(db, sim_b):
    return connect_provider(sim_b, "Simulator B")


def connect_provider(handle: SimulatorHandle, name: str) -> Provider:
    return add_provider(name, handle.url, SIM_KEY, allow_private=True)


def route(service, provider: Provider, provider_service_id: str = SIM_LIKES, priority: int = 0):
    return ServiceRoute.objects.create(
        service=service,
        provider=provider,
        provider_service_id=provider_service_id,
        cost_micros=SIM_LIKES_COST,
        priority=priority,
    )


# -- the simulator's control API --------------------------------------------------------


def control(handle: SimulatorHandle, path: str = "", **body) -> dict:
    """POST to the control API (a fault when ``path`` is empty)."""
    response = httpx.post(f"{handle.control_url}{path}", json=body, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def stats(handle: SimulatorHandle) -> dict:
    response = httpx.get(handle.control_url, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()


def faults_triggered(handle: SimulatorHandle) -> int:
    """How many API requests a fault has affected since the simulator started."""
    return stats(handle)["faults_triggered"]


def requests_for(handle: SimulatorHandle, action: str) -> int:
    """How many API requests for ``action`` reached the simulator."""
    return stats(handle)["requests"].get(action, 0)


def upstream_orders(handle: SimulatorHandle, link: str) -> list[dict]:
    response = httpx.get(f"{handle.control_url}/orders", params={"link": link}, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()["orders"]


def set_fates(handle: SimulatorHandle, *, partial: float = 0.0, canceled: float = 0.0) -> None:
    """How the next orders placed on the simulator end (existing orders keep theirs)."""
    control(handle, "/config", partial_rate=partial, cancel_rate=canceled)


def wait_port(handle: SimulatorHandle, *, listening: bool, seconds: float = 5.0) -> None:
    """Wait until the simulator's port accepts (or refuses) connections."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((handle.host, handle.port), timeout=0.2):
                accepting = True
        except OSError:
            accepting = False
        if accepting == listening:
            return
        time.sleep(0.05)
    raise AssertionError(f"simulator port never became {'open' if listening else 'closed'}")


def closed_port_url() -> str:
    """An API URL on a loopback port where nothing listens: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v2"


# -- panel-side helpers -----------------------------------------------------------------


def make_due(**filters) -> None:
    """Make the matching queued submissions due now (instead of waiting for backoff)."""
    Submission.objects.filter(**filters).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def make_sync_due(**filters) -> None:
    """Make the matching submissions due for a status poll now."""
    Submission.objects.filter(**filters).update(next_sync_at=timezone.now() - timedelta(seconds=1))


def refunds_of(order) -> list[int]:
    return list(
        LedgerEntry.objects.filter(order=order, kind=LedgerEntry.Kind.REFUND).values_list(
            "amount_micros", flat=True
        )
    )


# -- a customer, a routed service and orders upstream (the fulfillment modules share) ---


@pytest.fixture
def user(db):
    return make_user("100")


@pytest.fixture
def likes(db, provider):
    """A service routed to ``provider``: refill (30 days) and cancel allowed."""
    service = make_service()
    route(service, provider)
    return service


def forwarded(user, service, **data) -> Order:
    """A placed order whose due runs were accepted upstream."""
    order = make_order(user, service, **data)
    for sub in Submission.objects.filter(order=order):
        assert forward_submission(sub.pk) == "accepted"
    order.refresh_from_db()
    return order


def only_submission(order) -> Submission:
    return Submission.objects.get(order=order)


def sync(provider) -> int:
    """One status poll of every active submission of ``provider``, due or not."""
    make_sync_due(provider=provider)
    return sync_provider(provider)
