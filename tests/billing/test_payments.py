"""Money rules of automatic payments, one a test: credited at most once whatever arrives,
mismatches held for staff with both figures, bonus its own ledger kind, disputes into
the chargeback flow, refunds to staff."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from smmpanel.billing import payments
from smmpanel.billing.deposits import confirm_deposit, request_deposit
from smmpanel.billing.gateway_settings import add_bonus_tier, save_gateway_settings
from smmpanel.billing.models import DepositRequest, LedgerEntry, PaymentNotification
from smmpanel.billing.selectors import balance_of, ledger_mismatches
from smmpanel.billing.services import adjust, set_frozen
from smmpanel.billing.stripe_gateway import StripeGateway
from smmpanel.money import to_micros
from smmpanel.notifications.models import Alert
from smmpanel.policy.models import BalanceReview, Restriction
from smmpanel.policy.payment_disputes import chargeback_from_gateway
from tests.billing.payment_helpers import deliver, open_stripe_payment
from tests.factories import make_staff, make_user
from tests.fakes.stripe import WEBHOOK_SECRET, sign

Status = DepositRequest.Status


@pytest.fixture
def customer(db):
    """A customer with an empty balance: every figure below is what payments moved."""
    return make_user()


@pytest.fixture
def paid(customer, stripe_on):
    """A payment of 25 paid at the fake, its completion event not yet delivered."""
    deposit = open_stripe_payment(customer, "25")
    return deposit, stripe_on.event(
        "checkout.session.completed", stripe_on.pay(deposit.external_id)
    )


def deposits(user) -> list[int]:
    return list(
        LedgerEntry.objects.filter(user=user, kind="deposit").values_list(
            "amount_micros", flat=True
        )
    )


def test_a_signed_completion_credits_the_payment(customer, paid):
    deposit, body = paid
    assert deliver(body).outcome == payments.CREDITED
    deposit.refresh_from_db()
    assert deposit.status == Status.CONFIRMED
    assert balance_of(customer) == to_micros("25")
    assert deposit.payment_id.startswith("pi_test_")


def test_the_same_notification_twice_credits_once(customer, paid):
    _deposit, body = paid
    deliver(body)
    assert deliver(body).outcome == payments.DUPLICATE
    assert deposits(customer) == [to_micros("25")]


def test_a_replay_of_the_notification_with_a_fresh_signature_credits_nothing_more(customer, paid):
    _deposit, body = paid
    deliver(body)
    deliver(body, sign(body, timestamp=int(timezone.now().timestamp()) + 5))
    assert deposits(customer) == [to_micros("25")]


def test_async_success_after_completion_credits_once(customer, stripe_on, paid):
    deposit, body = paid
    session = stripe_on.sessions[deposit.external_id]
    deliver(body)
    deliver(stripe_on.event("checkout.session.async_payment_succeeded", session))
    assert deposits(customer) == [to_micros("25")]


def test_an_expiry_arriving_after_the_payment_changes_nothing(customer, stripe_on, paid):
    deposit, body = paid
    deliver(body)
    expired = dict(stripe_on.sessions[deposit.external_id], status="expired")
    assert (
        deliver(stripe_on.event("checkout.session.expired", expired)).outcome == payments.DUPLICATE
    )
    deposit.refresh_from_db()
    assert deposit.status == Status.CONFIRMED
    assert balance_of(customer) == to_micros("25")


def test_a_payment_reported_after_its_expiry_is_held_not_credited(customer, stripe_on, paid):
    deposit, body = paid
    expired = dict(
        stripe_on.sessions[deposit.external_id], status="expired", payment_status="unpaid"
    )
    deliver(stripe_on.event("checkout.session.expired", expired))
    assert deliver(body).outcome == payments.HELD
    deposit.refresh_from_db()
    assert deposit.status == Status.HELD
    assert "after it was marked expired" in deposit.held_reason
    assert balance_of(customer) == 0


def test_the_notification_before_the_customers_return_credits_once(customer, paid, client):
    deposit, body = paid
    deliver(body)
    client.force_login(customer)
    page = client.get(f"/funds/payments/{deposit.reference}/").content.decode()
    assert '<strong class="status" id="payment-status">Paid</strong>' in page
    assert deposits(customer) == [to_micros("25")]


def test_the_return_without_a_notification_is_credited_by_the_status_check(customer, stripe_on):
    deposit = open_stripe_payment(customer, "25")
    stripe_on.pay(deposit.external_id)
    DepositRequest.objects.filter(pk=deposit.pk).update(next_check_at=timezone.now())

    assert payments.check_due_payments() == 1
    assert balance_of(customer) == to_micros("25")


def test_the_status_check_is_bounded(customer, stripe_on):
    deposit = open_stripe_payment(customer, "25")
    for _ in payments.CHECK_AFTER:
        DepositRequest.objects.filter(pk=deposit.pk).update(next_check_at=timezone.now())
        payments.check_payment(deposit.pk)
    deposit.refresh_from_db()
    assert deposit.next_check_at is None
    assert deposit.checks == len(payments.CHECK_AFTER)


def test_a_check_claimed_by_another_worker_is_not_made_twice(customer, stripe_on, monkeypatch):
    """While one worker is asking the gateway, a second worker whose list of due checks
    still names the payment finds it claimed (leased) and asks nothing."""
    deposit = open_stripe_payment(customer, "25")
    stripe_on.pay(deposit.external_id)
    DepositRequest.objects.filter(pk=deposit.pk).update(next_check_at=timezone.now())
    asked, second = [], []
    fetch = StripeGateway.fetch_status

    def asking(gateway, payment):
        asked.append(payment.pk)
        if len(asked) == 1:  # the first worker is mid-call: the second one runs now
            second.append(payments.check_payment(deposit.pk))
        return fetch(gateway, payment)

    monkeypatch.setattr(StripeGateway, "fetch_status", asking)
    assert payments.check_payment(deposit.pk) == payments.CREDITED
    assert (second, asked) == ([None], [deposit.pk])
    assert deposits(customer) == [to_micros("25")]


def test_an_expired_session_found_by_the_check_marks_the_payment_expired(customer, stripe_on):
    deposit = open_stripe_payment(customer, "25")
    stripe_on.expire(deposit.external_id)
    DepositRequest.objects.filter(pk=deposit.pk).update(next_check_at=timezone.now())
    payments.check_due_payments()
    deposit.refresh_from_db()
    assert deposit.status == Status.EXPIRED
    assert deposit.next_check_at is None


def test_a_bad_signature_credits_nothing_and_is_logged_without_secrets(customer, paid, caplog):
    _deposit, body = paid
    with caplog.at_level(logging.WARNING):
        received = deliver(body, sign(body, "whsec_wrong"))
    assert received.status_code == 400
    assert balance_of(customer) == 0
    assert "refused" in caplog.text
    assert WEBHOOK_SECRET not in caplog.text and "whsec_wrong" not in caplog.text
    kept = PaymentNotification.objects.get()
    assert (kept.verified, kept.outcome) == (False, "bad_signature")


def test_an_old_timestamp_credits_nothing(customer, paid):
    _deposit, body = paid
    old = sign(body, timestamp=int(timezone.now().timestamp()) - 3600)
    assert deliver(body, old).status_code == 400
    assert balance_of(customer) == 0


def test_an_amount_mismatch_is_held_for_staff_with_both_figures(customer, stripe_on):
    deposit = open_stripe_payment(customer, "25")
    session = stripe_on.pay(deposit.external_id, amount=2000)
    received = deliver(stripe_on.event("checkout.session.completed", session))
    assert received.outcome == payments.HELD
    deposit.refresh_from_db()
    assert deposit.status == Status.HELD
    assert "paid 20.00 USD, expected 25.00 USD" in deposit.held_reason
    assert balance_of(customer) == 0
    assert Alert.objects.filter(kind="payment_held").exists()


def test_a_currency_mismatch_is_held_for_staff(customer, stripe_on):
    deposit = open_stripe_payment(customer, "25")
    session = stripe_on.pay(deposit.external_id, currency="eur")
    deliver(stripe_on.event("checkout.session.completed", session))
    deposit.refresh_from_db()
    assert deposit.status == Status.HELD
    assert "25.00 EUR, expected 25.00 USD" in deposit.held_reason
    assert balance_of(customer) == 0


def test_staff_may_confirm_a_held_payment_once(customer, stripe_on):
    deposit = open_stripe_payment(customer, "25")
    deliver(
        stripe_on.event(
            "checkout.session.completed", stripe_on.pay(deposit.external_id, amount=2000)
        )
    )
    confirm_deposit(deposit.pk, actor=make_staff("owner"), note="checked with the bank")
    assert balance_of(customer) == to_micros("25")


def test_an_unknown_payment_is_logged_and_answered_so_stripe_stops(stripe_on, caplog, db):
    body = stripe_on.event(
        "checkout.session.completed",
        {
            "id": "cs_test_unknown",
            "status": "complete",
            "payment_status": "paid",
            "amount_total": 100,
            "currency": "usd",
        },
    )
    with caplog.at_level(logging.INFO):
        received = deliver(body)
    assert (received.status_code, received.outcome) == (200, "unknown_payment")
    assert "names no known payment" in caplog.text


def test_the_bonus_is_its_own_ledger_entry_never_paid_money(customer, stripe_on):
    add_bonus_tier(to_micros("20"), 1000)
    deposit = open_stripe_payment(customer, "25")
    deliver(stripe_on.event("checkout.session.completed", stripe_on.pay(deposit.external_id)))
    assert deposits(customer) == [to_micros("25")]
    bonus = LedgerEntry.objects.get(user=customer, kind=LedgerEntry.Kind.BONUS)
    assert bonus.amount_micros == to_micros("2.50")
    assert balance_of(customer) == to_micros("27.50")
    deposit.refresh_from_db()
    assert deposit.bonus_entry == bonus
    assert stripe_on.sessions[deposit.external_id]["amount_total"] == 2500  # bonus not charged


def test_the_fee_paid_by_the_customer_is_charged_but_not_credited(customer, stripe_on):
    save_gateway_settings(
        "stripe", {"fee_percent_bp": 290, "fee_fixed_micros": to_micros("0.30")}, {}
    )
    deposit = open_stripe_payment(customer, "25")
    assert stripe_on.sessions[deposit.external_id]["amount_total"] == 2603  # 25 + 0.725 + 0.30
    deliver(stripe_on.event("checkout.session.completed", stripe_on.pay(deposit.external_id)))
    assert balance_of(customer) == to_micros("25")


def test_a_payment_under_balance_review_is_held_with_its_bonus(customer, stripe_on):
    add_bonus_tier(to_micros("20"), 1000)
    set_frozen(customer, True)
    deposit = open_stripe_payment(customer, "25")
    deliver(stripe_on.event("checkout.session.completed", stripe_on.pay(deposit.external_id)))
    assert balance_of(customer) == 0
    assert sorted(deposit.user.heldcredit_set.values_list("kind", flat=True)) == [
        "bonus",
        "deposit",
    ]


def test_a_dispute_takes_back_bonus_then_paid_money_and_opens_a_review(
    customer, stripe_on, service
):
    add_bonus_tier(to_micros("20"), 1000)
    deposit = open_stripe_payment(customer, "25")
    deliver(stripe_on.event("checkout.session.completed", stripe_on.pay(deposit.external_id)))
    deposit.refresh_from_db()
    # The customer spent part of it: the chargeback goes below zero, truthfully.
    adjust(customer, -to_micros("20"), memo="spent (test)", created_by=make_staff("owner"))
    assert chargeback_from_gateway(deposit, 2500, "charge.dispute.created")

    kinds = list(
        LedgerEntry.objects.filter(user=customer)
        .order_by("id")
        .values_list("kind", "amount_micros")
    )
    assert kinds[-2:] == [("bonus", -to_micros("2.50")), ("chargeback", -to_micros("25"))]
    assert balance_of(customer) == -to_micros("20")
    assert Restriction.objects.filter(user=customer).exists()
    assert BalanceReview.objects.filter(user=customer, closed_at__isnull=True).exists()
    assert not ledger_mismatches()


def test_a_replayed_dispute_takes_back_nothing_more(customer, stripe_on):
    deposit = open_stripe_payment(customer, "25")
    deliver(stripe_on.event("checkout.session.completed", stripe_on.pay(deposit.external_id)))
    deposit.refresh_from_db()
    assert chargeback_from_gateway(deposit, 2500, "charge.dispute.created")
    assert not chargeback_from_gateway(deposit, 2500, "charge.dispute.created")
    assert LedgerEntry.objects.filter(user=customer, kind="chargeback").count() == 1


def test_a_partial_dispute_takes_back_its_share_of_the_paid_money(customer, stripe_on):
    deposit = open_stripe_payment(customer, "25")
    deliver(stripe_on.event("checkout.session.completed", stripe_on.pay(deposit.external_id)))
    deposit.refresh_from_db()
    chargeback_from_gateway(deposit, 1000, "charge.dispute.created")
    assert balance_of(customer) == to_micros("15")


def test_a_refund_at_the_gateway_goes_to_staff_and_moves_no_money(customer, stripe_on):
    deposit = open_stripe_payment(customer, "25")
    deliver(stripe_on.event("checkout.session.completed", stripe_on.pay(deposit.external_id)))
    received = deliver(
        stripe_on.event("charge.refunded", stripe_on.charge_refunded(deposit.external_id))
    )
    assert received.outcome == "refund"
    assert payments.refer_refund(received.deposit, received.notice)
    assert not payments.refer_refund(received.deposit, received.notice)
    assert balance_of(customer) == to_micros("25")
    assert Alert.objects.filter(kind="payment_refunded").count() == 1


def test_every_notification_is_kept_for_staff(customer, paid):
    _deposit, body = paid
    deliver(body)
    deliver(body, "t=1,v1=00")
    assert list(PaymentNotification.objects.order_by("id").values_list("verified", "outcome")) == [
        (True, "credited"),
        (False, "bad_signature"),
    ]


def test_a_gateway_that_cannot_be_reached_fails_the_payment_and_charges_nothing(
    customer, db, fake_stripe
):
    save_gateway_settings("stripe", {"enabled": True}, {"secret_key": "sk_test_wrong"})
    deposit = request_deposit(customer, "stripe", "25")
    with pytest.raises(payments.PaymentUnavailable):
        payments.start_payment(deposit, return_url="http://x/", notify_url="http://x/")
    deposit.refresh_from_db()
    assert deposit.status == Status.FAILED
    assert timezone.now() - deposit.decided_at < timedelta(minutes=1)


def test_a_payment_with_nothing_to_ask_about_is_not_checked_again(customer, stripe_on):
    """A payment never opened at its gateway has no id to ask about: its checks stop."""
    deposit = request_deposit(customer, "stripe", "25")
    DepositRequest.objects.filter(pk=deposit.pk).update(next_check_at=timezone.now())
    assert payments.check_payment(deposit.pk) is None
    assert DepositRequest.objects.get(pk=deposit.pk).next_check_at is None
