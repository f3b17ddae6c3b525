"""NOWPayments against its fake on 127.0.0.1: invoices, IPN signatures as documented,
underpaid and overpaid invoices credited by what arrived and flagged, expiry."""

import hashlib
import hmac
import json

import pytest
from django.utils import timezone

from smmpanel.accounts.models import User
from smmpanel.billing import gateways, payments
from smmpanel.billing.deposits import confirm_deposit, reject_deposit, request_deposit
from smmpanel.billing.gateway_settings import add_bonus_tier
from smmpanel.billing.models import DepositRequest, LedgerEntry
from smmpanel.billing.nowpayments_gateway import signature_of
from smmpanel.billing.payment_gateway import BadSignature
from smmpanel.billing.selectors import balance_of
from smmpanel.money import to_micros
from smmpanel.notifications.models import Alert
from tests.factories import make_user
from tests.fakes.nowpayments import IPN_SECRET

Status = DepositRequest.Status


@pytest.fixture
def payer(db):
    return make_user()


def open_crypto_payment(user, amount="40"):
    deposit = request_deposit(user, "nowpayments", amount)
    notify_url = "http://testserver/payments/notify/nowpayments/"
    return payments.start_payment(deposit, return_url="http://testserver/r/", notify_url=notify_url)


def deliver(fake, payment, secret=IPN_SECRET):
    body, headers = fake.ipn(payment, secret)
    return payments.receive_notification("nowpayments", body, headers, "127.0.0.1")


def test_the_signature_is_hmac_sha512_of_the_sorted_compact_json():
    """NOWPayments' documented scheme: sort the keys (nested too), serialise without
    spaces, HMAC-SHA512 under the IPN secret, hex."""
    body = (
        b'{"payment_status":"finished","payment_id":5077125051,'
        b'"fee":{"depositFee":0,"currency":"btc"},"actually_paid":0.00062}'
    )
    canonical = (
        '{"actually_paid":0.00062,"fee":{"currency":"btc","depositFee":0},'
        '"payment_id":5077125051,"payment_status":"finished"}'
    )
    expected = hmac.new(b"secret", canonical.encode(), hashlib.sha512).hexdigest()
    assert signature_of(body, "secret") == expected


def test_an_invoice_is_created_for_the_computed_amount(payer, nowpayments_on):
    deposit = open_crypto_payment(payer, "40")
    invoice = nowpayments_on.invoices[deposit.external_id]
    assert (invoice["price_amount"], invoice["price_currency"]) == ("40.0", "usd")
    assert invoice["order_id"] == deposit.reference
    assert deposit.checkout_url == invoice["invoice_url"]


def test_a_finished_payment_is_credited_once(payer, nowpayments_on):
    deposit = open_crypto_payment(payer)
    paid = nowpayments_on.pay(deposit.external_id)
    assert deliver(nowpayments_on, paid).outcome == payments.CREDITED
    assert deliver(nowpayments_on, paid).outcome == payments.DUPLICATE
    assert balance_of(payer) == to_micros("40")


def test_a_bad_ipn_signature_credits_nothing(payer, nowpayments_on):
    deposit = open_crypto_payment(payer)
    paid = nowpayments_on.pay(deposit.external_id)
    assert deliver(nowpayments_on, paid, secret="not-the-secret").status_code == 400
    assert balance_of(payer) == 0


def test_a_tampered_ipn_is_refused(payer, nowpayments_on):
    gateway = gateways.gateway_named("nowpayments")
    deposit = open_crypto_payment(payer)
    underpaid = nowpayments_on.pay(deposit.external_id, share="0.5", status="partially_paid")
    body, headers = nowpayments_on.ipn(underpaid)
    tampered = json.dumps(dict(json.loads(body), payment_status="finished")).encode()
    with pytest.raises(BadSignature):
        gateway.verify_notification(tampered, headers)


def test_an_underpaid_invoice_is_credited_by_what_arrived_and_flagged(payer, nowpayments_on):
    deposit = open_crypto_payment(payer, "40")
    deliver(
        nowpayments_on,
        nowpayments_on.pay(deposit.external_id, share="0.5", status="partially_paid"),
    )
    deposit.refresh_from_db()
    assert deposit.status == Status.CONFIRMED
    assert (deposit.amount_micros, deposit.requested_micros) == (to_micros("20"), to_micros("40"))
    assert balance_of(payer) == to_micros("20")
    assert Alert.objects.filter(kind="payment_partial").exists()


