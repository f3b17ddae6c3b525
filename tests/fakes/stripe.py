"""A local fake of the part of Stripe the panel uses, on a real HTTP server on 127.0.0.1.

It answers the Checkout Session calls with Stripe's request and answer shapes (form-encoded
parameters, ``Authorization: Bearer sk_…``, ``Idempotency-Key``, JSON objects and errors),
serves a checkout page whose Pay button completes the session, and sends webhook events
signed with Stripe's scheme (``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"t.body" under the endpoint's whsec_ secret>``) to the panel's notification URL.
"""

import hashlib
import hmac
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl

import httpx

from tests.fakes.loopback import LoopbackFake

SECRET_KEY = "sk_test_fake_4eC39HqLyjWDarjtT1zdp7dc"
WEBHOOK_SECRET = "whsec_fake_1b2c3d4e5f60718293a4b5c6d7e8f901"


def sign(body: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``body``, as Stripe computes it."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def _nested(pairs: list[tuple[str, str]]) -> dict:
    """Stripe's form encoding (``line_items[0][price_data][currency]=usd``) as a dict."""
    root: dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return root


class FakeStripe(LoopbackFake):
    def __init__(self):
        self.sessions: dict[str, dict] = {}
        self.by_idempotency: dict[str, str] = {}
        self.requests: list[tuple[str, str]] = []
        self.webhook_url = ""
        self.lock = threading.Lock()
        super().__init__(_Handler)

    # --- what a test does --------------------------------------------------------------

    def create_session(self, params: dict) -> dict:
        item = params["line_items"]["0"]
        price = item["price_data"]
        session_id = "cs_test_" + secrets.token_hex(12)
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_total": int(price["unit_amount"]) * int(item.get("quantity", 1)),
            "currency": price["currency"],
            "client_reference_id": params.get("client_reference_id"),
            "metadata": params.get("metadata", {}),
            "mode": params.get("mode", "payment"),
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params["success_url"],
            "cancel_url": params.get("cancel_url"),
            "created": int(time.time()),
            "expires_at": int(time.time()) + 24 * 3600,
            "livemode": False,
            "url": f"{self.url}/pay/{session_id}",
        }
        self.sessions[session_id] = session
        return session

    def pay(
        self,
        session_id: str,
        *,
        amount: int | None = None,
        currency: str | None = None,
        asynchronous: bool = False,
    ) -> dict:
        """The customer pays: the session completes (``unpaid`` while an asynchronous
        method such as a bank debit is still on its way)."""
        session = self.sessions[session_id]
        session["status"] = "complete"
        session["payment_status"] = "unpaid" if asynchronous else "paid"
        session["payment_intent"] = "pi_test_" + secrets.token_hex(12)
        if amount is not None:
            session["amount_total"] = amount
        if currency is not None:
            session["currency"] = currency
        return session

    def expire(self, session_id: str) -> dict:
        session = self.sessions[session_id]
        session["status"] = "expired"
        return session

    def event(self, kind: str, obj: dict, event_id: str | None = None) -> bytes:
        """A webhook event body as Stripe sends it."""
        return json.dumps(
            {
                "id": event_id or "evt_test_" + secrets.token_hex(12),
                "object": "event",
                "api_version": "2025-01-27.acacia",
                "created": int(time.time()),
                "type": kind,
                "livemode": False,
                "pending_webhooks": 1,
                "data": {"object": dict(obj)},
            }
        ).encode()

    def dispute(self, session_id: str, amount: int | None = None) -> dict:
        session = self.sessions[session_id]
        return {
            "id": "dp_test_" + secrets.token_hex(8),
            "object": "dispute",
            "amount": session["amount_total"] if amount is None else amount,
            "currency": session["currency"],
            "charge": "ch_test_" + secrets.token_hex(8),
            "payment_intent": session["payment_intent"],
            "reason": "fraudulent",
            "status": "needs_response",
        }

    def charge_refunded(self, session_id: str) -> dict:
        session = self.sessions[session_id]
        return {
            "id": "ch_test_" + secrets.token_hex(8),
            "object": "charge",
            "amount": session["amount_total"],
            "amount_refunded": session["amount_total"],
            "currency": session["currency"],
            "payment_intent": session["payment_intent"],
            "refunded": True,
        }

    def send(self, body: bytes, signature: str | None = None) -> httpx.Response:
        """Deliver one notification to the panel, signed unless ``signature`` is given."""
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        headers["Stripe-Signature"] = sign(body) if signature is None else signature
        return httpx.post(self.webhook_url, content=body, headers=headers, timeout=30)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeStripe

    def log_message(self, *args):
        pass

    def _json(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Request-Id", "req_" + secrets.token_hex(7))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, message: str, code: str = "") -> None:
        self._json(
            status, {"error": {"type": "invalid_request_error", "message": message, "code": code}}
        )

    def _authorized(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {SECRET_KEY}":
            self._json(
                401,
                {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}},
            )
            return False
        return True

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self):
        fake = self.fake
        fake.requests.append(("GET", self.path))
        if self.path.startswith("/v1/checkout/sessions/"):
            if not self._authorized():
                return
            session = fake.sessions.get(self.path.rsplit("/", 1)[1].split("?")[0])
            if session is None:
                return self._error(404, "No such checkout.session", "resource_missing")
            return self._json(200, session)
        if self.path.startswith("/pay/"):
            session = fake.sessions.get(self.path.rsplit("/", 1)[1])
            if session is None:
                return self._error(404, "No such checkout page")
            amount = f"{session['amount_total'] / 100:.2f} {session['currency'].upper()}"
            page = (
                "<!doctype html><html lang=en><title>Fake Stripe Checkout</title>"
                f"<h1>Pay {amount}</h1><form method=post>"
                "<button type=submit id=pay>Pay</button></form></html>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)
            return None
        return self._error(404, "Unrecognized request URL")

    def do_POST(self):
        fake = self.fake
        fake.requests.append(("POST", self.path))
        body = self._body()
        if self.path == "/v1/checkout/sessions":
            if not self._authorized():
                return None
            params = _nested(parse_qsl(body.decode(), keep_blank_values=True))
            key = self.headers.get("Idempotency-Key")
            with fake.lock:
                if key and key in fake.by_idempotency:
                    return self._json(200, fake.sessions[fake.by_idempotency[key]])
                session = fake.create_session(params)
                if key:
                    fake.by_idempotency[key] = session["id"]
            return self._json(200, session)
        if self.path.startswith("/pay/"):
            session_id = self.path.rsplit("/", 1)[1]
            if session_id not in fake.sessions:
                return self._error(404, "No such checkout page")
            session = fake.pay(session_id)
            # Stripe notifies the endpoint and sends the customer back; here in that order.
            fake.send(fake.event("checkout.session.completed", session))
            self.send_response(303)
            self.send_header("Location", session["success_url"])
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        return self._error(404, "Unrecognized request URL")
