"""Customer payment pages: Add funds lists each method's terms, the price is shown before
paying, a card payment goes to the gateway's checkout, history and receipts."""

import pytest

from smmpanel.billing.deposits import request_deposit
from smmpanel.billing.gateway_settings import add_bonus_tier, save_gateway_settings
from smmpanel.billing.models import DepositRequest
from smmpanel.money import to_micros
from tests.factories import make_user


@pytest.fixture
def signed_in(client, customer):
    client.force_login(customer)
    return client


def test_add_funds_lists_each_method_with_its_limits_fee_and_the_bonus(signed_in, stripe_on):
    terms = {
        "min_micros": to_micros("5"),
        "max_micros": to_micros("500"),
        "fee_percent_bp": 290,
        "fee_fixed_micros": to_micros("0.30"),
    }
    save_gateway_settings("stripe", terms, {})
    add_bonus_tier(to_micros("100"), 500)
    html = signed_in.get("/funds/").content.decode()
    assert "Card, Apple Pay, Google Pay (Stripe)" in html
    assert "From 5.00 to 500.00 USD a payment." in html
    assert "Fee 2.9% + 0.30 USD, added to what you pay." in html
    assert "From 100.00 USD: +5% bonus" in html


def test_the_price_is_shown_before_paying_and_nothing_is_written(signed_in, stripe_on):
    save_gateway_settings("stripe", {"fee_percent_bp": 300, "fee_fixed_micros": 0}, {})
    add_bonus_tier(to_micros("50"), 1000)
    response = signed_in.get("/funds/quote/", {"gateway": "stripe", "amount": "50"})
    html = response.content.decode()
    assert 'id="receive-total">55.00 USD' in html
    assert 'id="pay-total">51.50 USD' in html
    assert not DepositRequest.objects.exists()


def test_a_quote_for_a_bad_amount_shows_the_message_beside_the_field(signed_in, stripe_on):
    html = signed_in.get("/funds/quote/", {"gateway": "stripe", "amount": "abc"}).content.decode()
    assert "Enter the amount as a number" in html
    assert not DepositRequest.objects.exists()


def test_paying_by_card_goes_to_the_gateways_checkout(signed_in, customer, stripe_on):
    response = signed_in.post("/funds/deposit/", {"gateway": "stripe", "amount": "25"})
    deposit = DepositRequest.objects.get(user=customer)
    assert response.status_code == 302
    assert response["Location"] == stripe_on.sessions[deposit.external_id]["url"]
    assert stripe_on.sessions[deposit.external_id]["success_url"].endswith(
        f"/funds/payments/{deposit.reference}/"
    )


def test_a_gateway_that_cannot_be_reached_is_said_and_nothing_is_charged(
    signed_in, customer, db, fake_stripe
):
    save_gateway_settings("stripe", {"enabled": True}, {"secret_key": "sk_test_not_the_fakes"})
    html = signed_in.post("/funds/deposit/", {"gateway": "stripe", "amount": "25"}).content.decode()
    assert "cannot be reached right now" in html
    assert DepositRequest.objects.get(user=customer).status == DepositRequest.Status.FAILED


def test_a_manual_transfer_keeps_the_reference_the_customer_typed(signed_in, customer):
    signed_in.post(
        "/funds/deposit/",
        {"gateway": "manual", "amount": "25", "customer_reference": "  SEPA   2024-000123 "},
    )
    assert DepositRequest.objects.get(user=customer).customer_reference == "SEPA 2024-000123"


def test_payments_history_shows_each_status(signed_in, customer):
    for status in ("pending", "confirmed", "expired", "failed", "held"):
        made = request_deposit(customer, "manual", "10")
        DepositRequest.objects.filter(pk=made.pk).update(status=status)
    html = signed_in.get("/funds/payments/").content.decode()
    for label in ("Pending", "Paid", "Expired", "Failed", "Held for review"):
        assert f'<span class="status">{label}</span>' in html


def test_a_receipt_shows_amount_fee_bonus_and_what_was_charged(signed_in, customer, stripe_on):
    save_gateway_settings("stripe", {"fee_percent_bp": 300, "fee_fixed_micros": 0}, {})
    add_bonus_tier(to_micros("20"), 1000)
    deposit = request_deposit(customer, "stripe", "25")
    html = signed_in.get(f"/funds/payments/{deposit.reference}/").content.decode()
    assert 'id="receipt-amount">25.00 USD' in html
    assert 'id="receipt-bonus">+2.50 USD' in html
    assert "25.75 USD" in html  # charged: 25 + 3 %


def test_nobody_sees_anothers_receipt(signed_in, db):
    stranger = make_user()
    deposit = request_deposit(stranger, "manual", "10")
    assert signed_in.get(f"/funds/payments/{deposit.reference}/").status_code == 404
