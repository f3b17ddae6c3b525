"""The simulator as a WSGI application: API v2 at ``/api/v2`` and a control API for tests.

API v2 (``/api/v2`` and ``/api/v2/``, never redirected) takes ``key``, ``action`` and
parameters as a form POST, a JSON body or a GET query, and always answers HTTP 200 JSON,
errors as ``{"error": "…"}`` — unless a fault mode says otherwise.

The control API (plain JSON, real HTTP status codes, no key: bind to loopback):

- ``GET  /control`` — counters: requests by action, orders_created, faults_left, …;
  ``?orders=1`` adds every order.
- ``POST /control`` — ``{"fault": …, "actions": […], "count": N, "delay": s}`` (see faults.py).
- ``POST /control/reset`` — forget orders, refills, counters, faults, time jumps.
- ``GET|POST /control/config`` — read or change start_delay, speed, partial_rate,
  cancel_rate, refill_seconds, balance, currency, one_active_per_link.
- ``GET  /control/orders?link=…`` (or ``?order=ID``) — the orders placed on that link.
- ``POST /control/orders`` — ``{"service": 9, "count": N, "quantity": Q, "link": "…{n}…"}``:
  place N orders at once (benchmarks need 100,000 without 100,000 requests); answers
  ``{"first": id, "last": id, "count": n}`` (+ ``"error"`` if the balance ran out).
- ``POST /control/advance`` — ``{"seconds": N}``: move the simulator's time forward.
"""

import json
import logging
import threading
from collections.abc import Callable, Iterable
from urllib.parse import parse_qs, parse_qsl

from smmpanel.providers.simulator.actions import ACTIONS
from smmpanel.providers.simulator.catalog import Catalog
from smmpanel.providers.simulator.faults import Fault, FaultSwitch, parse_fault
from smmpanel.providers.simulator.state import SimError, SimulatorState

log = logging.getLogger(__name__)

MAX_BODY = 2_000_000
MAX_BULK = 1_000_000
API_PATHS = ("/api/v2", "/api/v2/")
BANNER_TEXT = (
    "SMM panel upstream provider SIMULATOR - a development and test tool.\n"
    "It talks to no social platform and DELIVERS NOTHING: orders only pretend\n"
    "to progress with a clock. API v2 at /api/v2, test control at /control.\n"
)
HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>"
    b"<h1>Checking your browser before accessing the site.</h1>"
    b"<p>(provider simulator: html fault mode)</p></body></html>"
)
ERROR_PAGE = (
    b"<html><head><title>500 Internal Server Error</title></head><body>"
    b"<h1>Internal Server Error</h1><p>(provider simulator: error500 fault mode)</p>"
    b"</body></html>"
)
GARBAGE = b'{"order": 10\x00\xff<br />\n<b>Warning</b>: mysqli_connect(): (HY000/2002) in'

StartResponse = Callable[..., object]


class DropConnection(ConnectionAbortedError):
    """Raised to end a request with no answer at all.

    It is a socket error to the server (ConnectionAbortedError), so waitress, told not to
    report socket errors (server.py), writes nothing and closes the connection, which is
    exactly what a provider that times out looks like.
    """


class BadRequest(Exception):
    """A request body that is neither a form nor a JSON object."""


