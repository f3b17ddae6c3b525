"""Stripe Checkout (cards, Apple Pay, Google Pay) through the official ``stripe`` library.

A Checkout Session is created on the server for the amount the panel computed; the
customer pays on Stripe's page. Money is credited only on the signed
``checkout.session.completed`` (when its ``payment_status`` is ``paid``) or
``checkout.session.async_payment_succeeded`` notification, or when the worker asks for
the session and Stripe says it is paid. Signatures are checked by
``stripe.Webhook.construct_event`` with its tolerance (an older timestamp is refused).

``STRIPE_API_BASE`` points the library elsewhere (the tests' local fake Stripe).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import stripe
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from smmpanel.billing import pricing
from smmpanel.billing.payment_gateway import (
    DISPUTE,
    EXPIRED,
    FAILED,
    IGNORED,
    PAID,
    PAYMENT,
    PENDING,
    REFUND,
    BadSignature,
    Checkout,
    GatewayError,
    Notice,
    Observation,
    PaymentGateway,
    SecretField,
)

# Stripe's own default: a signature older than five minutes is a replay.
TOLERANCE_SECONDS = 300
TIMEOUT_SECONDS = 20


class StripeGateway(PaymentGateway):
    code = "stripe"
    name = _("Card, Apple Pay, Google Pay (Stripe)")
    secret_fields = (
        SecretField(
            "secret_key", _("Secret key"), _("sk_live_… or sk_test_… (Developers → API keys)")
        ),
        SecretField(
            "webhook_secret",
            _("Webhook signing secret"),
            _("whsec_… of the endpoint you add under Developers → Webhooks"),
        ),
    )
    # Stripe's guidance: answer 2xx to every event you received and verified, handled or
    # not; an event for a session the panel does not know is not going to become known.
    unknown_payment_status = 200

    @property
    def instructions(self) -> str:
        return str(
            _(
                "Pay by card, Apple Pay or Google Pay on Stripe's secure page. Your balance "
                "is credited as soon as Stripe confirms the payment, usually within seconds."
            )
        )

    def accepts_currency(self, code: str) -> bool:
        # Stripe charges three-decimal currencies only in multiples of ten minor units;
        # refused rather than risk charging a tenth of the price.
        return super().accepts_currency(code) and code not in pricing.THREE_DECIMAL

    def checkout_origins(self) -> list[str]:
        return [settings.STRIPE_CHECKOUT_ORIGIN]

    def _client(self) -> stripe.StripeClient:
        key = self.secret("secret_key")
        if not key:
            raise GatewayError("stripe: no secret key is set")
        return stripe.StripeClient(
            key,
            base_addresses={"api": settings.STRIPE_API_BASE},
            max_network_retries=1,  # retried with the same idempotency key
            http_client=stripe.RequestsClient(timeout=TIMEOUT_SECONDS),
        )

    def create_payment(self, deposit, *, return_url: str, notify_url: str) -> Checkout:
        params = {
            "mode": "payment",
            "client_reference_id": deposit.reference,
            "metadata": {"reference": deposit.reference},
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": deposit.pay_currency.lower(),
                        "unit_amount": deposit.pay_minor,
                        "product_data": {"name": f"Balance top-up {deposit.reference}"},
                    },
                }
            ],
            "success_url": return_url,
            "cancel_url": return_url,
        }
        try:
            session = self._client().v1.checkout.sessions.create(
                params, {"idempotency_key": f"deposit-{deposit.reference}"}
            )
        except stripe.StripeError as exc:
            raise GatewayError(
                f"stripe: creating the session failed: {exc.user_message or type(exc).__name__}"
            ) from exc
        session = session.to_dict()  # Stripe's objects are not dicts
        expires = session.get("expires_at")
        return Checkout(
            external_id=session["id"],
            url=session["url"],
            expires_at=datetime.fromtimestamp(expires, UTC) if expires else None,
        )

    def verify_notification(self, body: bytes, headers: Mapping[str, str]) -> Notice:
        secret = self.secret("webhook_secret")
        if not secret:
            raise BadSignature("stripe: no webhook signing secret is set")
        try:
            event = stripe.Webhook.construct_event(
                body, headers.get("Stripe-Signature"), secret, tolerance=TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError as exc:
            raise BadSignature(f"stripe: {str(exc).split('.')[0]}") from None
        except ValueError:
            raise BadSignature("stripe: the body is not JSON") from None
        return _notice(event.to_dict())

    def fetch_status(self, deposit) -> Observation:
        try:
            session = self._client().v1.checkout.sessions.retrieve(deposit.external_id)
        except stripe.StripeError as exc:
            raise GatewayError(
                f"stripe: fetching {deposit.external_id} failed: {type(exc).__name__}"
            ) from exc
        session = session.to_dict()
        return _observation(session, _session_state(session))


def _session_state(session) -> str:
    if (
        session.get("payment_status") in ("paid", "no_payment_required")
        and session.get("status") == "complete"
    ):
        return PAID if session.get("payment_status") == "paid" else PENDING
    if session.get("status") == "expired":
        return EXPIRED
    return PENDING


def _observation(session, state: str) -> Observation:
    return Observation(
        state=state,
        external_id=session["id"],
        amount_minor=session.get("amount_total"),
        currency=(session.get("currency") or "").upper(),
        payment_id=_id_of(session.get("payment_intent")),
    )


def _id_of(value) -> str:
    """An expandable field: an id string, or the expanded object (or None)."""
    if isinstance(value, str):
        return value
    return value.get("id", "") if value else ""


_SESSION_EVENTS = {
    "checkout.session.completed": None,  # paid, or waiting for an async method
    "checkout.session.async_payment_succeeded": PAID,
    "checkout.session.async_payment_failed": FAILED,
    "checkout.session.expired": EXPIRED,
}


def _notice(event) -> Notice:
    kind, obj = event["type"], event["data"]["object"]
    if kind in _SESSION_EVENTS:
        state = _SESSION_EVENTS[kind] or _session_state(obj)
        return Notice(
            event["id"], kind, PAYMENT, external_id=obj["id"], observation=_observation(obj, state)
        )
    if kind in ("charge.dispute.created", "charge.refunded"):
        return Notice(
            event["id"],
            kind,
            DISPUTE if kind == "charge.dispute.created" else REFUND,
            payment_id=_id_of(obj.get("payment_intent")),
            amount_minor=obj.get(
                "amount" if kind == "charge.dispute.created" else "amount_refunded"
            ),
            currency=(obj.get("currency") or "").upper(),
        )
    return Notice(event["id"], kind, IGNORED)
