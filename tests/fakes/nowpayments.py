"""A local fake of the part of NOWPayments the panel uses, on a real HTTP server on
127.0.0.1: ``POST /v1/invoice`` and ``GET /v1/payment/{id}`` with its request and answer
shapes (``x-api-key``, JSON), and IPN notifications signed as NOWPayments documents
(``x-nowpayments-sig``: hex HMAC-SHA512 of the JSON with sorted keys, no whitespace)."""

import hashlib
import hmac
import json
import re
import secrets
from decimal import Decimal
from http.server import BaseHTTPRequestHandler

import httpx

from tests.fakes.loopback import LoopbackFake

API_KEY = "NP-FAKE-7QK2M9P-1X4B8CD-Q2W3E4R-T5Y6U7I"
IPN_SECRET = "fake-ipn-secret-4b1d0c9e8f7a"


class FakeNowPayments(LoopbackFake):
    def __init__(self):
        self.invoices: dict[str, dict] = {}
        self.payments: dict[str, dict] = {}
        super().__init__(_Handler)

    def pay(
        self,
        invoice_id: str,
        *,
        share: str = "1",
        status: str = "finished",
        coin: str = "btc",
        rate: str = "0.0000155",
    ) -> dict:
        """The customer pays ``share`` of the coins asked (``"0.5"``: half)."""
        invoice = self.invoices[invoice_id]
        asked = round(float(invoice["price_amount"]) * float(rate), 8)
        payment_id = str(secrets.randbelow(10**10))
        payment = {
            "payment_id": int(payment_id),
            "invoice_id": int(invoice_id),
            "payment_status": status,
            "pay_address": "bc1qfake" + secrets.token_hex(8),
            "price_amount": invoice["price_amount"],
            "price_currency": invoice["price_currency"],
            "pay_amount": asked,
            "actually_paid": round(asked * float(share), 8),
            "pay_currency": coin,
            "order_id": invoice["order_id"],
            "order_description": invoice["order_description"],
            "purchase_id": str(secrets.randbelow(10**10)),
            "outcome_amount": round(asked * float(share) * 0.995, 8),
            "outcome_currency": coin,
            "created_at": "2026-12-07T12:00:00.000Z",
            "updated_at": "2026-12-07T12:05:00.000Z",
        }
        self.payments[payment_id] = payment
        return payment

    def ipn(self, payment: dict, secret: str = IPN_SECRET) -> tuple[bytes, dict]:
        """The IPN as NOWPayments (a JavaScript service) writes and signs it: numbers as
        ``JSON.stringify`` writes them, the signature over the key-sorted compact form."""
        body = js_json(payment).encode()
        signed = js_json(payment, sort=True).encode()
        return body, {
            "x-nowpayments-sig": hmac.new(secret.encode(), signed, hashlib.sha512).hexdigest()
        }

    def send(self, payment: dict, url: str) -> httpx.Response:
        body, headers = self.ipn(payment)
        return httpx.post(
            url, content=body, timeout=30, headers=headers | {"Content-Type": "application/json"}
        )


def js_number(number: float | int) -> str:
    """A number as JavaScript's ``JSON.stringify`` writes it: plain decimals down to
    1e-6 (``0.00004``, where Python writes ``4e-05``), exponent form below."""
    if isinstance(number, int) or float(number).is_integer():
        return str(int(number))
    if abs(number) >= 1e-6:
        return format(Decimal(repr(number)), "f")
    return re.sub(r"e-0*", "e-", repr(number))


def js_json(value, *, sort: bool = False) -> str:
    """Compact JSON as JavaScript writes it (keys sorted, nested too, when ``sort``)."""
    if isinstance(value, dict):
        keys = sorted(value) if sort else list(value)
        return "{" + ",".join(f"{json.dumps(k)}:{js_json(value[k], sort=sort)}" for k in keys) + "}"
    if isinstance(value, list):
        return "[" + ",".join(js_json(item, sort=sort) for item in value) + "]"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return js_number(value)
    return json.dumps(value, ensure_ascii=False)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeNowPayments

    def log_message(self, *args):
        pass

    def _json(self, status: int, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _authorized(self) -> bool:
        if self.headers.get("x-api-key") != API_KEY:
            self._json(
                403,
                {
                    "status": False,
                    "statusCode": 403,
                    "code": "INVALID_API_KEY",
                    "message": "Invalid api key",
                },
            )
            return False
        return True

    def do_POST(self):
        if self.path != "/v1/invoice":
            return self._json(404, {"message": "Not found"})
        if not self._authorized():
            return None
        params = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        invoice_id = str(4_000_000_000 + secrets.randbelow(10**9))
        invoice = {
            "id": invoice_id,
            "token_id": secrets.token_hex(5),
            "order_id": params["order_id"],
            "order_description": params.get("order_description"),
            "price_amount": str(params["price_amount"]),
            "price_currency": params["price_currency"],
            "pay_currency": None,
            "ipn_callback_url": params.get("ipn_callback_url"),
            "invoice_url": f"{self.fake.url}/payment/?iid={invoice_id}",
            "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"),
            "created_at": "2026-12-07T12:00:00.000Z",
            "updated_at": "2026-12-07T12:00:00.000Z",
        }
        self.fake.invoices[invoice_id] = invoice
        return self._json(200, invoice)

    def do_GET(self):
        if not self.path.startswith("/v1/payment/"):
            return self._json(404, {"message": "Not found"})
        if not self._authorized():
            return None
        payment = self.fake.payments.get(self.path.rsplit("/", 1)[1])
        if payment is None:
            return self._json(404, {"message": "Payment not found"})
        return self._json(200, payment)
