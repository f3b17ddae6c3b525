"""LiqPay (PrivatBank's acquiring: Ukrainian cards, Apple Pay, Google Pay, Privat24).

The customer is sent to LiqPay's checkout with the payment's ``data`` (base64 of a JSON
object: amount in UAH, order id, callback URL) and its ``signature``:
``base64(sha1(private_key + data + private_key))``. LiqPay's callback is a form POST of
``data`` and ``signature`` signed the same way; the status API (``action=status``) is
called with the same pair. Amounts are in UAH, converted from the panel's currency at
the rate the owner sets; both amounts and the rate are kept on the payment.

``LIQPAY_BASE`` points the client elsewhere (the tests' local fake).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs, urlencode

import httpx
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from smmpanel.billing import pricing
from smmpanel.billing.payment_gateway import (
    EXPIRED,
    FAILED,
    PAID,
    PENDING,
    BadSignature,
    Checkout,
    GatewayError,
    Notice,
    Observation,
    PaymentGateway,
    SecretField,
    observed_notice,
)
from smmpanel.money import to_micros

log = logging.getLogger(__name__)
CURRENCIES = frozenset(["UAH", "USD", "EUR"])  # what LiqPay's checkout charges in
TIMEOUT = httpx.Timeout(20.0, connect=5.0)
# LiqPay's statuses: "sandbox" is a successful payment in test mode, no real money: paid
# only under the operator's LIQPAY_SANDBOX (see ``_observation``).
_STATES = {"success": PAID, "sandbox": PAID, "failure": FAILED, "error": FAILED, "reversed": FAILED}


def sign(data: str, private_key: str) -> str:
    """LiqPay's signature of an encoded ``data``."""
    digest = hashlib.sha1(f"{private_key}{data}{private_key}".encode()).digest()
    return base64.b64encode(digest).decode()


def encode(params: Mapping) -> str:
    """LiqPay's ``data``: the parameters as JSON, base64."""
    return base64.b64encode(json.dumps(params).encode()).decode()


class LiqPayGateway(PaymentGateway):
    code = "liqpay"
    name = _("Ukrainian card, Apple Pay, Google Pay (LiqPay)")
    secret_fields = (
        SecretField("public_key", _("Public key"), _("LiqPay business account → API")),
        SecretField("private_key", _("Private key"), _("LiqPay business account → API")),
    )

    @property
    def instructions(self) -> str:
        return str(
            _(
                "Pay in hryvnias by a Ukrainian or foreign card, Apple Pay, Google Pay or Privat24 "
                "on LiqPay's page. The amount in UAH, at the rate shown, is credited as soon as "
                "LiqPay confirms the payment."
            )
        )

    def checkout_origins(self) -> list[str]:
        return [settings.LIQPAY_BASE]

    def accepts_currency(self, code: str) -> bool:
        return code in CURRENCIES

    def _keys(self) -> tuple[str, str]:
        public, private = self.secret("public_key"), self.secret("private_key")
        if not (public and private):
            raise GatewayError("liqpay: the public and private keys are not set")
        return public, private

    def create_payment(self, deposit, *, return_url: str, notify_url: str) -> Checkout:
        public, private = self._keys()
        exponent = pricing.minor_exponent(deposit.pay_currency)
        data = encode(
            {
                "version": 3,
                "public_key": public,
                "action": "pay",
                "amount": str(Decimal(deposit.pay_minor).scaleb(-exponent)),
                "currency": deposit.pay_currency,
                "description": f"Balance top-up {deposit.reference}",
                "order_id": deposit.reference,
                "result_url": return_url,
                "server_url": notify_url,
            }
        )
        query = urlencode({"data": data, "signature": sign(data, private)})
        return Checkout(
            external_id=deposit.reference, url=f"{settings.LIQPAY_BASE}/api/3/checkout?{query}"
        )

    def verify_notification(self, body: bytes, headers: Mapping[str, str]) -> Notice:
        _public, private = self._keys_for_checking()
        form = parse_qs(body.decode("utf-8", "replace"))
        data, given = (form.get("data") or [""])[0], (form.get("signature") or [""])[0]
        if not data or not hmac.compare_digest(given.encode(), sign(data, private).encode()):
            raise BadSignature("liqpay: the signature does not match")
        try:
            payload = json.loads(base64.b64decode(data))
        except ValueError:
            raise BadSignature("liqpay: data is not base64 JSON") from None
        seen = _observation(payload)
        event = f"{payload.get('payment_id')}:{payload.get('status')}"
        status = payload.get("status")
        # "reversed": returned after it was paid, which is staff's to handle.
        return observed_notice(event, f"callback.{status}", seen, refund=status == "reversed")

    def _keys_for_checking(self) -> tuple[str, str]:
        try:
            return self._keys()
        except GatewayError:
            raise BadSignature("liqpay: no private key is set") from None

    def fetch_status(self, deposit) -> Observation:
        public, private = self._keys()
        data = encode(
            {
                "action": "status",
                "version": 3,
                "public_key": public,
                "order_id": deposit.external_id,
            }
        )
        try:
            with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
                form = {"data": data, "signature": sign(data, private)}
                response = client.post(f"{settings.LIQPAY_BASE}/api/request", data=form)
            payload = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise GatewayError(f"liqpay: status of {deposit.reference} failed") from exc
        if response.status_code != 200 or not isinstance(payload, dict):
            raise GatewayError(f"liqpay: status API answered {response.status_code}")
        if payload.get("status") == "error" and payload.get("err_code") == "payment_not_found":
            return Observation(PENDING, deposit.external_id)  # the customer has not paid yet
        # An error of the call itself (wrong key, rate limit, API fault) names no payment:
        # it says nothing about whether the customer paid. A failed payment has its id.
        if payload.get("result") == "error" or (
            payload.get("status") == "error" and not payload.get("payment_id")
        ):
            raise GatewayError(f"liqpay: status API refused the call: {payload.get('err_code')}")
        return _observation(payload)


def _observation(payload: Mapping) -> Observation:
    state = _STATES.get(str(payload.get("status")), PENDING)
    if payload.get("status") == "sandbox" and not settings.LIQPAY_SANDBOX:
        log.warning(
            "liqpay: test-mode (sandbox) payment %s credits nothing: LIQPAY_SANDBOX is off",
            payload.get("order_id"),
        )
        state = PENDING
    if payload.get("status") == "error" and payload.get("err_code") == "expired":
        state = EXPIRED
    currency = str(payload.get("currency") or "").upper()
    try:
        amount = Decimal(str(payload.get("amount")))
        minor = pricing.to_minor(to_micros(amount.quantize(Decimal("0.000001"))), currency)
    except (InvalidOperation, ValueError):
        minor = None
    return Observation(
        state=state,
        external_id=str(payload.get("order_id") or ""),
        amount_minor=minor if currency else None,
        currency=currency,
        payment_id=str(payload.get("payment_id") or ""),
    )
