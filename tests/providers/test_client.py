"""Unit tests of the provider API v2 client against httpx.MockTransport.

No database and no network: DNS answers are injected, every request is answered by a
handler in this file, and ``sleep`` only records the backoff delays.
"""

import json
import logging
import socket
import time
import zlib
from decimal import Decimal
from urllib.parse import parse_qs

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smmpanel.providers.client import (
    MemoryCircuitBreaker,
    ProviderAmbiguous,
    ProviderAmbiguousAnswer,
    ProviderBadAnswer,
    ProviderClient,
    ProviderError,
    ProviderRefused,
    ProviderUnavailable,
    RemoteService,
    RemoteStatus,
)
from smmpanel.providers.url_safety import UnsafeProviderUrl

KEY = "pk_SECRET0123456789abcdefSECRET"
URL = "https://provider.example/api/v2"
PUBLIC_IP = "93.184.216.34"
STATUS_OK = {"charge": "0.27819", "start_count": "3572", "status": "Partial", "remains": "157"}


def resolver(*addresses):
    """A getaddrinfo stand-in answering with ``addresses``; records the hosts asked."""

    def resolve(host, port, *args, **kwargs):
        resolve.asked.append((host, port))
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]

    resolve.asked = []
    return resolve


class Recorder:
    """Answers requests from a list of replies (the last one repeats) and keeps them."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.requests = []

    def __call__(self, request):
        self.requests.append(request)
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        if isinstance(reply, Exception):
            raise reply
        return reply(request)

    @property
    def calls(self):
        return len(self.requests)

    def form(self, index=0):
        return {k: v[0] for k, v in parse_qs(self.requests[index].content.decode()).items()}


def answer(data, status=200, **kwargs):
    """A handler answering ``data`` (a str/bytes body or something json.dumps takes)."""
    body = data if isinstance(data, str | bytes) else json.dumps(data)
    body = body.encode() if isinstance(body, str) else body
    # A fresh stream per request, not content=: the client must be the one decoding it.
    return lambda request: httpx.Response(status, stream=httpx.ByteStream(body), **kwargs)


def make(*replies, sleeps=None, **kwargs):
    """A client for ``URL`` whose transport plays ``replies``; returns (client, recorder)."""
    recorder = Recorder(*replies)
    kwargs.setdefault("resolve", resolver(PUBLIC_IP))
    client = ProviderClient(
        URL,
        KEY,
        transport=httpx.MockTransport(recorder),
        sleep=(sleeps if sleeps is not None else []).append,
        **kwargs,
    )
    return client, recorder


def read_timeout():
    return httpx.ReadTimeout("timed out")


def connect_timeout():
    return httpx.ConnectTimeout("timed out")


# --- the request on the wire -------------------------------------------------------------


def test_request_is_a_form_post_with_key_and_action():
    client, rec = make(answer(STATUS_OK))
    client.status("42")
    request = rec.requests[0]
    assert request.method == "POST"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert rec.form() == {"key": KEY, "action": "status", "order": "42"}


def test_request_goes_to_the_checked_address_with_host_header_and_sni():
    client, rec = make(answer(STATUS_OK))
    client.status("1")
    request = rec.requests[0]
    assert request.url.host == PUBLIC_IP
    assert request.url.path == "/api/v2"
    assert request.headers["host"] == "provider.example"
    assert request.extensions["sni_hostname"] == "provider.example"


def test_ipv6_address_is_used_in_brackets():
    client, rec = make(answer(STATUS_OK), resolve=resolver("2606:2800:220:1:248:1893:25c8:1946"))
    client.status("1")
    assert str(rec.requests[0].url).startswith("https://[2606:2800:220:1:248:1893:25c8:1946]/")


def test_host_is_resolved_on_every_call():
    resolve = resolver(PUBLIC_IP)
    client, _ = make(answer(STATUS_OK), resolve=resolve)
    client.status("1")
    client.status("2")
    assert resolve.asked == [("provider.example", 443), ("provider.example", 443)]


def test_timeouts_are_explicit():
    client, rec = make(answer(STATUS_OK), connect_timeout=3.0, read_timeout=7.0)
    client.status("1")
    assert rec.requests[0].extensions["timeout"] == {
        "connect": 3.0,
        "read": 7.0,
        "write": 7.0,
        "pool": 7.0,
    }


def test_allow_private_connects_by_name_without_resolving():
    def must_not_resolve(*args, **kwargs):
        raise AssertionError("resolved")

    rec = Recorder(answer(STATUS_OK))
    client = ProviderClient(
        "http://127.0.0.1:8765/api/v2",
        KEY,
        transport=httpx.MockTransport(rec),
        allow_private=True,
        resolve=must_not_resolve,
    )
    client.status("1")
    assert str(rec.requests[0].url) == "http://127.0.0.1:8765/api/v2"
    assert "sni_hostname" not in rec.requests[0].extensions


def test_add_sends_params_as_form_fields():
    client, rec = make(answer({"order": 1}))
    client.add(
        {"service": 7, "link": "https://x.test/p", "quantity": 100, "comments": ["a", "b"]}
        | {"interval": None, "dripfeed": True}
    )
    assert rec.form() == {
        "key": KEY,
        "action": "add",
        "service": "7",
        "link": "https://x.test/p",
        "quantity": "100",
        "comments": "a\nb",
        "dripfeed": "1",
    }


def test_add_params_cannot_override_key_or_action():
    client, rec = make(answer({"order": 1}))
    with pytest.raises(ValueError):
        client.add({"key": "other", "service": 1})
    assert rec.calls == 0


def test_id_with_a_comma_is_refused_before_sending():
    client, rec = make(answer(STATUS_OK))
    with pytest.raises(ValueError):
        client.status("1,2")
    assert rec.calls == 0


# --- answers parsed ----------------------------------------------------------------------


def test_services_accept_numbers_as_strings_or_numbers():
    client, _ = make(
        answer(
            '[{"service": 1, "name": "Followers", "type": "Default", "category": "IG",'
            ' "rate": "0.90", "min": "50", "max": 10000, "refill": true, "cancel": "0"},'
            ' {"service": "2", "name": "Views", "type": "Package", "category": "TT",'
            ' "rate": 0.000123, "min": 1, "max": "1", "refill": 1, "cancel": false,'
            ' "dripfeed": "1"}]'
        )
    )
    assert client.services() == [
        RemoteService(
            "1", "Followers", "Default", "IG", Decimal("0.90"), 50, 10000, True, False, False
        ),
        RemoteService("2", "Views", "Package", "TT", Decimal("0.000123"), 1, 1, True, False, True),
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(True, True), (False, False), (1, True), (0, False), ("1", True), ("0", False)],
)
def test_service_flags_accept_bool_int_and_string(raw, expected):
    entry = {"service": 1, "name": "n", "rate": "1", "min": 1, "max": 2, "refill": raw}
    client, _ = make(answer([entry]))
    assert client.services()[0].refill is expected


def test_services_missing_optional_fields_get_defaults():
    client, _ = make(answer([{"service": 3, "name": "n", "rate": "1", "min": 1, "max": 2}]))
    service = client.services()[0]
    assert (service.type, service.category, service.refill, service.cancel, service.dripfeed) == (
        "Default",
        "",
        False,
        False,
        False,
    )


def test_one_broken_service_makes_the_list_a_bad_answer():
    good = {"service": 1, "name": "n", "rate": "1", "min": 1, "max": 2}
    client, _ = make(answer([good, good | {"service": 2, "rate": "cheap"}]))
    with pytest.raises(ProviderBadAnswer, match=r"services\[1\].*service 2.*rate"):
        client.services()


@pytest.mark.parametrize("order", [23501, "23501"])
def test_add_returns_the_order_id_as_a_string(order):
    client, _ = make(answer({"order": order}))
    assert client.add({"service": 1, "link": "l", "quantity": 10}) == "23501"


def test_status_accepts_numbers_as_strings():
    client, _ = make(answer({**STATUS_OK, "currency": "USD"}))
    assert client.status("1") == RemoteStatus("Partial", Decimal("0.27819"), 3572, 157, "USD")


def test_status_accepts_numbers_as_numbers_and_keeps_money_exact():
    client, _ = make(
        answer('{"charge": 0.27819, "start_count": 3572, "status": "Completed", "remains": 0}')
    )
    status = client.status("1")
    assert status.charge == Decimal("0.27819") and isinstance(status.charge, Decimal)
    assert (status.start_count, status.remains, status.currency) == (3572, 0, None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("in progress", "In progress"),
        ("Inprogress", "In progress"),
        ("IN_PROGRESS", "In progress"),
        (" pending ", "Pending"),
        ("processing", "Processing"),
        ("COMPLETED", "Completed"),
        ("partial", "Partial"),
        ("Cancelled", "Canceled"),
        ("canceled", "Canceled"),
    ],
)
def test_status_spelling_is_normalised(raw, expected):
    client, _ = make(answer({"status": raw}))
    assert client.status("1").status == expected


def test_unknown_status_is_a_bad_answer():
    client, _ = make(answer({"status": "Refunded"}))
    with pytest.raises(ProviderBadAnswer, match="unknown status"):
        client.status("1")


def test_empty_or_null_optional_status_fields_are_none():
    client, _ = make(answer({"status": "Pending", "charge": "", "start_count": None}))
    assert client.status("1") == RemoteStatus("Pending", None, None, None, None)


def test_multi_status_sends_ids_comma_joined():
    client, rec = make(answer({"1": STATUS_OK, "2": STATUS_OK}))
    client.multi_status(["1", "2", "1"])
    assert rec.form()["orders"] == "1,2"


def test_multi_status_maps_ids_and_per_id_errors():
    client, _ = make(answer({"1": STATUS_OK, "10": {"error": "Incorrect order ID"}}))
    result = client.multi_status(["1", "10"])
    assert result["1"].status == "Partial"
    assert isinstance(result["10"], ProviderRefused)
    assert result["10"].message == "Incorrect order ID"


def test_multi_status_leaves_out_missing_and_unreadable_ids():
    client, _ = make(answer({"1": STATUS_OK, "2": {"status": "Exploded"}, "3": [1]}))
    assert set(client.multi_status(["1", "2", "3", "4"])) == {"1"}


def test_multi_status_refuses_more_than_100_ids_without_sending():
    client, rec = make(answer({}))
    with pytest.raises(ValueError, match="100"):
        client.multi_status([str(i) for i in range(101)])
    assert rec.calls == 0


def test_multi_status_of_no_ids_sends_nothing():
    client, rec = make(answer({}))
    assert client.multi_status([]) == {}
    assert rec.calls == 0


def test_multi_status_top_level_error_is_refused():
    client, _ = make(answer({"error": "Invalid API key"}))
    with pytest.raises(ProviderRefused, match="Invalid API key"):
        client.multi_status(["1", "2"])


@pytest.mark.parametrize("refill", [1, "1"])
def test_refill_returns_the_refill_id_as_a_string(refill):
    client, rec = make(answer({"refill": refill}))
    assert client.refill("9") == "1"
    assert rec.form()["order"] == "9"


def test_refill_nested_error_is_refused():
    client, _ = make(answer({"refill": {"error": "Refill not allowed"}}))
    with pytest.raises(ProviderRefused, match="Refill not allowed"):
        client.refill("9")


def test_refill_status_returns_the_status_text():
    client, rec = make(answer({"status": "Completed"}))
    assert client.refill_status("5") == "Completed"
    assert rec.form() == {"key": KEY, "action": "refill_status", "refill": "5"}


def test_cancel_maps_results_and_per_id_errors():
    client, rec = make(
        answer(
            [{"order": 9, "cancel": 1}, {"order": "2", "cancel": {"error": "Incorrect order ID"}}]
        )
    )
    result = client.cancel(["9", "2"])
    assert result["9"] is True
    assert isinstance(result["2"], ProviderRefused)
    assert rec.form()["orders"] == "9,2"


def test_balance_is_decimal_with_currency():
    client, _ = make(answer('{"balance": "100.84292", "currency": "USD"}'))
    assert client.balance() == (Decimal("100.84292"), "USD")


def test_balance_from_a_json_number_is_decimal_not_float():
    client, _ = make(answer('{"balance": 0.1, "currency": "EUR"}'))
    amount, _ = client.balance()
    assert type(amount) is Decimal and amount == Decimal("0.1")


# --- fault modes -------------------------------------------------------------------------


def test_connect_timeout_is_unavailable_after_all_retries():
    sleeps = []
    client, rec = make(connect_timeout(), sleeps=sleeps)
    with pytest.raises(ProviderUnavailable, match="not sent"):
        client.status("1")
    assert rec.calls == 3
    assert len(sleeps) == 2


def test_connect_error_is_retried_until_it_works():
    client, rec = make(httpx.ConnectError("refused"), answer(STATUS_OK))
    assert client.status("1").status == "Partial"
    assert rec.calls == 2


def test_add_is_retried_after_a_connect_error():
    client, rec = make(httpx.ConnectError("refused"), answer({"order": 5}))
    assert client.add({"service": 1}) == "5"
    assert rec.calls == 2


def test_add_is_not_retried_after_a_read_timeout():
    client, rec = make(read_timeout(), answer({"order": 5}))
    with pytest.raises(ProviderAmbiguous, match="may have received"):
        client.add({"service": 1})
    assert rec.calls == 1


def test_add_is_not_retried_after_a_connection_reset():
    client, rec = make(httpx.RemoteProtocolError("Server disconnected"), answer({"order": 5}))
    with pytest.raises(ProviderAmbiguous):
        client.add({"service": 1})
    assert rec.calls == 1


def test_status_is_retried_after_a_read_timeout():
    client, rec = make(read_timeout(), answer(STATUS_OK))
    assert client.status("1").status == "Partial"
    assert rec.calls == 2


def test_status_read_timeouts_exhausting_retries_are_ambiguous():
    client, rec = make(read_timeout())
    with pytest.raises(ProviderAmbiguous):
        client.status("1")
    assert rec.calls == 3


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_5xx_on_a_read_is_retried(code):
    client, rec = make(answer("oops", status=code), answer(STATUS_OK))
    assert client.status("1").status == "Partial"
    assert rec.calls == 2


@pytest.mark.parametrize("code", [500, 502])
def test_5xx_on_add_is_ambiguous_and_not_retried(code):
    client, rec = make(answer("Bad Gateway", status=code), answer({"order": 5}))
    with pytest.raises(ProviderAmbiguous, match=f"HTTP {code}"):
        client.add({"service": 1})
    assert rec.calls == 1


@pytest.mark.parametrize("method", ["refill", "cancel"])
def test_5xx_on_refill_and_cancel_is_ambiguous(method):
    client, rec = make(answer("", status=500))
    with pytest.raises(ProviderAmbiguous):
        client.refill("1") if method == "refill" else client.cancel(["1"])
    assert rec.calls == 1


def test_html_page_is_a_bad_answer():
    client, _ = make(answer("<!DOCTYPE html><html><title>Just a moment...</title></html>"))
    with pytest.raises(ProviderBadAnswer, match="HTML page"):
        client.status("1")


def test_empty_body_is_a_bad_answer():
    client, _ = make(answer(""))
    with pytest.raises(ProviderBadAnswer, match="empty answer"):
        client.balance()


def test_garbage_json_is_a_bad_answer():
    client, _ = make(answer('{"status": "Completed",'))
    with pytest.raises(ProviderBadAnswer, match="not valid JSON"):
        client.status("1")


def test_invalid_utf8_is_a_bad_answer():
    client, _ = make(answer(b'{"status": "\xff\xfe"}'))
    with pytest.raises(ProviderBadAnswer):
        client.status("1")


def test_deeply_nested_json_is_a_bad_answer():
    client, _ = make(answer("[" * 100_000))
    with pytest.raises(ProviderBadAnswer):
        client.services()


def test_json_list_where_an_object_is_expected_is_a_bad_answer():
    client, _ = make(answer([STATUS_OK]))
    with pytest.raises(ProviderBadAnswer, match="expected a JSON object"):
        client.status("1")


def test_json_object_where_a_list_is_expected_is_a_bad_answer():
    client, _ = make(answer({"1": {"service": 1}}))
    with pytest.raises(ProviderBadAnswer, match="list of services"):
        client.services()


@pytest.mark.parametrize(
    "entry",
    [
        {"status": "Partial", "charge": [1]},
        {"status": "Partial", "remains": "a lot"},
        {"status": "Partial", "start_count": True},
        {"status": "Partial", "start_count": "12.5"},
        {"status": "Partial", "charge": "NaN"},
        {"status": "Partial", "charge": "-1"},
        {"status": 3},
        {"charge": "1"},
    ],
    ids=["list", "words", "bool", "fraction", "nan", "negative", "status-number", "no-status"],
)
def test_wrong_types_are_a_bad_answer(entry):
    client, _ = make(answer(entry))
    with pytest.raises(ProviderBadAnswer):
        client.status("1")


def test_balance_without_currency_is_a_bad_answer():
    client, _ = make(answer({"balance": "1.00"}))
    with pytest.raises(ProviderBadAnswer, match="currency"):
        client.balance()


def test_error_answer_is_refused_with_its_text():
    client, _ = make(answer({"error": "Not enough funds on balance"}))
    with pytest.raises(ProviderRefused) as caught:
        client.add({"service": 1})
    assert caught.value.message == "Not enough funds on balance"
    assert not isinstance(caught.value, ProviderAmbiguous)


def test_error_answer_with_a_4xx_status_is_refused():
    client, _ = make(answer({"error": "Invalid API key"}, status=401))
    with pytest.raises(ProviderRefused, match="Invalid API key"):
        client.balance()


def test_null_error_beside_a_success_is_ignored():
    client, _ = make(answer({"order": 7, "error": None}))
    assert client.add({"service": 1}) == "7"


def test_order_id_beside_an_error_is_not_taken_as_a_refusal():
    client, _ = make(answer({"order": 7, "error": "something"}))
    with pytest.raises(ProviderAmbiguous):
        client.add({"service": 1})


def test_4xx_html_page_is_a_bad_answer():
    client, _ = make(answer("<html>Not Found</html>", status=404))
    with pytest.raises(ProviderBadAnswer, match="HTTP 404"):
        client.balance()


def test_429_is_unavailable_and_not_acted_upon():
    client, rec = make(answer("slow down", status=429))
    with pytest.raises(ProviderUnavailable, match="429"):
        client.add({"service": 1})
    assert rec.calls == 1


def test_redirect_is_a_bad_answer_and_not_followed():
    client, rec = make(answer("", status=301, headers={"Location": "https://elsewhere.test/"}))
    with pytest.raises(ProviderBadAnswer, match="redirect"):
        client.balance()
    assert rec.calls == 1


def test_huge_body_is_a_bad_answer():
    def stream(request):
        chunks = (b" " * 1_000_000 for _ in range(6))
        return httpx.Response(200, content=chunks)  # no Content-Length: counted as it arrives

    client, _ = make(stream)
    with pytest.raises(ProviderBadAnswer, match="larger than"):
        client.services()


def test_huge_declared_content_length_is_refused_before_reading():
    def declared(request):
        return httpx.Response(200, headers={"Content-Length": str(50 * 1024 * 1024)}, content=b"")

    client, _ = make(declared)
    with pytest.raises(ProviderBadAnswer, match="larger than"):
        client.services()


def test_body_cut_off_mid_read_is_retried_for_reads():
    def cut(request):
        def chunks():
            yield b'{"status": '
            raise httpx.ReadError("connection reset")

        return httpx.Response(200, content=chunks())

    client, rec = make(cut, answer(STATUS_OK))
    assert client.status("1").status == "Partial"
    assert rec.calls == 2


def test_answer_trickling_past_the_deadline_is_ambiguous_for_add():
    def trickle(request):
        def chunks():
            for part in (b'{"order"', b": ", b"5}"):
                time.sleep(0.02)
                yield part

        return httpx.Response(200, content=chunks())

    client, _ = make(trickle, connect_timeout=0.001, read_timeout=0.001)
    with pytest.raises(ProviderAmbiguous, match="still incomplete"):
        client.add({"service": 1})


def test_add_connect_errors_exhausting_retries_are_unavailable():
    client, rec = make(httpx.ConnectError("refused"))
    with pytest.raises(ProviderUnavailable) as caught:
        client.add({"service": 1})
    assert not isinstance(caught.value, ProviderAmbiguous)
    assert rec.calls == 3


def test_bad_compression_is_a_bad_answer():
    client, _ = make(answer(b"not gzip at all", headers={"Content-Encoding": "gzip"}))
    with pytest.raises(ProviderBadAnswer, match="decoded"):
        client.balance()


def test_compressed_answer_is_decoded():
    body = zlib.compress(b'{"balance": "5", "currency": "USD"}')
    client, _ = make(answer(body, headers={"Content-Encoding": "deflate"}))
    assert client.balance() == (Decimal("5"), "USD")


def test_bad_answer_to_add_is_also_ambiguous():
    client, _ = make(answer("<html>500 Internal Server Error</html>"))
    with pytest.raises(ProviderAmbiguousAnswer) as caught:
        client.add({"service": 1})
    assert isinstance(caught.value, ProviderBadAnswer)
    assert isinstance(caught.value, ProviderAmbiguous)


def test_bad_answer_to_a_read_is_not_ambiguous():
    client, _ = make(answer("<html></html>"))
    with pytest.raises(ProviderBadAnswer) as caught:
        client.status("1")
    assert not isinstance(caught.value, ProviderAmbiguous)


def test_bad_answers_are_not_retried():
    client, rec = make(answer("<html></html>"), answer(STATUS_OK))
    with pytest.raises(ProviderBadAnswer):
        client.status("1")
    assert rec.calls == 1


def test_unexpected_transport_exception_on_add_is_ambiguous():
    client, rec = make(RuntimeError("transport bug"))
    with pytest.raises(ProviderAmbiguous, match="RuntimeError"):
        client.add({"service": 1})
    assert rec.calls == 1


def test_backoff_grows_exponentially_with_jitter():
    sleeps = []
    client, _ = make(connect_timeout(), sleeps=sleeps, retries=3, backoff=1.0)
    with pytest.raises(ProviderUnavailable):
        client.balance()
    assert len(sleeps) == 3
    for delay, base in zip(sleeps, [1.0, 2.0, 4.0], strict=True):
        assert base / 2 <= delay <= base


def test_zero_retries_means_one_attempt():
    client, rec = make(connect_timeout(), retries=0)
    with pytest.raises(ProviderUnavailable):
        client.status("1")
    assert rec.calls == 1


def test_retries_rotate_through_resolved_addresses():
    client, rec = make(
        httpx.ConnectError("refused"),
        answer(STATUS_OK),
        resolve=resolver(PUBLIC_IP, "151.101.1.69"),
    )
    client.status("1")
    assert [r.url.host for r in rec.requests] == [PUBLIC_IP, "151.101.1.69"]


def test_host_resolving_to_a_private_address_is_unavailable_without_a_request():
    client, rec = make(answer(STATUS_OK), resolve=resolver("10.0.0.7"))
    with pytest.raises(ProviderUnavailable, match="private"):
        client.status("1")
    assert rec.calls == 0


def test_dns_failure_is_unavailable_and_retried():
    def failing(*args, **kwargs):
        failing.calls += 1
        raise socket.gaierror(-2, "Name or service not known")

    failing.calls = 0
    client, rec = make(answer(STATUS_OK), resolve=failing)
    with pytest.raises(ProviderUnavailable, match="does not resolve"):
        client.status("1")
    assert (failing.calls, rec.calls) == (3, 0)


def test_constructor_refuses_an_unsafe_url():
    with pytest.raises(UnsafeProviderUrl):
        ProviderClient("http://127.0.0.1/api/v2", KEY)


# --- circuit breaker ---------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_memory_breaker_opens_after_threshold_consecutive_failures():
    breaker = MemoryCircuitBreaker(threshold=5, clock=Clock())
    for _ in range(4):
        breaker.record_failure()
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    assert not breaker.allow()


def test_memory_breaker_success_resets_the_failure_count():
    breaker = MemoryCircuitBreaker(threshold=2, clock=Clock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state == "closed"


def test_memory_breaker_half_opens_after_cooldown_for_one_probe():
    clock = Clock()
    breaker = MemoryCircuitBreaker(threshold=1, cooldown=30, clock=clock)
    breaker.record_failure()
    clock.now += 29.9
    assert not breaker.allow()
    clock.now += 0.2
    assert breaker.state == "half-open"
    assert breaker.allow()
    assert not breaker.allow()  # only one probe at a time


def test_memory_breaker_probe_success_closes():
    clock = Clock()
    breaker = MemoryCircuitBreaker(threshold=1, cooldown=30, clock=clock)
    breaker.record_failure()
    clock.now += 31
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.allow() and breaker.allow()


def test_memory_breaker_probe_failure_reopens_for_a_full_cooldown():
    clock = Clock()
    breaker = MemoryCircuitBreaker(threshold=5, cooldown=30, clock=clock)
    for _ in range(5):
        breaker.record_failure()
    clock.now += 31
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    clock.now += 29
    assert not breaker.allow()


def test_memory_breaker_lost_probe_frees_the_slot_after_a_cooldown():
    clock = Clock()
    breaker = MemoryCircuitBreaker(threshold=1, cooldown=30, clock=clock)
    breaker.record_failure()
    clock.now += 31
    assert breaker.allow()  # this probe never reports back
    clock.now += 31
    assert breaker.allow()


def test_open_breaker_refuses_without_any_request():
    breaker = MemoryCircuitBreaker(threshold=1, clock=Clock())
    breaker.record_failure()
    client, rec = make(answer(STATUS_OK), breaker=breaker)
    with pytest.raises(ProviderUnavailable, match="circuit breaker open"):
        client.status("1")
    assert rec.calls == 0


def test_client_failures_open_the_breaker_after_five():
    breaker = MemoryCircuitBreaker(threshold=5, clock=Clock())
    client, rec = make(httpx.ConnectError("refused"), breaker=breaker, retries=0)
    for _ in range(5):
        with pytest.raises(ProviderUnavailable, match="not sent"):
            client.balance()
    with pytest.raises(ProviderUnavailable, match="circuit breaker open"):
        client.balance()
    assert rec.calls == 5


def test_each_retry_attempt_counts_as_a_failure():
    breaker = MemoryCircuitBreaker(threshold=3, clock=Clock())
    client, rec = make(connect_timeout(), breaker=breaker, retries=5)
    with pytest.raises(ProviderUnavailable, match="circuit breaker open"):
        client.balance()
    assert rec.calls == 3


def test_breaker_half_open_probe_through_the_client_closes_it():
    clock = Clock()
    breaker = MemoryCircuitBreaker(threshold=1, cooldown=30, clock=clock)
    breaker.record_failure()
    client, rec = make(answer(STATUS_OK), breaker=breaker)
    clock.now += 31
    client.status("1")
    assert breaker.state == "closed"


def test_refusal_counts_as_success_for_the_breaker():
    breaker = MemoryCircuitBreaker(threshold=1, clock=Clock())
    client, _ = make(answer({"error": "Incorrect order ID"}), breaker=breaker)
    for _ in range(3):
        with pytest.raises(ProviderRefused):
            client.status("1")
    assert breaker.state == "closed"


def test_bad_answer_counts_as_failure_for_the_breaker():
    breaker = MemoryCircuitBreaker(threshold=1, clock=Clock())
    client, _ = make(answer("<html></html>"), breaker=breaker)
    with pytest.raises(ProviderBadAnswer):
        client.status("1")
    assert breaker.state == "open"


def test_broken_breaker_never_loses_an_order_id():
    class Broken:
        def allow(self):
            raise RuntimeError("redis down")

        def record_success(self):
            raise RuntimeError("redis down")

        def record_failure(self):
            raise RuntimeError("redis down")

    client, _ = make(answer({"order": 77}), breaker=Broken())
    assert client.add({"service": 1}) == "77"


# --- the key stays secret ----------------------------------------------------------------


def echo_html(request):
    return httpx.Response(200, content=b"<html>you sent " + request.content + b"</html>")


def echo_json_error(request):
    return answer({"error": f"Invalid API key {KEY}"})(request)


def echo_in_multi_status(request):
    return answer({"1": {"error": f"bad key {KEY}"}})(request)


def echo_redirect(request):
    return httpx.Response(302, headers={"Location": f"https://x.test/?key={KEY}"})


def echo_in_exception(request):
    raise httpx.ReadTimeout(f"timed out sending {request.content!r}")


def echo_in_garbage(request):
    return answer(b'{"status": "' + request.content + b'", "remains": [')(request)


def echo_in_bad_field(request):
    return answer({"status": KEY})(request)


@pytest.mark.parametrize(
    "handler",
    [
        echo_html,
        echo_json_error,
        echo_in_multi_status,
        echo_redirect,
        echo_in_exception,
        echo_in_garbage,
        echo_in_bad_field,
    ],
)
def test_key_never_appears_in_errors_or_logs(handler, caplog):
    caplog.set_level(logging.DEBUG)
    client, _ = make(handler)
    seen = []
    for call in (lambda: client.status("1"), lambda: client.add({"service": 1})):
        try:
            call()
        except ProviderError as exc:
            seen += [str(exc), exc.message, repr(exc)]
    try:
        seen += [str(v) for v in client.multi_status(["1"]).values()]
    except ProviderError as exc:
        seen.append(str(exc))
    assert seen
    for text in [*seen, caplog.text]:
        assert KEY not in text


def test_key_is_not_in_the_clients_repr():
    client, _ = make(answer(STATUS_OK))
    assert KEY not in repr(client)


# --- nothing but ProviderError escapes ---------------------------------------------------

JSON_KEYS = st.sampled_from(
    [
        "error",
        "order",
        "status",
        "charge",
        "start_count",
        "remains",
        "currency",
        "refill",
        "cancel",
        "balance",
        "service",
        "name",
        "rate",
        "min",
        "max",
        "1",
        "2",
    ]
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(["Completed", "in progress", "0.5", "12", "1e400", "NaN", "-3", ""]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(JSON_KEYS, inner, max_size=5),
    max_leaves=12,
)
BODIES = st.binary(max_size=300) | JSON_VALUES.map(lambda v: json.dumps(v).encode())
CALLS = {
    "services": lambda c: c.services(),
    "add": lambda c: c.add({"service": 1, "link": "l", "quantity": 1}),
    "status": lambda c: c.status("1"),
    "multi_status": lambda c: c.multi_status(["1", "2"]),
    "refill": lambda c: c.refill("1"),
    "refill_status": lambda c: c.refill_status("1"),
    "cancel": lambda c: c.cancel(["1", "2"]),
    "balance": lambda c: c.balance(),
}
FAILURES = st.sampled_from(
    [
        httpx.ConnectError("x"),
        httpx.ReadTimeout("x"),
        httpx.WriteTimeout("x"),
        httpx.RemoteProtocolError("x"),
        httpx.LocalProtocolError("x"),
        OSError("x"),
        ValueError("x"),
    ]
)
HEADERS = st.dictionaries(
    st.sampled_from(["Content-Encoding", "Location", "Content-Type"]),
    st.sampled_from(["gzip", "deflate", "br", "zstd", "identity", "text/html", "x"]),
    max_size=2,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(sorted(CALLS)),
    replies=st.lists(
        st.tuples(st.integers(min_value=100, max_value=599), BODIES, HEADERS) | FAILURES,
        min_size=1,
        max_size=3,
    ),
)
def test_garbage_answers_raise_nothing_but_provider_errors(method, replies):
    def to_reply(item):
        if isinstance(item, Exception):
            return item
        code, body, headers = item
        return answer(body, code, headers=headers)

    client, _ = make(*[to_reply(r) for r in replies])
    try:
        CALLS[method](client)
    except ProviderError as exc:
        assert KEY not in str(exc)