def test_an_overpaid_invoice_is_credited_by_what_arrived_and_flagged(payer, nowpayments_on):
    deposit = open_crypto_payment(payer, "40")
    deliver(nowpayments_on, nowpayments_on.pay(deposit.external_id, share="1.25"))
    assert balance_of(payer) == to_micros("50")
    assert Alert.objects.filter(kind="payment_partial").exists()


def test_the_bonus_follows_what_arrived(payer, nowpayments_on):
    add_bonus_tier(to_micros("30"), 1000)
    deposit = open_crypto_payment(payer, "40")
    deliver(
        nowpayments_on,
        nowpayments_on.pay(deposit.external_id, share="0.5", status="partially_paid"),
    )
    assert not LedgerEntry.objects.filter(user=payer, kind="bonus").exists()  # 20 < 30


def test_an_expired_invoice_closes_the_payment(payer, nowpayments_on):
    deposit = open_crypto_payment(payer)
    expired = nowpayments_on.pay(deposit.external_id, share="0", status="expired")
    assert deliver(nowpayments_on, expired).outcome == "expired"
    deposit.refresh_from_db()
    assert deposit.status == Status.EXPIRED


def test_a_payment_confirmed_after_expiry_is_held(payer, nowpayments_on):
    deposit = open_crypto_payment(payer)
    deliver(nowpayments_on, nowpayments_on.pay(deposit.external_id, share="0", status="expired"))
    deliver(nowpayments_on, nowpayments_on.pay(deposit.external_id))
    deposit.refresh_from_db()
    assert deposit.status == Status.HELD
    assert balance_of(payer) == 0


def test_the_worker_reads_a_known_payments_status(payer, nowpayments_on):
    deposit = open_crypto_payment(payer)
    confirming = nowpayments_on.pay(deposit.external_id, status="confirming")
    deliver(nowpayments_on, confirming)  # still pending: the payment id is learnt
    DepositRequest.objects.filter(pk=deposit.pk).update(next_check_at=timezone.now())
    nowpayments_on.payments[str(confirming["payment_id"])]["payment_status"] = "finished"
    payments.check_due_payments()
    assert balance_of(payer) == to_micros("40")


def test_a_price_mismatch_is_held(payer, nowpayments_on):
    deposit = open_crypto_payment(payer, "40")
    paid = dict(nowpayments_on.pay(deposit.external_id), price_amount="4.0")
    deliver(nowpayments_on, paid)
    deposit.refresh_from_db()
    assert deposit.status == Status.HELD
    assert "paid 4.00 USD, expected 40.00 USD" in deposit.held_reason


# An IPN body as NOWPayments sends it (their API docs' example shape, numbers written as
# JavaScript writes them): small coin amounts like 0.00004 stay in decimal notation.
GENUINE_IPN = (
    '{"payment_id":5077125051,"invoice_id":4522625843,"payment_status":"finished",'
    '"pay_address":"bc1qfake0000","price_amount":1,"price_currency":"usd",'
    '"pay_amount":0.00004,"actually_paid":0.00004,"actually_paid_at_fiat":0,'
    '"pay_currency":"btc","order_id":"D000000000","order_description":"Balance top-up",'
    '"purchase_id":"6084744717","created_at":"2026-12-07T12:00:00.000Z",'
    '"updated_at":"2026-12-07T12:05:00.000Z","outcome_amount":0.0000351,'
    '"outcome_currency":"btc","fee":{"currency":"btc","depositFee":1e-7,"withdrawalFee":0,'
    '"serviceFee":0}}'
)
GENUINE_IPN_SORTED = (
    '{"actually_paid":0.00004,"actually_paid_at_fiat":0,"created_at":"2026-12-07T12:00:00.000Z",'
    '"fee":{"currency":"btc","depositFee":1e-7,"serviceFee":0,"withdrawalFee":0},'
    '"invoice_id":4522625843,"order_description":"Balance top-up","order_id":"D000000000",'
    '"outcome_amount":0.0000351,"outcome_currency":"btc","pay_address":"bc1qfake0000",'
    '"pay_amount":0.00004,"pay_currency":"btc","payment_id":5077125051,'
    '"payment_status":"finished","price_amount":1,"price_currency":"usd",'
    '"purchase_id":"6084744717","updated_at":"2026-12-07T12:05:00.000Z"}'
)


def test_a_genuine_ipn_with_small_coin_amounts_is_verified(nowpayments_on):
    """The signature is over the sorted JSON with every number exactly as written in the
    body (0.00004, not Python's 4e-05)."""
    signature = hmac.new(IPN_SECRET.encode(), GENUINE_IPN_SORTED.encode(), hashlib.sha512)
    gateway = gateways.gateway_named("nowpayments")
    notice = gateway.verify_notification(
        GENUINE_IPN.encode(), {"x-nowpayments-sig": signature.hexdigest()}
    )
    assert notice.event_type == "payment.finished"
    assert notice.external_id == "4522625843"


