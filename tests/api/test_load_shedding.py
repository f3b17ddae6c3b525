"""Load shedding (smmpanel/load_shedding.py): with ``MAX_REQUESTS_IN_FLIGHT`` requests in
hand, the server answers the next one at once, API v2's "temporarily unavailable" error
with ``Retry-After`` or a 503 page, and writes nothing; once a place frees, requests are
served again. Over a real (threaded) HTTP server, with one request held in flight.
Timings are the benchmark's business (bench/overload.py), never asserted here.
"""

import threading

import pytest

from smmpanel.api import views
from smmpanel.load_shedding import InFlight
from smmpanel.orders.models import Order
from tests.factories import post_link

BUSY = {"error": "Service temporarily unavailable, please try again shortly"}


@pytest.fixture
def one_in_flight(live_server, http, api_customer, monkeypatch, settings):
    """A limit of one, and a ``balance`` request held inside the API until released."""
    settings.MAX_REQUESTS_IN_FLIGHT = 1
    settings.SHED_RETRY_AFTER_SECONDS = 3
    inside, release = threading.Event(), threading.Event()
    original = views.check_api_request

    def held(*args, **kwargs):
        if not release.is_set():
            inside.set()
            release.wait(20)
        return original(*args, **kwargs)

    monkeypatch.setattr(views, "check_api_request", held)
    _, key = api_customer
    answers = []
    holder = threading.Thread(
        target=lambda: answers.append(
            http.post(f"{live_server.url}/api/v2", data={"key": key, "action": "balance"})
        )
    )
    holder.start()
    assert inside.wait(20), "the held request never reached the API"
    yield release
    release.set()
    holder.join(20)
    assert answers and "balance" in answers[0].json()


def test_a_full_server_answers_api_v2_at_once_and_writes_nothing(
    one_in_flight, live_server, http, api_customer, service, nothing_written
):
    user, key = api_customer
    add = {"key": key, "action": "add", "service": service.pk, "link": post_link(), "quantity": 100}
    with nothing_written(user):
        answer = http.post(f"{live_server.url}/api/v2", data=add)
    assert answer.status_code == 200  # API v2: errors are JSON with HTTP 200
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == BUSY
    assert answer.headers["Retry-After"] == "3"

    one_in_flight.set()  # the held request ends: its place frees
    placed = None
    for _ in range(50):  # until the held request has left (bounded)
        placed = http.post(f"{live_server.url}/api/v2", data=add).json()
        if placed != BUSY:
            break
    assert Order.objects.filter(pk=placed["order"], user=user).exists(), placed


def test_a_full_server_answers_pages_with_a_503_and_health_still_answers(
    one_in_flight, live_server, http
):
    page = http.get(f"{live_server.url}/login/")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "3"
    assert "busy" in page.text
    assert http.get(f"{live_server.url}/health").status_code == 200

    one_in_flight.set()
    for _ in range(50):
        page = http.get(f"{live_server.url}/login/")
        if page.status_code != 503:
            break
    assert page.status_code == 200


def test_in_flight_counts_places_against_the_limit():
    places = InFlight()
    assert places.enter(2) and places.enter(2)
    assert not places.enter(2)
    places.leave()
    assert places.enter(2)
    assert all(places.enter(0) for _ in range(10))  # 0: no limit
