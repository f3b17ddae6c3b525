"""The provider simulator over real HTTP on loopback: every API v2 action and shape, time
(by a hand-moved clock, never by sleeping), fates, refills, balance, faults, control."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from io import StringIO

import httpx
import pytest

from smmpanel.providers.simulator import SimConfig, SimulatorState, serve
from smmpanel.providers.simulator.catalog import base_services, build_catalog
from smmpanel.providers.simulator.server import run_forever
from tests.providers.conftest import HandClock as Clock

KEY = "sim-key"
LINK = "https://instagram.com/p/Abc123/"
ADD = {"key": KEY, "action": "add", "service": 1, "link": LINK, "quantity": 100}
NO_CANCEL = "Cancel is disabled for this service"
SERVICE_KEYS = {"service", "name", "type", "category", "rate", "min", "max"}
SERVICE_KEYS |= {"refill", "cancel", "dripfeed"}
TYPES = ["Default", "Package", "Custom Comments", "Mentions Custom List", "Poll"]
TYPES += ["Subscriptions", "Web Traffic"]


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def sim(clock):
    handle = serve(
        key=KEY,
        seed=7,
        start_delay=10,
        speed=10,
        partial_rate=0,
        cancel_rate=0,
        balance="1000",
        refill_seconds=20,
        clock=clock,
        banner=False,
    )
    yield handle
    handle.shutdown()


@pytest.fixture
def http():
    with httpx.Client(timeout=5) as client:
        yield client


@pytest.fixture
def api(sim, http):
    """``api(action, encoding="form", key=KEY, **params)`` → the decoded JSON answer."""

    def call(action, *, encoding="form", key=KEY, **params):
        data = {"key": key, "action": action, **params}
        if encoding == "form":
            response = http.post(sim.url, data=data)
        elif encoding == "json":
            response = http.post(sim.url, json=data)
        else:
            response = http.get(sim.url, params=data)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        return response.json()

    return call


@pytest.fixture
def control(sim, http):
    """``control(path="", body=None, **query)``: POST when a body is given, else GET."""

    def call(path="", body=None, expect=200, **query):
        url = sim.control_url + path
        response = http.get(url, params=query) if body is None else http.post(url, json=body)
        assert response.status_code == expect, response.text
        return response.json()

    return call


def add(api, service=1, link=LINK, quantity=100, **params):
    answer = api("add", service=service, link=link, quantity=quantity, **params)
    assert set(answer) == {"order"} and isinstance(answer["order"], int), answer
    return answer["order"]


# -- services and add --------------------------------------------------------------------


def test_services_have_the_de_facto_shape(api):
    services = api("services")
    assert len(services) == 22
    assert [s["service"] for s in services] == list(range(1, 23))
    for row in services:
        assert set(row) == SERVICE_KEYS
        assert row["name"].startswith("[SIMULATOR] ")
        assert isinstance(row["rate"], str) and Decimal(row["rate"]) > 0
        assert row["min"].isdigit() and row["max"].isdigit()
        assert all(isinstance(row[k], bool) for k in ("refill", "cancel", "dripfeed"))
    types = {s["type"] for s in services}
    assert types >= set(TYPES)
    names = " ".join(s["name"] for s in services)
    for platform in ("Instagram", "TikTok", "YouTube", "Telegram", "X ", "Website"):
        assert platform in names


def test_generated_services_for_benchmarks_are_stable():
    big = build_catalog(5000, seed=3)
    assert len(big) == 5022
    assert build_catalog(5000, seed=3).services_json == big.services_json
    rows = json.loads(big.services_json)
    assert rows[-1]["service"] == 5022 and rows[-1]["name"].startswith("[SIMULATOR] ")
    handle = serve(services=5000, seed=3, banner=False)
    try:
        response = httpx.post(handle.url, data={"key": "sim-key", "action": "services"})
        assert len(response.json()) == 5022
    finally:
        handle.shutdown()


@pytest.mark.parametrize("encoding", ["form", "json", "query"])
def test_every_encoding_places_and_reads_an_order(api, encoding):
    order = api("add", encoding=encoding, service=1, link=LINK, quantity=100)["order"]
    assert order == 1_000_001
    assert api("status", encoding=encoding, order=order)["status"] == "Pending"
    assert api("balance", encoding=encoding) == {"balance": "999.94", "currency": "USD"}


def test_trailing_slash_answers_without_redirect(sim, http):
    response = http.post(sim.url + "/", data={"key": KEY, "action": "balance"})
    assert response.status_code == 200 and response.json()["balance"] == "1000.00"
    assert http.get(sim.url.replace("/api/v2", "/")).text.count("SIMULATOR") == 1


def test_errors_use_the_verbatim_texts(api, sim, http):
    assert api("balance", key="wrong") == {"error": "Invalid API key"}
    assert http.post(sim.url, data={"action": "balance"}).json() == {"error": "Invalid API key"}
    assert api("nonsense") == {"error": "Incorrect request"}
    assert api("") == {"error": "Incorrect request"}
    assert api("add", service=999, link=LINK, quantity=100) == {"error": "Incorrect service ID"}
    assert api("add", service="x", link=LINK, quantity=100) == {"error": "Incorrect service ID"}
    assert api("add", service=1, link=LINK, quantity=10) == {
        "error": "Quantity less than minimal 50"
    }
    assert api("add", service=1, link=LINK) == {"error": "Quantity less than minimal 50"}
    assert api("add", service=1, link=LINK, quantity=10001) == {
        "error": "Quantity more than maximum 10000"
    }
    assert api("status", order=42) == {"error": "Incorrect order ID"}
    assert api("status") == {"error": "Incorrect order ID"}
    assert api("refill", order=42) == {"error": "Incorrect order ID"}
    assert api("refill_status", refill=42) == {"error": "Refill not found"}
    bad_json = http.post(sim.url, content=b"{oops", headers={"content-type": "application/json"})
    assert bad_json.json() == {"error": "Incorrect request"}
    assert api("balance")["balance"] == "1000.00"  # nothing was charged
    assert "error" not in api("balance")


def test_not_enough_funds_changes_nothing(api, control):
    control("/config", {"balance": "0.05"})
    assert api("add", service=1, link=LINK, quantity=100) == {
        "error": "Not enough funds on balance"
    }
    assert api("balance")["balance"] == "0.05"
    assert control()["orders_created"] == 0


def test_each_type_takes_its_parameters(api, control):
    comments = add(api, service=5, quantity=999, comments="Nice!\n\nGreat\nWow\nCool\nYes\n")
    mentions = add(api, service=6, usernames="\n".join(f"user{i}" for i in range(12)))
    package = add(api, service=7, link="https://instagram.com/p/Pkg/")
    poll = add(api, service=19, link="https://t.me/chan/5", quantity=60, answer_number=2)
    sub = api("add", service=8, username="@someone", min=50, max=100, posts=3, expiry="")
    traffic = add(api, service=22, link="https://example.com/", quantity=500, country="US")
    drip = add(api, link="https://instagram.com/p/Drip/", quantity=50, runs=4, interval=10)
    ids = [comments, mentions, package, poll, sub["order"], traffic, drip]
    charges = api("status", orders=",".join(map(str, ids)))
    assert [c["charge"] for c in charges.values()] == [
        "0.04",  # 5 comment lines × 8.00 / 1000
        "0.066",  # 12 usernames × 5.50 / 1000
        "2.40",  # a package costs its rate
        "0.033",
        "0.225",  # max 100 × 3 posts × 0.75 / 1000
        "0.20",
        "0.12",  # 50 per run × 4 runs × 0.60 / 1000
    ]
    assert [c["remains"] for c in charges.values()] == ["5", "12", "1", "60", "300", "500", "200"]
    found = control("/orders", order=traffic)["orders"][0]
    assert found["params"] == {"country": "US"} and found["service"] == 22
    assert control("/orders", link="someone")["orders"][0]["order"] == sub["order"]

    assert api("add", service=5, link=LINK) == {"error": "comments is required for this service"}
    assert api("add", service=5, link=LINK, comments="just one")["error"].startswith("Quantity")
    assert api("add", service=19, link=LINK, quantity=60)["error"].startswith("answer_number")
    assert api("add", service=2, link=LINK, quantity=50, runs=2, interval=5) == {
        "error": "Drip-feed is disabled for this service"
    }
    assert api("add", service=1, quantity=100)["error"] == "link is required for this service"


# -- status over time --------------------------------------------------------------------


def test_an_order_moves_from_pending_to_completed_with_the_clock(api, clock):
    order = add(api, quantity=100)
    first = api("status", order=order)
    assert first == {
        "charge": "0.06",
        "start_count": "0",
        "status": "Pending",
        "remains": "100",
        "currency": "USD",
    }
    clock.advance(12)  # 10 s start delay, then 2 s at 10/s
    running = api("status", order=order)
    assert running["status"] == "In progress" and running["remains"] == "80"
    assert int(running["start_count"]) > 0
    clock.advance(5)
    assert api("status", order=order)["remains"] == "30"
    clock.advance(100)
    done = api("status", order=order)
    assert done["status"] == "Completed" and done["remains"] == "0"
    assert done["start_count"] == running["start_count"]


def test_drip_feed_runs_start_one_interval_apart(api, clock):
    order = add(api, quantity=50, runs=3, interval=1)  # 150 units, a run a minute
    clock.advance(10 + 30)
    assert api("status", order=order)["remains"] == "100"  # run 1 done, run 2 not begun
    clock.advance(60)
    assert api("status", order=order)["remains"] == "50"
    clock.advance(600)
    assert api("status", order=order)["status"] == "Completed"


def test_multi_status_is_keyed_by_the_ids_as_sent(api):
    first, second = add(api), add(api, link="https://instagram.com/p/Two/")
    answer = api("status", orders=f"{first}, {second},12,abc,{first}")
    assert list(answer) == [str(first), str(second), "12", "abc"]
    assert answer["12"] == {"error": "Incorrect order ID"}
    assert answer["abc"] == {"error": "Incorrect order ID"}
    assert answer[str(second)]["status"] == "Pending"
    hundred = ",".join(str(1_000_001 + i) for i in range(100))
    assert len(api("status", orders=hundred)) == 100
    assert "error" in api("status", orders=hundred + ",1")
    assert api("status", encoding="json", orders=[first, second]).keys() == {
        str(first),
        str(second),
    }


# -- fates, cancels, refills, balance ----------------------------------------------------


def test_partial_orders_stop_early_and_are_refunded(api, control, clock):
    control("/config", {"partial_rate": 1.0})
    order = add(api, quantity=1000)  # charge 0.60
    clock.advance(10_000)
    answer = api("status", order=order)
    assert answer["status"] == "Partial"
    remains = int(answer["remains"])
    assert 0 < remains < 1000
    refund = (Decimal("0.60") * remains / 1000).quantize(Decimal("0.00001"), "ROUND_DOWN")
    assert Decimal(api("balance")["balance"]) == Decimal("1000") - Decimal("0.60") + refund


def test_canceled_fate_ends_canceled_with_a_full_refund(api, control, clock):
    control("/config", {"cancel_rate": 1.0})
    order = add(api, quantity=1000)
    assert api("balance")["balance"] == "999.40"
    clock.advance(9)
    assert api("status", order=order)["status"] == "Pending"
    clock.advance(1)
    answer = api("status", order=order)
    assert (answer["status"], answer["remains"]) == ("Canceled", "1000")
    assert api("balance")["balance"] == "1000.00"


def test_a_partial_order_reports_its_charge_less_the_refund(api, control, clock):
    control("/config", {"partial_rate": 1.0})
    order = add(api, quantity=1000)  # charge 0.60
    clock.advance(10_000)
    answer = api("status", order=order)
    refund = (Decimal("0.60") * int(answer["remains"]) / 1000).quantize(
        Decimal("0.00001"), "ROUND_DOWN"
    )
    assert Decimal(answer["charge"]) == Decimal("0.60") - refund < Decimal("0.60")


def test_a_canceled_order_reports_a_charge_of_nothing(api, control, clock):
    control("/config", {"cancel_rate": 1.0})
    order = add(api, quantity=1000)
    assert api("status", order=order)["charge"] == "0.60"  # Pending: charged in full
    clock.advance(10)
    assert api("status", order=order)["charge"] == "0.00"


def test_an_order_canceled_part_way_reports_the_charge_for_what_was_delivered(api, clock):
    order = add(api, quantity=1000)  # charge 0.60
    clock.advance(10 + 40)  # 400 of 1000 delivered
    api("cancel", orders=f"{order}")
    assert api("status", order=order)["charge"] == "0.24"


def test_fates_follow_the_rates_and_the_seed():
    def fates(seed):
        state = SimulatorState(seed, SimConfig(partial_rate=0.3, cancel_rate=0.1), lambda: 0.0)
        service = base_services()[0]
        ids = [state.place_order(service, f"l{i}", 100) for i in range(400)]
        return [state.order_info(i)["fate"] for i in ids], state.statuses(ids)

    first, again, other = fates(5), fates(5), fates(6)
    assert first == again and first != other
    assert 80 <= first[0].count("Partial") <= 160 and 15 <= first[0].count("Canceled") <= 70


def test_cancel_refunds_what_was_not_delivered(api, clock):
    pending, running = add(api), add(api, quantity=1000, link="https://instagram.com/p/Run/")
    no_cancel = add(api, service=3, link="https://instagram.com/someone")
    answer = api("cancel", orders=f"{pending}")
    assert answer == [{"order": pending, "cancel": 1}]
    assert api("status", order=pending)["status"] == "Canceled"
    assert api("status", order=pending)["remains"] == "100"
    clock.advance(10 + 40)  # 400 of 1000 delivered
    answer = api("cancel", orders=f"{running},{no_cancel},77,{pending}")
    assert answer[0] == {"order": running, "cancel": 1}
    assert answer[1] == {"order": no_cancel, "cancel": {"error": NO_CANCEL}}
    assert answer[2] == {"order": 77, "cancel": {"error": "Incorrect order ID"}}
    assert answer[3]["cancel"]["error"].startswith("Order can not be canceled")
    status = api("status", order=running)
    assert (status["status"], status["remains"]) == ("Canceled", "600")
    clock.advance(1000)  # a canceled order stays canceled
    assert api("status", order=running)["remains"] == "600"
    # 1000 - 0.06 - 0.60 - 0.19 (followers) + 0.06 + 0.36 refunded
    assert api("balance")["balance"] == "999.57"
    assert api("cancel", order=pending)[0]["cancel"]["error"].startswith("Order can not")


def test_refills_only_for_ended_orders_and_progress_with_time(api, clock):
    order = add(api)
    no_refill = add(api, service=2, link="https://instagram.com/p/Two/")
    assert api("refill", order=order)["error"].startswith("Refill is not available")
    clock.advance(100)
    refill = api("refill", order=order)
    assert refill == {"refill": "5000001"}
    assert api("refill", order=no_refill) == {"error": "Refill is disabled for this service"}
    assert api("refill_status", refill=5000001) == {"status": "Pending"}
    clock.advance(10)
    assert api("refill_status", refill="5000001") == {"status": "In progress"}
    clock.advance(20)
    assert api("refill_status", refill=5000001) == {"status": "Completed"}
    many = api("refill", orders=f"{order},{no_refill},9")
    assert many == [
        {"order": order, "refill": 5000002},
        {"order": no_refill, "refill": {"error": "Refill is disabled for this service"}},
        {"order": 9, "refill": {"error": "Incorrect order ID"}},
    ]
    assert api("refill_status", refills="5000001,5000002,3") == [
        {"refill": 5000001, "status": "Completed"},
        {"refill": 5000002, "status": "Pending"},
        {"refill": 3, "status": {"error": "Refill not found"}},
    ]


def test_one_active_order_per_link_when_switched_on(api, control, clock):
    control("/config", {"one_active_per_link": True})
    add(api)
    assert api("add", service=1, link=LINK, quantity=100)["error"].startswith(
        "You have active order with this link"
    )
    add(api, service=2, link=LINK)  # another service may still use the link
    clock.advance(100)
    add(api)


# -- faults ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "status", "content_type"),
    [
        ("error500", 500, "text/html"),
        ("html", 200, "text/html; charset=utf-8"),
        ("garbage", 200, "application/json"),
        ("empty", 200, "application/json"),
    ],
)
def test_broken_answers_process_nothing_and_revert_after_count(
    sim, http, api, control, fault, status, content_type
):
    control("", {"fault": fault, "actions": ["add"], "count": 2})
    assert control()["faults_left"] == 2
    assert api("balance")["balance"] == "1000.00"  # other actions are untouched
    for _ in range(2):
        response = http.post(sim.url, data=ADD)
        assert response.status_code == status
        assert response.headers["content-type"] == content_type
        with pytest.raises(ValueError):
            json.loads(response.content)
    assert control()["faults_left"] == 0 and control()["orders_created"] == 0
    add(api)  # back to normal
    assert control()["requests"]["add"] == 3


def test_timeout_drops_the_request_unprocessed(sim, api, control):
    control("", {"fault": "timeout", "delay": 1.0, "count": 1})
    with pytest.raises(httpx.ReadTimeout), httpx.Client(timeout=0.5) as impatient:
        impatient.post(sim.url, data=ADD)
    assert control()["orders_created"] == 0
    add(api)


def test_timeout_closes_without_an_answer_for_a_patient_client(sim, control):
    control("", {"fault": "timeout", "delay": 0.2})
    with pytest.raises(httpx.RemoteProtocolError), httpx.Client(timeout=3) as patient:
        patient.post(sim.url, data={"key": KEY, "action": "balance"})
    assert control()["faults_left"] is None  # no count: lasts until switched off
    control("", {"fault": "none"})
    assert control()["fault"] is None


def test_slow_answers_after_the_delay(sim, control):
    control("", {"fault": "slow", "delay": 0.3, "actions": ["balance"]})
    started = time.monotonic()
    answer = httpx.post(sim.url, data={"key": KEY, "action": "balance"}, timeout=3).json()
    assert answer["balance"] == "1000.00" and time.monotonic() - started >= 0.3


def test_slowed_answers_are_served_side_by_side(sim, control):
    # Eight clients of a provider that answers after 30 s: all eight are being answered
    # at once (each counted as it arrives), long before the first answer is due.
    control("", {"fault": "slow", "delay": 30, "actions": ["balance"]})

    def ask() -> None:
        with contextlib.suppress(httpx.TransportError):  # cut off by the shutdown below
            httpx.post(sim.url, data={"key": KEY, "action": "balance"}, timeout=60)

    clients = [threading.Thread(target=ask, daemon=True) for _ in range(8)]
    for client in clients:
        client.start()
    deadline = time.monotonic() + 10
    while control()["requests"].get("balance", 0) < 8:
        assert time.monotonic() < deadline, "the slowed requests were served one at a time"
        time.sleep(0.02)
    sim.shutdown()  # ends the waits: the clients see their connections closed
    for client in clients:
        client.join(timeout=5)


def test_accept_then_timeout_places_exactly_one_order(sim, api, control):
    link = "https://instagram.com/p/Ambiguous/"
    control("", {"fault": "accept_then_timeout", "actions": ["add"], "delay": 1.0, "count": 1})
    with pytest.raises(httpx.ReadTimeout), httpx.Client(timeout=0.3) as impatient:
        impatient.post(sim.url, data=ADD | {"link": link})
    placed = control("/orders", link=link)["orders"]
    assert len(placed) == 1 and placed[0]["quantity"] == 100
    assert api("status", order=placed[0]["order"])["status"] == "Pending"
    stats = control()
    assert stats["orders_created"] == 1 and stats["requests"]["add"] == 1


def test_refuse_closes_the_port_then_listens_again(sim, http, control):
    balance = {"key": KEY, "action": "balance"}
    assert http.post(sim.url, data=balance).status_code == 200  # a kept-alive connection
    control("", {"fault": "refuse", "delay": 0.6})
    deadline = time.monotonic() + 2
    refused = False
    while time.monotonic() < deadline and not refused:
        try:
            http.post(sim.url, data=balance, timeout=0.5)
            time.sleep(0.02)
        except httpx.ConnectError:
            refused = True  # even the kept-alive connection was cut, so it reconnected
        except httpx.TransportError:
            pass  # the cut may also land in the middle of a request
    assert refused
    deadline = time.monotonic() + 5
    while True:
        try:
            answer = http.post(sim.url, data=balance, timeout=0.5)
            break
        except httpx.ConnectError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert answer.json()["balance"] == "1000.00"


def test_kept_alive_connections_survive_unread_bodies(sim, http):
    first = http.post(sim.url.replace("/api/v2", "/elsewhere"), content=b"x" * 5000)
    assert first.status_code == 404
    second = http.post(sim.url, data={"key": KEY, "action": "balance"})
    assert second.json()["balance"] == "1000.00"
    assert second.http_version == "HTTP/1.1"


def test_bad_control_requests_are_refused(control):
    control("", {"fault": "explode"}, expect=400)
    control("", {"fault": "slow", "count": 0}, expect=400)
    control("", {"fault": "slow", "delay": "soon"}, expect=400)
    control("/config", {"speed": 0}, expect=400)
    control("/config", {"partial_rate": 0.8, "cancel_rate": 0.5}, expect=400)
    control("/config", {"colour": "red"}, expect=400)
    control("/orders", expect=400)
    control("/nothing", expect=404)


# -- control -----------------------------------------------------------------------------


def test_control_counts_reports_and_resets(api, control, clock):
    order = add(api)
    api("status", order=order)
    api("status", orders=str(order))
    api("balance", key="wrong")
    stats = control()
    assert stats["requests"] == {"add": 1, "status": 2, "balance": 1}
    assert stats["orders_created"] == 1 and "orders" not in stats
    listed = control(orders=1)["orders"]
    assert listed[str(order)]["status"] == "Pending" and listed[str(order)]["link"] == LINK
    assert control("/config", {"start_delay": 0, "speed": 1000})["config"]["speed"] == 1000
    later = add(api, link="https://instagram.com/p/Fast/")
    clock.advance(1)
    assert api("status", order=later)["status"] == "Completed"  # config applies to new orders
    assert api("status", order=order)["status"] == "Pending"  # …never moves old ones
    assert control("/advance", {"seconds": 100})["time_offset"] == 100
    assert api("status", order=order)["status"] == "Completed"
    assert control("/orders", link="https://nowhere/")["orders"] == []

    assert control("/reset", {}) == {"reset": True}
    stats = control()
    assert stats["orders_created"] == 0 and stats["requests"] == {}
    assert stats["config"]["speed"] == 10 and stats["balance"] == "1000.00"
    assert add(api) == 1_000_001


def test_bulk_orders_for_benchmarks(api, control):
    spec = {"service": 9, "count": 300, "quantity": 1000}
    made = control("/orders", spec | {"link": "https://tiktok.com/@b/video/{n}"})
    assert made == {"first": 1_000_001, "last": 1_000_300, "count": 300}
    assert control("/orders", link="https://tiktok.com/@b/video/299")["orders"][0]["order"] == (
        1_000_300
    )
    assert api("balance")["balance"] == "996.40"  # 300 × 0.012
    assert control("/orders", {"service": 15, "count": 5, "quantity": 10000})["count"] == 5
    # 996.40 - 5 × 120.00 leaves 396.40: room for three more
    broke = control("/orders", {"service": 15, "count": 10, "quantity": 10000})
    assert broke["count"] == 3 and broke["error"] == "Not enough funds on balance"
    control("/orders", {"service": 9, "count": 0}, expect=400)
    control("/orders", {"service": 999, "count": 1}, expect=400)


def test_status_lookups_stay_fast_with_many_orders():
    state = SimulatorState(1, SimConfig(balance=Decimal(10**9)), lambda: 0.0)
    service = base_services()[8]
    ids = [
        state.place_order(service, f"https://tiktok.com/@a/video/{i}", 100) for i in range(20000)
    ]
    started = time.perf_counter()
    for batch in range(0, 20000, 100):
        assert None not in state.statuses(ids[batch : batch + 100])
    assert time.perf_counter() - started < 10  # generous: about 0.1 s; O(n) lookups take minutes


# -- command line ------------------------------------------------------------------------


def test_run_forever_prints_the_banner_and_stops():
    out, stop = StringIO(), threading.Event()
    options = {"out": out, "stop": stop, "port": 0, "key": "k", "verbosity": 1}
    runner = threading.Thread(target=run_forever, kwargs=options)
    runner.start()
    deadline = time.monotonic() + 5
    while "Ctrl-C" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    runner.join(timeout=5)
    text = out.getvalue()
    assert "SIMULATOR" in text and "DELIVERS NOTHING" in text and "stopped" in text


def test_management_command_passes_its_options(monkeypatch):
    from smmpanel.providers.management.commands import simulator

    seen = {}
    monkeypatch.setattr(simulator, "run_forever", lambda **kw: seen.update(kw))
    command = simulator.Command()
    parser = command.create_parser("smmpanel", "simulator")
    argv = ["--port", "8001", "--key", "sim-key", "--start-delay", "5", "--speed", "50"]
    argv += ["--partial-rate", "0.1", "--cancel-rate", "0.02", "--seed", "1", "--services", "0"]
    options = vars(parser.parse_args(argv))
    command.handle(**options)
    assert seen["port"] == 8001 and seen["start_delay"] == 5.0 and seen["services"] == 0


def test_python_dash_m_serves_until_sigterm():
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "smmpanel.providers.simulator", "--port", "0", "--key", "cli"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        url = None
        deadline = time.monotonic() + 10
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if "API v2 URL" in line:
                url = line.split(":", 1)[1].strip()
        assert url and url.startswith("http://127.0.0.1:")
        answer = httpx.post(url, data={"key": "cli", "action": "balance"}, timeout=5).json()
        assert answer == {"balance": "100000.00", "currency": "USD"}
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=5)
        process.stdout.close()
