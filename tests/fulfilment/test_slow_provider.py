"""A slow-loris provider delays only its own orders (issue 23, item 7).

A real HTTP server on 127.0.0.1 answers every request with a status line and then
trickles header bytes, one every few hundredths of a second, for as long as the client
stays: never slow enough for a read timeout, never done. Each provider call ends at the
total deadline (``PROVIDER_TOTAL_TIMEOUT``), and at most ``PROVIDER_MAX_THREADS`` worker
threads may wait on one provider at once; a call finding no free slot is not sent and
its order is requeued soon without counting a try. The waits here are bounded joins and
conditions, never sleeps standing in for a state.
"""

import socketserver
import threading
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from smmpanel.fulfilment import tasks
from smmpanel.fulfilment.forwarding import forward_submission
from smmpanel.providers.client import ProviderAmbiguous, ProviderBusy, ProviderError
from smmpanel.providers.connection import client_for
from smmpanel.providers.models import Provider, Submission, SubmissionState
from smmpanel.providers.services import add_provider
from tests.factories import make_order, make_service, make_user
from tests.providers.conftest import SIM_KEY, connect_provider, route

BOUND = 20.0  # seconds any wait here may take at most; a hang fails instead of blocking
ADD = {"service": "1", "link": "https://instagram.com/p/slow", "quantity": 100}


class TrickleServer(socketserver.ThreadingTCPServer):
    """Answers each request with a status line, then a header byte every ``pause`` s
    until the client hangs up or ``stop()``; counts the requests it is holding."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, pause: float = 0.05):
        super().__init__(("127.0.0.1", 0), _TrickleHandler)
        self.pause = pause
        self.stopping = threading.Event()
        self.changed = threading.Condition()
        self.held = 0
        self.requests = 0
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api/v2"

    def wait_held(self, count: int) -> None:
        """Until ``count`` requests are being held (bounded)."""
        with self.changed:
            assert self.changed.wait_for(lambda: self.held >= count, timeout=BOUND), self.held

    def stop(self) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()


class _TrickleHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server: TrickleServer = self.server
        self.request.recv(65536)  # the request: a small form POST arrives in one piece
        with server.changed:
            server.held += 1
            server.requests += 1
            server.changed.notify_all()
        try:
            self.request.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            while not server.stopping.wait(server.pause):
                self.request.sendall(b"a")
        except OSError:
            pass  # the client gave up: what it should do
        finally:
            with server.changed:
                server.held -= 1
                server.changed.notify_all()


@pytest.fixture
def trickle():
    server = TrickleServer()
    yield server
    server.stop()


@pytest.fixture
def slow_provider(transactional_db, trickle):
    return add_provider("Slow", trickle.url, SIM_KEY, allow_private=True)


@pytest.fixture
def healthy_provider(transactional_db, sim):
    return connect_provider(sim, "Healthy")


@pytest.fixture
def patient_reads(settings):
    """Per-read timeouts the trickle never meets: only the total deadline can end a call."""
    settings.PROVIDER_CONNECT_TIMEOUT = 5.0
    settings.PROVIDER_READ_TIMEOUT = 10.0
    settings.PROVIDER_TOTAL_TIMEOUT = 60.0


class Call(threading.Thread):
    """A provider call in a thread of its own, as a worker thread makes it."""

    def __init__(self, provider: Provider, action: str = "add"):
        super().__init__(daemon=True)
        self.provider, self.action = provider, action
        self.error: BaseException | None = None
        self.result = None

    def run(self) -> None:
        try:
            client = client_for(self.provider)
            self.result = client.add(ADD) if self.action == "add" else client.balance()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            self.error = exc
        finally:
            connection.close()

    def finished(self) -> "Call":
        self.join(BOUND)
        assert not self.is_alive(), "the call is still waiting"
        return self


def test_a_trickling_answer_is_cut_off_at_the_total_deadline(
    slow_provider, trickle, patient_reads, settings
):
    settings.PROVIDER_TOTAL_TIMEOUT = 1.0
    call = Call(slow_provider)
    call.start()

    call.finished()

    assert isinstance(call.error, ProviderAmbiguous)  # an add that may have been received
    assert "total deadline" in call.error.message and trickle.requests == 1


def test_one_provider_holds_at_most_its_share_of_threads(
    slow_provider, trickle, patient_reads, settings
):
    settings.PROVIDER_MAX_THREADS = 2
    holding = [Call(slow_provider), Call(slow_provider)]
    for call in holding:
        call.start()
    trickle.wait_held(2)

    extra = Call(slow_provider)
    extra.start()

    assert isinstance(extra.finished().error, ProviderBusy)
    assert trickle.requests == 2 and all(call.is_alive() for call in holding)
    trickle.stop()
    assert all(isinstance(call.finished().error, ProviderError) for call in holding)


def test_a_healthy_providers_call_goes_out_while_a_slow_one_holds_its_threads(
    slow_provider, healthy_provider, trickle, patient_reads, settings
):
    settings.PROVIDER_MAX_THREADS = 2
    holding = [Call(slow_provider) for _ in range(2)]
    for call in holding:
        call.start()
    trickle.wait_held(2)

    healthy = Call(healthy_provider, "balance")
    healthy.start()

    assert healthy.finished().error is None and healthy.result is not None
    assert trickle.held == 2  # the slow provider's calls were still being held
    trickle.stop()
    for call in holding:
        call.finished()


@pytest.fixture
def busy_order(slow_provider, trickle, patient_reads, settings):
    """An order routed to the slow provider, whose one call slot a held call has taken."""
    settings.PROVIDER_MAX_THREADS = 1
    service = make_service()
    route(service, slow_provider)
    order = make_order(make_user("100"), service)
    holding = Call(slow_provider)
    holding.start()
    trickle.wait_held(1)
    yield order
    trickle.stop()
    holding.finished()


def test_an_order_finding_its_provider_busy_is_requeued_soon_without_counting_a_try(
    busy_order, slow_provider, trickle
):
    sub = Submission.objects.get(order=busy_order)

    outcome = forward_submission(sub.pk)

    sub.refresh_from_db()
    slow_provider.refresh_from_db()
    assert outcome == "busy"
    assert sub.state == SubmissionState.QUEUED and sub.attempts == 0
    assert sub.next_attempt_at <= timezone.now() + timedelta(seconds=10)
    assert slow_provider.breaker_failures == 0 and trickle.requests == 1


def test_an_order_finding_its_provider_busy_goes_back_on_the_queue_for_when_its_run_is_due(
    busy_order,
):
    # Not left for the sweep, which sends one run at a time for the whole cluster: any
    # worker thread takes the order again once its run is due.
    HUEY.storage.flush_queue()
    try:
        tasks.forward_order.call_local(busy_order.pk)

        [again] = [t for t in HUEY.pending() if t.name == "forward_order"]
        due_at = Submission.objects.get(order=busy_order).next_attempt_at
        assert again.args == (busy_order.pk,)
        assert abs(again.eta.replace(tzinfo=UTC) - due_at) < timedelta(seconds=1)
    finally:
        HUEY.storage.flush_queue()
