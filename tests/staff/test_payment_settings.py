"""/staff/settings/payments/: the owner turns gateways on, orders them, sets limits, fees,
currency and keys (sealed, never shown back), and deposit bonus tiers; other roles are
refused; every save is audited without a key's value."""

import pytest

from smmpanel.accounts.models import User
from smmpanel.audit.models import Decision
from smmpanel.billing import gateways
from smmpanel.billing.models import BonusTier, GatewaySettings
from smmpanel.money import to_micros
from tests.factories import make_staff, make_user

URL = "/staff/settings/payments/"
SECRET = "sk_test_owner_pasted_this_51Habc"
FORM = {
    "position": "2",
    "fee_percent": "2.9",
    "fee_fixed": "0.30",
    "fee_paid_by": "customer",
    "reason": "open card payments",
}


@pytest.fixture
def owner_client(client, db):
    client.force_login(make_user(role=User.Role.STAFF))
    return client


def test_the_owner_enables_stripe_with_its_terms(owner_client):
    terms = {"enabled": "on", "min_amount": "5", "max_amount": "500", "secret_secret_key": SECRET}
    owner_client.post(f"{URL}stripe/", FORM | terms)
    stripe = gateways.enabled_gateway("stripe")
    assert stripe is not None
    config = stripe.config
    assert (config.position, config.fee_percent_bp, config.fee_fixed_micros) == (2, 290, 300_000)
    assert (config.min_micros, config.max_micros) == (to_micros("5"), to_micros("500"))
    assert stripe.secret("secret_key") == SECRET


def test_keys_are_sealed_at_rest(owner_client):
    owner_client.post(f"{URL}stripe/", FORM | {"secret_secret_key": SECRET})
    assert SECRET not in GatewaySettings.objects.get(code="stripe").secrets_sealed


def test_keys_are_never_shown_back(owner_client):
    owner_client.post(f"{URL}stripe/", FORM | {"secret_secret_key": SECRET})
    listing = owner_client.get(URL).content.decode()
    assert SECRET not in listing
    assert "Secret key: set<br>" in listing and "Webhook signing secret: not set<br>" in listing
    form = owner_client.get(f"{URL}stripe/").content.decode()
    assert SECRET not in form
    assert "<small>set — " in form  # what is stored is said, never shown


def test_an_empty_key_field_keeps_the_stored_key(owner_client):
    owner_client.post(f"{URL}stripe/", FORM | {"secret_secret_key": SECRET})
    owner_client.post(f"{URL}stripe/", FORM | {"fee_percent": "3"})
    assert gateways.gateway_named("stripe").secret("secret_key") == SECRET


def test_a_save_is_audited_with_the_fields_never_the_key(owner_client):
    owner_client.post(f"{URL}stripe/", FORM | {"secret_secret_key": SECRET})
    record = Decision.objects.get(rule_code="payments.gateway")
    assert record.reason == "open card payments"
    assert "secret_key" in str(record.inputs) and SECRET not in str(record.inputs)


def test_another_currency_needs_a_rate(owner_client):
    html = owner_client.post(f"{URL}stripe/", FORM | {"currency": "UAH"}).content.decode()
    assert "Another currency needs the rate" in html
    assert not GatewaySettings.objects.exists()


def test_a_maximum_below_the_minimum_is_refused(owner_client):
    response = owner_client.post(f"{URL}stripe/", FORM | {"min_amount": "50", "max_amount": "10"})
    assert "The maximum must not be below the minimum." in response.content.decode()
    assert not GatewaySettings.objects.exists()


def test_the_manual_transfer_can_be_switched_off(owner_client):
    owner_client.post(f"{URL}manual/", FORM)
    assert gateways.enabled_gateways() == []


def test_the_notification_url_is_shown_for_an_automatic_gateway(owner_client):
    html = owner_client.get(f"{URL}stripe/").content.decode()
    assert "http://testserver/payments/notify/stripe/" in html


def test_an_unknown_gateway_is_404(owner_client):
    assert owner_client.get(f"{URL}paypal/").status_code == 404


def test_bonus_tiers_are_added_and_removed(owner_client):
    owner_client.post(URL, {"from_amount": "100", "percent": "5", "reason": "spring promo"})
    tier = BonusTier.objects.get()
    assert (tier.from_micros, tier.percent_bp) == (to_micros("100"), 500)
    owner_client.post(URL, {"remove": str(tier.pk), "reason": "promo over"})
    assert not BonusTier.objects.exists()


def test_a_bonus_over_100_percent_is_refused(owner_client):
    response = owner_client.post(
        URL, {"from_amount": "100", "percent": "150", "reason": "typo"}, follow=True
    )
    assert "A percentage is at most 100." in response.content.decode()
    assert not BonusTier.objects.exists()


@pytest.mark.parametrize("role", [User.StaffRole.SUPPORT, User.StaffRole.MODERATOR])
def test_other_staff_roles_are_refused(client, db, role):
    client.force_login(make_staff(role))
    assert client.get(URL).status_code == 403
    client.post(f"{URL}stripe/", FORM | {"enabled": "on"})
    assert not GatewaySettings.objects.exists()


def test_a_currency_liqpay_does_not_charge_in_is_refused(owner_client):
    response = owner_client.post(f"{URL}liqpay/", FORM | {"currency": "GBP", "rate": "0.8"})
    assert "cannot charge in GBP." in response.content.decode()
    assert not GatewaySettings.objects.exists()


def test_a_three_decimal_currency_is_refused_for_stripe(owner_client):
    response = owner_client.post(f"{URL}stripe/", FORM | {"currency": "KWD", "rate": "0.3"})
    assert "cannot charge in KWD." in response.content.decode()
    assert not GatewaySettings.objects.exists()
