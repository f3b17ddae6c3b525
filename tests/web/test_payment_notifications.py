"""The gateways' notification endpoint: CSRF-exempt but signature-checked, size-limited
before the body is read, rate-limited per address; answers as the gateway expects."""

import socket
from urllib.parse import urlsplit

import pytest
from django.test import Client, override_settings

from smmpanel.accounts.models import User
from smmpanel.billing import payments
from smmpanel.billing.deposits import NotAllowed, confirm_deposit, request_deposit
from smmpanel.billing.models import DepositRequest, LedgerEntry, PaymentNotification
from smmpanel.billing.selectors import balance_of
from smmpanel.money import to_micros
from smmpanel.notifications.models import Alert
from smmpanel.policy.models import BalanceReview, Restriction
from tests.billing.payment_helpers import open_stripe_payment
from tests.factories import make_order, make_service, make_user
from tests.fakes.stripe import sign

URL = "/payments/notify/stripe/"


@pytest.fixture
def gateway_client():
    """A client that checks CSRF like a browser would: the gateway sends no token."""
    return Client(enforce_csrf_checks=True)


def post(client, body: bytes, signature: str | None = None, **extra):
    headers = {"HTTP_STRIPE_SIGNATURE": sign(body) if signature is None else signature}
    return client.post(URL, body, content_type="application/json", **headers, **extra)


@pytest.fixture
def payer(db):
    return make_user()


def test_a_signed_notification_is_accepted_without_a_csrf_token(payer, stripe_on, gateway_client):
    deposit = open_stripe_payment(payer, "25")
    body = stripe_on.event("checkout.session.completed", stripe_on.pay(deposit.external_id))
    response = post(gateway_client, body)
    assert response.status_code == 200
    assert balance_of(payer) == 25_000_000


def test_a_bad_signature_is_answered_400(payer, stripe_on, gateway_client):
    deposit = open_stripe_payment(payer, "25")
    body = stripe_on.event("checkout.session.completed", stripe_on.pay(deposit.external_id))
    assert post(gateway_client, body, sign(body, "whsec_wrong")).status_code == 400
    assert balance_of(payer) == 0


def test_an_unknown_gateway_is_answered_404(db, gateway_client):
    response = gateway_client.post(
        "/payments/notify/paypal/", b"{}", content_type="application/json"
    )
    assert response.status_code == 404


def test_a_get_is_refused(db, client):
    assert client.get(URL).status_code == 405


@override_settings(PAYMENT_NOTIFICATION_MAX_BYTES=1024)
def test_a_body_over_the_limit_is_refused_by_its_declared_length(stripe_on, gateway_client):
    response = post(gateway_client, b"{" + b" " * 2048 + b"}")
    assert response.status_code == 413


def test_a_10_mb_body_is_refused_before_it_is_read_whole(stripe_on, live_server):
    """Declare 10 MB, send 1 KB and wait: the answer comes without the rest being sent."""
    address = urlsplit(live_server.url)
    with socket.create_connection((address.hostname, address.port), timeout=60) as conn:
        conn.sendall(
            f"POST {URL} HTTP/1.1\r\nHost: {address.netloc}\r\n"
            "Content-Type: application/json\r\nStripe-Signature: t=1,v1=00\r\n"
            f"Content-Length: {10 * 1024 * 1024}\r\n\r\n".encode()
            + b"{" * 1024
        )
        answer = conn.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413")


@override_settings(PAYMENT_NOTIFICATIONS_PER_MINUTE=2)
def test_notifications_are_rate_limited_per_address(stripe_on, gateway_client):
    body = b'{"id": "evt_x"}'
    first = [post(gateway_client, body, "t=1,v1=00").status_code for _ in range(2)]
    assert first == [400, 400]
    assert post(gateway_client, body, "t=1,v1=00").status_code == 429
    other = post(gateway_client, body, "t=1,v1=00", REMOTE_ADDR="127.0.0.9")
    assert other.status_code == 400


def test_a_dispute_notification_enters_the_chargeback_flow(payer, stripe_on, gateway_client):
    deposit = open_stripe_payment(payer, "25")
    post(
        gateway_client,
        stripe_on.event("checkout.session.completed", stripe_on.pay(deposit.external_id)),
    )
    dispute = stripe_on.event("charge.dispute.created", stripe_on.dispute(deposit.external_id))

    assert post(gateway_client, dispute).status_code == 200
    assert post(gateway_client, dispute).status_code == 200  # Stripe retries: no second one

    assert LedgerEntry.objects.filter(user=payer, kind="chargeback").count() == 1
    assert balance_of(payer) == 0
    assert BalanceReview.objects.filter(user=payer, closed_at__isnull=True).exists()
    assert DepositRequest.objects.get(pk=deposit.pk).disputed_at is not None


