"""LiqPay against its fake on 127.0.0.1: the signed checkout in UAH at the owner's rate
(both amounts and the rate kept), callbacks signed as LiqPay documents, status checks."""

import base64
import hashlib

import pytest
from django.test import override_settings
from django.utils import timezone

from smmpanel.billing import payments
from smmpanel.billing.deposits import request_deposit
from smmpanel.billing.gateway_settings import save_gateway_settings
from smmpanel.billing.liqpay_gateway import encode, sign
from smmpanel.billing.models import DepositRequest
from smmpanel.billing.selectors import balance_of
from smmpanel.money import to_micros
from tests.factories import make_user
from tests.fakes.liqpay import PUBLIC_KEY

Status = DepositRequest.Status


@pytest.fixture
def payer(db):
    return make_user()


def open_uah_payment(user, amount="10"):
    deposit = request_deposit(user, "liqpay", amount)
    return payments.start_payment(
        deposit, return_url="http://testserver/r/", notify_url="http://testserver/n/"
    )


def deliver(body: bytes):
    return payments.receive_notification("liqpay", body, {}, "127.0.0.1")


def test_the_signature_is_base64_of_sha1_of_key_data_key():
    """LiqPay's documented scheme: base64_encode(sha1(private_key + data + private_key, 1))."""
    data = encode({"version": 3, "action": "pay", "amount": "1", "currency": "UAH"})
    raw = hashlib.sha1(b"my_private_key" + data.encode() + b"my_private_key").digest()
    assert sign(data, "my_private_key") == base64.b64encode(raw).decode()


def test_the_checkout_charges_uah_at_the_owners_rate_and_keeps_both(payer, liqpay_on):
    deposit = open_uah_payment(payer, "10")
    order = liqpay_on.open_checkout(deposit.checkout_url)  # the fake checks the signature
    assert (order["amount"], order["currency"]) == ("412.50", "UAH")
    assert (deposit.amount_micros, deposit.currency) == (to_micros("10"), "USD")
    assert (deposit.pay_minor, deposit.pay_currency) == (41250, "UAH")
    assert deposit.rate_micros == to_micros("41.25")


def test_a_signed_success_callback_credits_the_panel_amount_once(payer, liqpay_on):
    deposit = open_uah_payment(payer)
    liqpay_on.open_checkout(deposit.checkout_url)
    body = liqpay_on.callback(liqpay_on.pay(deposit.reference))
    assert deliver(body).outcome == payments.CREDITED
    assert deliver(body).outcome == payments.DUPLICATE
    assert balance_of(payer) == to_micros("10")


def test_a_callback_signed_with_another_key_credits_nothing(payer, liqpay_on):
    deposit = open_uah_payment(payer)
    liqpay_on.open_checkout(deposit.checkout_url)
    body = liqpay_on.callback(liqpay_on.pay(deposit.reference), private_key="sandbox_other")
    assert deliver(body).status_code == 400
    assert balance_of(payer) == 0


def test_a_callback_for_fewer_hryvnias_is_held_with_both_figures(payer, liqpay_on):
    deposit = open_uah_payment(payer)
    liqpay_on.open_checkout(deposit.checkout_url)
    deliver(liqpay_on.callback(liqpay_on.pay(deposit.reference, amount="41.25")))
    deposit.refresh_from_db()
    assert deposit.status == Status.HELD
    assert "paid 41.25 UAH, expected 412.50 UAH" in deposit.held_reason


def test_a_failed_payment_is_marked_failed(payer, liqpay_on):
    deposit = open_uah_payment(payer)
    liqpay_on.open_checkout(deposit.checkout_url)
    deliver(liqpay_on.callback(liqpay_on.pay(deposit.reference, status="failure")))
    deposit.refresh_from_db()
    assert deposit.status == Status.FAILED


def test_the_worker_asks_liqpay_for_the_status(payer, liqpay_on):
    deposit = open_uah_payment(payer)
    liqpay_on.open_checkout(deposit.checkout_url)
    DepositRequest.objects.filter(pk=deposit.pk).update(next_check_at=timezone.now())
    payments.check_due_payments()  # not paid yet: payment_not_found, still pending
    assert DepositRequest.objects.get(pk=deposit.pk).status == Status.PENDING
    liqpay_on.pay(deposit.reference)
    DepositRequest.objects.filter(pk=deposit.pk).update(next_check_at=timezone.now())
    payments.check_due_payments()
    assert balance_of(payer) == to_micros("10")


def test_a_reversal_after_crediting_goes_to_staff_as_a_refund(payer, liqpay_on):
    deposit = open_uah_payment(payer)
    liqpay_on.open_checkout(deposit.checkout_url)
    paid = liqpay_on.pay(deposit.reference)
    deliver(liqpay_on.callback(paid))
    received = deliver(liqpay_on.callback(dict(paid, status="reversed")))
    assert (received.outcome, received.deposit.pk) == ("refund", deposit.pk)
    assert (received.notice.amount_minor, received.notice.currency) == (41250, "UAH")


def test_a_status_api_error_is_not_a_failed_payment(payer, liqpay_on):
    """The status API refusing the call (here a wrong private key: invalid_signature)
    decides nothing: the payment stays pending and its success callback still credits."""
    deposit = open_uah_payment(payer)
    liqpay_on.open_checkout(deposit.checkout_url)
    save_gateway_settings(
        "liqpay",
        {"enabled": True, "position": 3, "currency": "UAH", "rate_micros": 41_250_000},
        {"public_key": PUBLIC_KEY, "private_key": "a-wrong-key"},
    )
    DepositRequest.objects.filter(pk=deposit.pk).update(next_check_at=timezone.now())
    payments.check_due_payments()
    assert DepositRequest.objects.get(pk=deposit.pk).status == Status.PENDING


def test_a_sandbox_payment_credits_nothing_unless_the_sandbox_mode_is_on(payer, liqpay_on):
    """Test keys left in production: LiqPay's "sandbox" status is a test card, no money."""
    deposit = open_uah_payment(payer)
    liqpay_on.open_checkout(deposit.checkout_url)
    body = liqpay_on.callback(liqpay_on.pay(deposit.reference, status="sandbox"))
    assert deliver(body).outcome == payments.STILL_PENDING
    assert balance_of(payer) == 0
    with override_settings(LIQPAY_SANDBOX=True):
        assert deliver(body).outcome == payments.CREDITED
    assert balance_of(payer) == to_micros("10")