@pytest.mark.parametrize(
    "body",
    [b"[" * 5000, b'{"a":"\\ud800"}', b'{"a":1}\x00', b"\xff\xfe", b"", b'{"a":NaN}'],
    ids=["deeply-nested", "lone-surrogate", "nul", "not-utf8", "empty", "nan"],
)
def test_garbage_ipn_bodies_are_refused_as_bad_signatures(nowpayments_on, body):
    gateway = gateways.gateway_named("nowpayments")
    with pytest.raises(BadSignature):
        gateway.verify_notification(body, {"x-nowpayments-sig": "0" * 128})


def test_a_part_payment_after_expiry_is_held_and_confirmed_at_what_arrived(payer, nowpayments_on):
    """Half of the coins arrive after the invoice expired: the held payment records and
    shows 20.00 USD, and staff confirming it credit 20, not the invoice's 40."""
    deposit = open_crypto_payment(payer, "40")
    deliver(nowpayments_on, nowpayments_on.pay(deposit.external_id, share="0", status="expired"))
    half = nowpayments_on.pay(deposit.external_id, share="0.5", status="partially_paid")
    assert deliver(nowpayments_on, half).outcome == payments.HELD
    deposit.refresh_from_db()
    assert (deposit.received_minor, deposit.amount_micros) == (2000, to_micros("20"))
    assert "paid 20.00 USD after it was marked expired" in deposit.held_reason
    confirm_deposit(deposit, actor=make_user(role=User.Role.STAFF))
    assert balance_of(payer) == to_micros("20")


def test_a_payment_after_staff_rejected_the_deposit_is_held_and_alerted(payer, nowpayments_on):
    deposit = open_crypto_payment(payer, "40")
    reject_deposit(deposit, actor=make_user(role=User.Role.STAFF), reason="no payment seen")
    assert deliver(nowpayments_on, nowpayments_on.pay(deposit.external_id)).outcome == "held"
    deposit.refresh_from_db()
    assert deposit.status == Status.HELD
    assert "after it was marked rejected" in deposit.held_reason
    assert Alert.objects.filter(kind="payment_held").exists()
    assert balance_of(payer) == 0


def test_a_refund_after_crediting_goes_to_staff_as_a_refund(payer, nowpayments_on):
    deposit = open_crypto_payment(payer, "40")
    paid = nowpayments_on.pay(deposit.external_id)
    deliver(nowpayments_on, paid)
    received = deliver(nowpayments_on, dict(paid, payment_status="refunded"))
    assert (received.outcome, received.deposit.pk) == ("refund", deposit.pk)
    assert balance_of(payer) == to_micros("40")  # staff correct the balance, as policy says


def test_an_abandoned_coin_payment_does_not_close_the_invoice_paid_in_another(
    payer, nowpayments_on
):
    """The customer picks BTC, switches to USDT and pays: BTC's expiry closes nothing."""
    deposit = open_crypto_payment(payer, "40")
    btc = nowpayments_on.pay(deposit.external_id, status="waiting")
    usdt = nowpayments_on.pay(deposit.external_id, status="waiting", coin="usdttrc20", rate="1")
    deliver(nowpayments_on, btc)
    deliver(nowpayments_on, usdt)
    assert deliver(nowpayments_on, dict(btc, payment_status="expired")).outcome == "pending"
    assert deliver(nowpayments_on, dict(usdt, payment_status="finished")).outcome == "credited"
    assert balance_of(payer) == to_micros("40")


def test_a_checkout_never_paid_expires_when_the_checks_run_out(payer, nowpayments_on):
    """No coin was ever chosen: after the last scheduled check the payment is expired, so
    it no longer counts against the customer's pending deposits."""
    deposit = open_crypto_payment(payer, "40")
    DepositRequest.objects.filter(pk=deposit.pk).update(
        checks=len(payments.CHECK_AFTER) - 1, next_check_at=timezone.now()
    )
    payments.check_due_payments()
    assert DepositRequest.objects.get(pk=deposit.pk).status == Status.EXPIRED


def test_a_finished_payment_short_by_dust_is_credited_in_full(payer, nowpayments_on):
    """NOWPayments judged it paid; a few satoshi of rounding is not an underpayment."""
    deposit = open_crypto_payment(payer, "40")
    deliver(nowpayments_on, nowpayments_on.pay(deposit.external_id, share="0.9999"))
    assert balance_of(payer) == to_micros("40")
    assert not Alert.objects.filter(kind="payment_partial").exists()
