"""A local fake of LiqPay on a real HTTP server on 127.0.0.1: the checkout page
(``GET /api/3/checkout?data=…&signature=…``, which checks the signature as LiqPay does),
the status API (``POST /api/request`` with ``action=status``), and callbacks signed with
LiqPay's scheme (``base64(sha1(private_key + data + private_key))``) as a form POST."""

import base64
import json
import secrets
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from smmpanel.billing.liqpay_gateway import encode, sign
from tests.fakes.loopback import LoopbackFake

PUBLIC_KEY = "sandbox_i00000000001"
PRIVATE_KEY = "sandbox_fakeprivatekey0123456789abcdef"


class FakeLiqPay(LoopbackFake):
    def __init__(self):
        self.orders: dict[str, dict] = {}  # order_id → the checkout's parameters
        self.payments: dict[str, dict] = {}  # order_id → the payment's status answer
        super().__init__(_Handler)

    def open_checkout(self, url: str) -> dict:
        """What the customer's browser does: open the checkout URL; the order it shows."""
        response = httpx.get(url, timeout=30)
        assert response.status_code == 200, response.text
        return self.orders[response.headers["X-Order-Id"]]

    def pay(
        self,
        order_id: str,
        *,
        status: str = "success",
        amount: str | None = None,
        currency: str | None = None,
    ) -> dict:
        order = self.orders[order_id]
        payment = {
            "action": "pay",
            "payment_id": secrets.randbelow(10**10),
            "status": status,
            "version": 3,
            "type": "buy",
            "paytype": "card",
            "public_key": order["public_key"],
            "acq_id": 414963,
            "order_id": order_id,
            "liqpay_order_id": "FAKE" + secrets.token_hex(6).upper(),
            "description": order["description"],
            "sender_card_mask2": "424242*42",
            "amount": float(amount or order["amount"]),
            "currency": currency or order["currency"],
            "sender_commission": 0.0,
            "receiver_commission": 0.0,
            "agent_commission": 0.0,
            "amount_debit": float(amount or order["amount"]),
            "currency_debit": "UAH",
            "is_3ds": False,
            "create_date": 1765108800000,
            "end_date": 1765108810000,
        }
        self.payments[order_id] = payment
        return payment

    def callback(self, payment: dict, private_key: str = PRIVATE_KEY) -> bytes:
        data = encode(payment)
        return urlencode({"data": data, "signature": sign(data, private_key)}).encode()


class _Handler(BaseHTTPRequestHandler):
    fake: FakeLiqPay

    def log_message(self, *args):
        pass

    def _answer(self, status: int, body: bytes, content_type: str, **headers) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _signed(self, query: dict) -> dict | None:
        data, signature = (query.get("data") or [""])[0], (query.get("signature") or [""])[0]
        if sign(data, PRIVATE_KEY) != signature:
            return None
        return json.loads(base64.b64decode(data))

    def do_GET(self):
        address = urlsplit(self.path)
        if address.path != "/api/3/checkout":
            return self._answer(404, b"not found", "text/plain")
        params = self._signed(parse_qs(address.query))
        if params is None or params.get("public_key") != PUBLIC_KEY:
            return self._answer(
                400, b'{"status":"error","err_code":"invalid_signature"}', "application/json"
            )
        self.fake.orders[params["order_id"]] = params
        page = (
            f"<!doctype html><title>LiqPay</title><h1>{params['amount']} {params['currency']}</h1>"
        )
        return self._answer(
            200, page.encode(), "text/html; charset=utf-8", X_Order_Id=params["order_id"]
        )

    def do_POST(self):
        if self.path != "/api/request":
            return self._answer(404, b"not found", "text/plain")
        form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
        params = self._signed(form)
        if params is None:
            answer = {"status": "error", "err_code": "invalid_signature"}
        elif params.get("order_id") not in self.fake.payments:
            answer = {"status": "error", "err_code": "payment_not_found"}
        else:
            answer = self.fake.payments[params["order_id"]]
        return self._answer(200, json.dumps(answer).encode(), "application/json")
