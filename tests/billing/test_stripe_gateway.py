"""The Stripe gateway against the fake Stripe on 127.0.0.1: sessions created and read
with Stripe's shapes, and signatures checked the way Stripe documents them."""

import hashlib
import hmac
import json
import time

import pytest

from smmpanel.billing import gateways
from smmpanel.billing.gateway_settings import save_gateway_settings
from smmpanel.billing.payment_gateway import EXPIRED, PAID, PAYMENT, PENDING, BadSignature
from tests.billing.payment_helpers import open_stripe_payment
from tests.fakes.stripe import WEBHOOK_SECRET, sign


@pytest.fixture
def stripe(stripe_on):
    return gateways.gateway_named("stripe")


def test_a_checkout_session_is_created_for_the_computed_amount(customer, stripe_on):
    deposit = open_stripe_payment(customer, "25")

    session = stripe_on.sessions[deposit.external_id]
    assert session["amount_total"] == 2500
    assert session["currency"] == "usd"
    assert session["client_reference_id"] == deposit.reference
    assert deposit.checkout_url == session["url"]
    assert deposit.expires_at is not None


def test_a_retried_creation_reuses_the_same_session(customer, stripe_on, stripe):
    deposit = open_stripe_payment(customer, "25")
    again = stripe.create_payment(deposit, return_url="http://x/", notify_url="http://x/")
    assert again.external_id == deposit.external_id
    assert len(stripe_on.sessions) == 1


def test_the_status_of_a_paid_session_is_paid(customer, stripe_on, stripe):
    deposit = open_stripe_payment(customer)
    stripe_on.pay(deposit.external_id)
    seen = stripe.fetch_status(deposit)
    assert (seen.state, seen.amount_minor, seen.currency) == (PAID, 2500, "USD")
    assert seen.payment_id.startswith("pi_test_")


def test_an_open_session_is_pending_and_an_expired_one_expired(customer, stripe_on, stripe):
    deposit = open_stripe_payment(customer)
    assert stripe.fetch_status(deposit).state == PENDING
    stripe_on.expire(deposit.external_id)
    assert stripe.fetch_status(deposit).state == EXPIRED


def test_a_completed_session_paid_later_by_an_async_method_is_still_pending(
    customer, stripe_on, stripe
):
    deposit = open_stripe_payment(customer)
    session = stripe_on.pay(deposit.external_id, asynchronous=True)
    body = stripe_on.event("checkout.session.completed", session)
    notice = stripe.verify_notification(body, {"Stripe-Signature": sign(body)})
    assert (notice.kind, notice.observation.state) == (PAYMENT, PENDING)


def test_a_correctly_signed_notification_is_read(customer, stripe_on, stripe):
    deposit = open_stripe_payment(customer)
    body = stripe_on.event("checkout.session.completed", stripe_on.pay(deposit.external_id))
    notice = stripe.verify_notification(body, {"Stripe-Signature": sign(body)})
    assert notice.external_id == deposit.external_id
    assert notice.observation.state == PAID


def test_a_signature_under_another_secret_is_refused(stripe):
    body = b'{"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {}}}'
    with pytest.raises(BadSignature):
        stripe.verify_notification(body, {"Stripe-Signature": sign(body, "whsec_other")})


def test_a_missing_signature_is_refused(stripe):
    with pytest.raises(BadSignature):
        stripe.verify_notification(b"{}", {})


def test_a_signature_older_than_the_tolerance_is_refused(stripe):
    body = b'{"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {}}}'
    old = sign(body, timestamp=int(time.time()) - 301)
    with pytest.raises(BadSignature, match="tolerance|Timestamp"):
        stripe.verify_notification(body, {"Stripe-Signature": old})


def test_a_body_changed_after_signing_is_refused(stripe):
    body = b'{"id": "evt_1", "type": "checkout.session.completed", "data": {"object": {}}}'
    with pytest.raises(BadSignature):
        stripe.verify_notification(
            body.replace(b"evt_1", b"evt_2"), {"Stripe-Signature": sign(body)}
        )


def test_the_refusal_never_names_the_secret(stripe):
    body = b'{"id": "evt_1"}'
    with pytest.raises(BadSignature) as refused:
        stripe.verify_notification(body, {"Stripe-Signature": sign(body, "whsec_other")})
    assert WEBHOOK_SECRET not in str(refused.value) and "whsec_other" not in str(refused.value)


def test_the_signature_scheme_is_stripes_documented_one(stripe):
    """Stripe's docs: the signed payload is ``{t}.{body}``; ``v1`` is its HMAC-SHA256 under
    the endpoint secret, hex; several ``v1`` may be given (secret rolling)."""
    body = json.dumps({"id": "evt_doc", "type": "ping", "data": {"object": {}}}).encode()
    t = int(time.time())
    v1 = hmac.new(WEBHOOK_SECRET.encode(), f"{t}.{body.decode()}".encode(), hashlib.sha256)
    header = f"t={t},v1={'0' * 64},v1={v1.hexdigest()},v0=ignored"
    assert stripe.verify_notification(body, {"Stripe-Signature": header}).event_id == "evt_doc"


def test_stripe_without_a_webhook_secret_refuses_every_notification(db, fake_stripe):
    save_gateway_settings("stripe", {"enabled": True}, {"secret_key": "sk_test_x"})
    body = b'{"id": "evt_1"}'
    with pytest.raises(BadSignature, match="no webhook"):
        gateways.gateway_named("stripe").verify_notification(body, {"Stripe-Signature": sign(body)})