def test_a_dispute_after_the_money_was_spent_restricts_the_account_in_plain_sight(
    payer, stripe_on, gateway_client
):
    """The customer paid 25, spent 9 on an order, then disputed the card payment: the
    chargeback takes the whole 25 back, so the balance goes to -9, written in the
    ledger, with the account restricted and its balance under review, never silently."""
    deposit = open_stripe_payment(payer, "25")
    post(
        gateway_client,
        stripe_on.event("checkout.session.completed", stripe_on.pay(deposit.external_id)),
    )
    make_order(payer, make_service(rate_micros=to_micros("90")), quantity=100)  # 9.00
    assert balance_of(payer) == to_micros("16")

    dispute = stripe_on.event("charge.dispute.created", stripe_on.dispute(deposit.external_id))
    assert post(gateway_client, dispute).status_code == 200

    assert balance_of(payer) == -to_micros("9")
    entries = LedgerEntry.objects.filter(user=payer)
    assert sum(e.amount_micros for e in entries) == balance_of(payer)
    assert entries.get(kind="chargeback").amount_micros == -to_micros("25")
    assert Restriction.objects.filter(user=payer, lifted_at__isnull=True).exists()
    assert BalanceReview.objects.filter(user=payer, closed_at__isnull=True).exists()


def test_a_refund_notification_alerts_staff(payer, stripe_on, gateway_client):
    deposit = open_stripe_payment(payer, "25")
    post(
        gateway_client,
        stripe_on.event("checkout.session.completed", stripe_on.pay(deposit.external_id)),
    )
    refund = stripe_on.event("charge.refunded", stripe_on.charge_refunded(deposit.external_id))
    assert post(gateway_client, refund).status_code == 200
    assert DepositRequest.objects.get(pk=deposit.pk).refunded_at is not None
    assert balance_of(payer) == 25_000_000


def test_an_event_the_panel_does_not_handle_is_acknowledged(stripe_on, gateway_client):
    body = stripe_on.event("customer.created", {"id": "cus_1", "object": "customer"})
    assert post(gateway_client, body).status_code == 200


def test_a_nowpayments_ipn_is_accepted_by_its_own_header(payer, nowpayments_on, gateway_client):
    deposit = request_deposit(payer, "nowpayments", "40")
    deposit = payments.start_payment(
        deposit, return_url="http://testserver/r/", notify_url="http://testserver/n/"
    )
    body, headers = nowpayments_on.ipn(nowpayments_on.pay(deposit.external_id))
    response = gateway_client.post(
        "/payments/notify/nowpayments/",
        body,
        content_type="application/json",
        HTTP_X_NOWPAYMENTS_SIG=headers["x-nowpayments-sig"],
    )
    assert response.status_code == 200
    assert balance_of(payer) == 40_000_000


def test_a_body_with_nul_bytes_is_refused_and_kept_storable(stripe_on, gateway_client):
    """PostgreSQL text cannot hold NUL: the kept copy of a refused body has them escaped."""
    response = post(gateway_client, b'{"id":"evt_\x00x"}', signature="t=1,v1=00")
    assert response.status_code == 400
    kept = PaymentNotification.objects.get()
    assert "\x00" not in kept.body and "\\u0000" in kept.body


def test_a_notification_without_a_peer_address_is_kept_without_one(stripe_on, gateway_client):
    """A unix-socket peer has no address: nothing but an address goes in the address column."""
    response = post(gateway_client, b"{}", signature="t=1,v1=00", REMOTE_ADDR="")
    assert response.status_code == 400
    assert PaymentNotification.objects.get().remote_addr is None


@pytest.mark.parametrize(
    "body", [b"[" * 5000, b'{"a":"\\ud800"}'], ids=["deeply-nested", "lone-surrogate"]
)
def test_garbage_to_the_crypto_endpoint_is_a_400(nowpayments_on, gateway_client, body):
    response = gateway_client.post(
        "/payments/notify/nowpayments/",
        body,
        content_type="application/json",
        HTTP_X_NOWPAYMENTS_SIG="0" * 128,
    )
    assert response.status_code == 400


def test_a_dispute_naming_no_known_payment_alerts_staff(stripe_on, gateway_client, caplog):
    """A dispute of a payment the panel cannot match (confirmed by hand, say) is money
    taken back all the same: staff are alerted and the log says so at WARNING."""
    session = stripe_on.sessions[open_stripe_payment(make_user(), "25").external_id]
    dispute = dict(stripe_on.dispute(session["id"]), payment_intent="pi_test_unknown")
    caplog.set_level("WARNING", logger="smmpanel.billing.payments")
    assert (
        post(gateway_client, stripe_on.event("charge.dispute.created", dispute)).status_code == 200
    )
    assert Alert.objects.filter(kind="payment_unknown").exists()
    assert "names no known payment" in caplog.text


def test_a_held_payment_disputed_at_the_gateway_cannot_be_credited_by_staff(
    payer, stripe_on, gateway_client
):
    """The dispute of an uncredited (held) payment must not be lost: staff confirming it
    afterwards would credit money the gateway already took back."""
    deposit = open_stripe_payment(payer, "25")
    stripe_on.pay(deposit.external_id)  # paid, but held (say, after it was marked expired)
    intent = stripe_on.sessions[deposit.external_id]["payment_intent"]
    DepositRequest.objects.filter(pk=deposit.pk).update(
        status=DepositRequest.Status.HELD, payment_id=intent
    )
    dispute = stripe_on.event("charge.dispute.created", stripe_on.dispute(deposit.external_id))
    assert post(gateway_client, dispute).status_code == 200
    with pytest.raises(NotAllowed):
        confirm_deposit(deposit, actor=make_user(role=User.Role.STAFF))
    assert balance_of(payer) == 0
    assert DepositRequest.objects.get(pk=deposit.pk).status == DepositRequest.Status.HELD
