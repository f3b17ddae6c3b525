"""NOWPayments (crypto: BTC, ETH, USDT and 100+ coins) over its REST API with httpx.

An invoice is created for the amount the panel computed (``POST /v1/invoice``, in the
gateway's price currency); the customer picks a coin and pays on NOWPayments' page. Its
IPN notification is signed: ``x-nowpayments-sig`` is the hex HMAC-SHA512, under the
store's IPN secret, of the notification's JSON with its keys sorted (recursively) and no
whitespace. ``finished`` is paid; ``partially_paid`` (and a ``finished`` payment of more
than was asked) is credited by what actually arrived, at the invoice's rate, and flagged
for staff; ``failed`` and ``expired`` close the payment.

``NOWPAYMENTS_API_BASE`` points the client elsewhere (the tests' local fake).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

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

TIMEOUT = httpx.Timeout(20.0, connect=5.0)
PPM = 1_000_000
# A "finished" payment this close to the coins asked is paid in full (network rounding).
FINISHED_TOLERANCE = 990_000
_STATES = {
    "finished": PAID,
    "partially_paid": PAID,
    "failed": FAILED,
    "expired": EXPIRED,
    "refunded": FAILED,
}


class _Number(str):
    """A JSON number exactly as the body wrote it: NOWPayments signs the text its own
    serialiser wrote (``0.00004``), which Python's float formatting would change
    (``4e-05``)."""


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def parse_ipn(body: bytes) -> dict:
    """An IPN body parsed with its numbers kept as written; ``ValueError`` for anything
    that is not a JSON object (bad UTF-8, too deeply nested, NaN…)."""
    try:
        payload = json.loads(
            body.decode("utf-8"),
            parse_float=_Number,
            parse_int=_Number,
            parse_constant=_refuse_constant,
        )
    except RecursionError:
        raise ValueError("nested too deeply") from None
    if not isinstance(payload, dict):
        raise ValueError("not a JSON object")
    return payload


def _canonical(value) -> str:
    if isinstance(value, dict):
        items = (f"{_canonical(key)}:{_canonical(value[key])}" for key in sorted(value))
        return "{" + ",".join(items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_canonical(item) for item in value) + "]"
    if isinstance(value, _Number):
        return str.__str__(value)
    return json.dumps(value, ensure_ascii=False)


def signature_of(body: bytes, secret: str) -> str:
    """NOWPayments' IPN signature of a notification ``body``: hex HMAC-SHA512 of its JSON
    with keys sorted (nested too), no whitespace and every number as written. Raises
    ``ValueError`` for a body that is not a JSON object or holds a lone surrogate."""
    try:
        canonical = _canonical(parse_ipn(body)).encode()
    except RecursionError:
        raise ValueError("nested too deeply") from None
    return hmac.new(secret.encode(), canonical, hashlib.sha512).hexdigest()


class NowPaymentsGateway(PaymentGateway):
    code = "nowpayments"
    name = _("Cryptocurrency (NOWPayments)")
    secret_fields = (
        SecretField("api_key", _("API key"), _("Store settings → API keys")),
        SecretField(
            "ipn_secret", _("IPN secret key"), _("Store settings → Instant payment notifications")
        ),
    )
    # NOWPayments resends an IPN until it gets a 200; one for an invoice the panel does not
    # know will never become known, so it is answered 200 as well.
    unknown_payment_status = 200

    @property
    def instructions(self) -> str:
        return str(
            _(
                "Pay in BTC, ETH, USDT or another coin on NOWPayments' page. Your balance is "
                "credited once the network confirms the transfer; if less or more arrives than "
                "the invoice asked, what arrived is credited and staff check the difference."
            )
        )

    def checkout_origins(self) -> list[str]:
        return [settings.NOWPAYMENTS_CHECKOUT_ORIGIN]

    def _client(self) -> httpx.Client:
        key = self.secret("api_key")
        if not key:
            raise GatewayError("nowpayments: no API key is set")
        return httpx.Client(
            base_url=settings.NOWPAYMENTS_API_BASE,
            timeout=TIMEOUT,
            headers={"x-api-key": key},
            follow_redirects=False,
        )

    def _call(self, method: str, path: str, **kwargs) -> dict:
        try:
            with self._client() as client:
                response = client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise GatewayError(f"nowpayments: {path} failed: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise GatewayError(f"nowpayments: {path} answered {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise GatewayError(f"nowpayments: {path} answered no JSON") from None

    def create_payment(self, deposit, *, return_url: str, notify_url: str) -> Checkout:
        exponent = pricing.minor_exponent(deposit.pay_currency)
        invoice = self._call(
            "POST",
            "/v1/invoice",
            json={
                "price_amount": float(Decimal(deposit.pay_minor).scaleb(-exponent)),
                "price_currency": deposit.pay_currency.lower(),
                "order_id": deposit.reference,
                "order_description": f"Balance top-up {deposit.reference}",
                "ipn_callback_url": notify_url,
                "success_url": return_url,
                "cancel_url": return_url,
            },
        )
        return Checkout(external_id=str(invoice["id"]), url=invoice["invoice_url"])

    def verify_notification(self, body: bytes, headers: Mapping[str, str]) -> Notice:
        secret = self.secret("ipn_secret")
        if not secret:
            raise BadSignature("nowpayments: no IPN secret is set")
        given = headers.get("x-nowpayments-sig") or ""
        try:
            expected = signature_of(body, secret)
        except ValueError:
            raise BadSignature("nowpayments: the body is not a JSON object") from None
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise BadSignature("nowpayments: the signature does not match")
        payload = parse_ipn(body)
        seen = _observation(payload)
        event = f"{payload.get('payment_id')}:{payload.get('payment_status')}"
        status = payload.get("payment_status")
        # "refunded": returned after it was paid, which is staff's to handle.
        return observed_notice(event, f"payment.{status}", seen, refund=status == "refunded")

    def fetch_status(self, deposit) -> Observation:
        if not deposit.payment_id:  # no coin chosen yet: nothing to ask about
            return Observation(PENDING, deposit.external_id)
        return _observation(self._call("GET", f"/v1/payment/{deposit.payment_id}"))


def _decimal(value) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def _observation(payload: Mapping) -> Observation:
    """A payment's state from an IPN or ``GET /v1/payment``: the invoice's price in its
    minor units, and which share of the coins asked for actually arrived."""
    state = _STATES.get(str(payload.get("payment_status")), PENDING)
    currency = str(payload.get("price_currency") or "").upper()
    price = _decimal(payload.get("price_amount"))
    asked, arrived = _decimal(payload.get("pay_amount")), _decimal(payload.get("actually_paid"))
    share = None
    if state == PAID and asked and arrived is not None and asked > 0:
        share = int(arrived * PPM / asked)
        if payload.get("payment_status") == "finished" and FINISHED_TOLERANCE <= share < PPM:
            share = None  # dust short of the coins asked, which NOWPayments judged paid
    amount_minor = None
    if price is not None and currency:
        amount_minor = pricing.to_minor(to_micros(price.quantize(Decimal("0.000001"))), currency)
    return Observation(
        state=state,
        external_id=str(payload.get("invoice_id") or ""),
        amount_minor=amount_minor,
        currency=currency,
        payment_id=str(payload.get("payment_id") or ""),
        arrived_ppm=share,
    )
