"""Two-factor secrets are sealed at rest (``accounts.mfa_secrets`` through allauth's
MFA adapter): a copy of the database does not give anyone a user's codes, while the
codes themselves work as before, for secrets sealed now and stored earlier alike."""

import time
from importlib import import_module

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.apps import apps

from smmpanel.accounts import mfa_secrets
from smmpanel.providers import secrets as provider_secrets
from tests.factories import make_user

PERIOD = 30  # allauth's default TOTP period


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // PERIOD))


def stored_before_sealing(user, secret: str) -> Authenticator:
    """A TOTP authenticator as allauth wrote it before the panel sealed secrets."""
    return Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": secret}
    )


@pytest.mark.django_db
def test_a_totp_secret_is_stored_sealed():
    secret = generate_totp_secret()

    TOTP.activate(make_user(), secret)

    stored = Authenticator.objects.get().data["secret"]
    assert stored.startswith(mfa_secrets.SEALED)
    assert secret not in stored


@pytest.mark.django_db
def test_a_sealed_totp_secret_still_checks_its_codes():
    secret = generate_totp_secret()
    totp = TOTP.activate(make_user(), secret)

    assert totp.validate_code(current_code(secret))


@pytest.mark.django_db
def test_a_totp_secret_stored_before_sealing_still_checks_its_codes():
    secret = generate_totp_secret()
    authenticator = stored_before_sealing(make_user(), secret)

    assert TOTP(authenticator).validate_code(current_code(secret))


@pytest.mark.django_db
def test_a_recovery_code_seed_is_stored_sealed():
    RecoveryCodes.activate(make_user())

    stored = Authenticator.objects.get().data["seed"]
    assert stored.startswith(mfa_secrets.SEALED)


@pytest.mark.django_db
def test_recovery_codes_stay_the_same_when_their_seed_is_sealed():
    user = make_user()
    authenticator = Authenticator.objects.create(
        user=user, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "ab" * 40, "used_mask": 0}
    )
    before = RecoveryCodes(authenticator).generate_codes()

    authenticator.data = mfa_secrets.seal_stored(authenticator.data)
    authenticator.save()

    assert RecoveryCodes(authenticator).generate_codes() == before


@pytest.mark.django_db
def test_the_migration_seals_secrets_stored_before_sealing():
    secret = generate_totp_secret()
    authenticator = stored_before_sealing(make_user(), secret)
    migration = import_module("smmpanel.accounts.migrations.0005_seal_mfa_secrets")

    migration.seal_existing(apps, None)

    authenticator.refresh_from_db()
    assert authenticator.data["secret"].startswith(mfa_secrets.SEALED)
    assert TOTP(authenticator).validate_code(current_code(secret))


def test_sealing_twice_leaves_a_sealed_secret_as_it_is():
    sealed = mfa_secrets.seal_stored({"secret": "JBSWY3DPEHPK3PXP", "used_mask": 0})

    assert mfa_secrets.seal_stored(sealed) == sealed


@pytest.mark.parametrize(
    ("seal", "unseal"),
    [(mfa_secrets.seal, mfa_secrets.unseal), (provider_secrets.seal, provider_secrets.unseal)],
    ids=["two-factor secret", "provider key"],
)
def test_a_secret_sealed_before_the_secret_key_was_rotated_still_opens(seal, unseal, settings):
    settings.PROVIDER_KEY_SECRET = ""
    settings.SECRET_KEY = "the old secret key, long enough to be one"
    sealed = seal("JBSWY3DPEHPK3PXP")

    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the new secret key, long enough to be one"

    assert unseal(sealed) == "JBSWY3DPEHPK3PXP"


def test_a_provider_key_does_not_open_as_a_two_factor_secret(settings):
    settings.PROVIDER_KEY_SECRET = ""
    sealed = provider_secrets.seal("provider-key-123")

    with pytest.raises(ValueError, match="cannot be opened"):
        mfa_secrets.unseal(mfa_secrets.SEALED + sealed)


@pytest.mark.django_db
def test_going_back_over_the_migration_unseals_the_secrets():
    secret = generate_totp_secret()
    TOTP.activate(make_user(), secret)
    migration = import_module("smmpanel.accounts.migrations.0005_seal_mfa_secrets")

    migration.unseal_existing(apps, None)

    assert Authenticator.objects.get().data["secret"] == secret


def test_a_secret_sealed_under_a_key_since_dropped_says_why_it_cannot_open(settings):
    settings.SECRET_KEY = "the old secret key, long enough to be one"
    sealed = mfa_secrets.seal("JBSWY3DPEHPK3PXP")
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a new key, long enough to be one", []

    with pytest.raises(ValueError, match="SECRET_KEY_FALLBACKS"):
        mfa_secrets.unseal(sealed)