class SimulatorApp:
    """The WSGI callable. ``refuse`` (set by the server) stops listening for N seconds."""

    def __init__(
        self,
        state: SimulatorState,
        catalog: Catalog,
        key: str,
        refuse: Callable[[float], None] | None = None,
        stopping: threading.Event | None = None,
    ):
        self.state = state
        self.catalog = catalog
        self.key = key
        self.faults = FaultSwitch()
        self.refuse = refuse
        # Set on shutdown so fault sleeps end at once instead of holding threads.
        self.stopping = stopping or threading.Event()

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        try:
            if path in API_PATHS:
                return self._api(environ, start_response)
            if path == "/control" or path.startswith("/control/"):
                return self._control(path, environ, start_response)
            if path == "/":
                return _reply(start_response, "200 OK", BANNER_TEXT.encode(), "text/plain")
            return _reply(start_response, "404 Not Found", b"Not found\n", "text/plain")
        except DropConnection:
            raise
        except Exception:  # a simulator bug must still answer something parseable
            log.exception("provider simulator request failed")
            return _json(
                start_response, {"error": "Simulator internal error"}, "500 Internal Server Error"
            )

    # -- API v2 -----------------------------------------------------------------------

    def _api(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        try:
            params = read_params(environ)
        except BadRequest:
            params = None
        action = str((params or {}).get("action") or "").strip().lower()
        self.state.count_request(action or "(none)")
        fault = self.faults.take(action)
        if fault is not None and fault.mode != "accept_then_timeout":
            early = self._fault_before(fault, start_response)
            if early is not None:
                return early
        body = self._answer(params, action)
        if fault is not None and fault.mode == "accept_then_timeout":
            # The work is done (an order exists); the client just never hears about it
            # in time. A client that waited longer than ``delay`` gets the real answer.
            self.stopping.wait(fault.delay)
        return _reply(start_response, "200 OK", body)

    def _answer(self, params: dict | None, action: str) -> bytes:
        try:
            if params is None:
                raise SimError("Incorrect request")
            if str(params.get("key") or "").strip() != self.key:
                raise SimError("Invalid API key")
            handler = ACTIONS.get(action)
            if handler is None:
                raise SimError("Incorrect request")
            result = handler(self.state, self.catalog, params)
        except SimError as exc:
            result = {"error": exc.message}
        if isinstance(result, bytes):
            return result
        return json.dumps(result, separators=(",", ":"), ensure_ascii=False).encode()

    def _fault_before(self, fault: Fault, start_response: StartResponse) -> list[bytes] | None:
        """Answer (or drop) a request the fault stops before processing; None to go on."""
        if fault.mode == "slow":
            self.stopping.wait(fault.delay)
            return None
        if fault.mode == "timeout":
            self.stopping.wait(fault.delay)
            raise DropConnection("provider simulator: timeout fault")
        if fault.mode == "error500":
            return _reply(start_response, "500 Internal Server Error", ERROR_PAGE, "text/html")
        if fault.mode == "html":
            return _reply(start_response, "200 OK", HTML_PAGE, "text/html; charset=utf-8")
        if fault.mode == "garbage":
            return _reply(start_response, "200 OK", GARBAGE)
        if fault.mode == "empty":
            return _reply(start_response, "200 OK", b"")
        return None

    # -- control ----------------------------------------------------------------------

    def _control(self, path: str, environ: dict, start_response: StartResponse) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        query = parse_qs(environ.get("QUERY_STRING", ""))
        try:
            body = _json_body(environ) if method == "POST" else {}
            if path == "/control" and method == "GET":
                listed = query.get("orders", ["0"])[0].lower() not in ("0", "false", "no", "")
                return _json(start_response, self.stats(listed))
            if path == "/control" and method == "POST":
                return _json(start_response, self._set_fault(body))
            if path == "/control/reset" and method == "POST":
                self.reset()
                return _json(start_response, {"reset": True})
            if path == "/control/config" and method in ("GET", "POST"):
                config = self.state.configure(body) if body else self.state.config
                return _json(start_response, {"config": config.as_json()})
            if path == "/control/orders" and method == "GET":
                return _json(start_response, {"orders": self._find_orders(query)})
            if path == "/control/orders" and method == "POST":
                return _json(start_response, self._bulk_orders(body))
            if path == "/control/advance" and method == "POST":
                self.state.advance(_number(body.get("seconds"), "seconds"))
                return _json(start_response, {"time_offset": self.state.stats()["time_offset"]})
        except (BadRequest, ValueError, TypeError) as exc:
            return _json(start_response, {"error": str(exc) or "bad request"}, "400 Bad Request")
        return _json(start_response, {"error": "no such control endpoint"}, "404 Not Found")

    def stats(self, include_orders: bool = False) -> dict:
        """What ``GET /control`` answers."""
        return self.state.stats(include_orders) | self.faults.describe()

    def reset(self) -> None:
        """Back to a fresh simulator, as ``POST /control/reset`` does."""
        self.faults.clear()
        self.state.reset()

    def _set_fault(self, body: dict) -> dict:
        fault = parse_fault(body)
        if fault.mode == "refuse":
            if self.refuse is None:
                raise ValueError("refuse needs the simulator's own server (server.py)")
            self.faults.set(fault)
            # Answer this request first, then stop listening.
            threading.Timer(0.05, self.refuse, (fault.delay,)).start()
            return {"fault": fault.as_json(None)}
        self.faults.set(fault)
        return self.faults.describe()

    def _bulk_orders(self, body: dict) -> dict:
        service = self.catalog.get(body.get("service"))
        if service is None:
            raise ValueError("service must be a simulator service id")
        count, quantity = body.get("count"), body.get("quantity", service.min)
        for name, value in (("count", count), ("quantity", quantity)):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_BULK:
                raise ValueError(f"{name} must be a whole number from 1 to {MAX_BULK}")
        link = str(body.get("link") or "https://example.com/bench/{n}")
        made: list[int] = []
        answer: dict = {}
        try:
            for number in range(count):
                target = link.replace("{n}", str(number))
                made.append(self.state.place_order(service, target, quantity))
        except SimError as exc:  # the balance ran out: say how far it got
            answer["error"] = exc.message
        first, last = (made[0], made[-1]) if made else (None, None)
        return answer | {"first": first, "last": last, "count": len(made)}

    def _find_orders(self, query: dict) -> list[dict]:
        if "link" in query:
            return self.state.orders_with_link(query["link"][0])
        if "order" in query:
            found = self.state.order_info(query["order"][0])
            return [found] if found else []
        raise ValueError("give ?link=… or ?order=…")


def read_params(environ: dict) -> dict:
    """Query string, then form or JSON body (later ones win). BadRequest if unreadable."""
    params: dict = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
    if environ.get("REQUEST_METHOD") != "POST":
        return params
    body = _read_body(environ)
    content_type = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
    try:
        if content_type == "application/json" or (
            content_type != "application/x-www-form-urlencoded" and body[:1] in (b"{", b"[")
        ):
            data = json.loads(body or b"{}")
            if not isinstance(data, dict):
                raise BadRequest("the JSON body must be an object")
            params |= data
        elif content_type.startswith("multipart/"):
            raise BadRequest("multipart bodies are not supported")
        else:
            params |= dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("unreadable body") from exc
    return params


def _read_body(environ: dict) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BadRequest("bad Content-Length") from None
    if length > MAX_BODY:
        raise BadRequest("body too large")
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _json_body(environ: dict) -> dict:
    body = _read_body(environ)
    try:
        data = json.loads(body) if body.strip() else {}
    except ValueError:
        raise BadRequest("the body must be JSON") from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    return data


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number")
    return float(value)


def _reply(
    start_response: StartResponse, status: str, body: bytes, content_type: str = "application/json"
) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def _json(start_response: StartResponse, data: object, status: str = "200 OK") -> list[bytes]:
    return _reply(start_response, status, json.dumps(data, separators=(",", ":")).encode())
