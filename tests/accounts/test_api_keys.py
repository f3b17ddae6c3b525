"""API keys: recognisable, typo-proof, stored only as a keyed hash, revocable, and telling
their owner when and from where they were last used."""

import string
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from smmpanel.accounts import key_format
from smmpanel.accounts.models import ApiKey, User
from smmpanel.accounts.selectors import api_key_for, api_keys_of
from smmpanel.accounts.services import issue_api_key, record_key_use, revoke_api_key
from tests.factories import make_user

BASE62 = string.digits + string.ascii_letters
KEY_LENGTH = len("smmk_") + 32 + 6


# --- the format ---------------------------------------------------------------------------


def test_a_key_is_the_prefix_then_base62_body_and_checksum():
    key = key_format.generate()

    assert key.startswith("smmk_")
    assert len(key) == KEY_LENGTH
    assert set(key[5:]) <= set(BASE62)
    assert key_format.is_well_formed(key)


def test_keys_are_random():
    keys = {key_format.generate() for _ in range(200)}

    assert len(keys) == 200
    # ≥128 random bits: 32 base62 characters carry ~190 bits
    assert len({k[5:37] for k in keys}) == 200


@given(st.data())
def test_any_single_character_typo_is_caught_by_the_checksum(data):
    key = key_format.generate()
    position = data.draw(st.integers(min_value=5, max_value=len(key) - 1))
    # An offset, not a filtered choice: the key is random, so what hypothesis draws must
    # not depend on it (a filter on it made the draws differ between runs).
    shift = data.draw(st.integers(min_value=1, max_value=len(BASE62) - 1))
    replacement = BASE62[(BASE62.index(key[position]) + shift) % len(BASE62)]

    typo = key[:position] + replacement + key[position + 1 :]

    assert not key_format.is_well_formed(typo)


@given(st.data())
def test_swapping_two_neighbouring_characters_is_caught(data):
    key = key_format.generate()
    i = data.draw(st.integers(min_value=5, max_value=len(key) - 2))
    if key[i] == key[i + 1]:
        return

    swapped = key[:i] + key[i + 1] + key[i] + key[i + 2 :]

    assert not key_format.is_well_formed(swapped)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda k: k[:-1],  # truncated
        lambda k: k + "x",  # too long
        lambda k: "smmx_" + k[5:],  # wrong prefix
        lambda k: k.upper(),
        lambda k: k[:10] + "-" + k[11:],  # outside the alphabet
        lambda k: " " + k[1:],
        lambda k: "",
    ],
    ids=["truncated", "extended", "prefix", "upper", "alphabet", "space", "empty"],
)
def test_malformed_keys_are_refused_without_a_lookup(mangle, django_assert_num_queries, db):
    key = key_format.generate()

    with django_assert_num_queries(0):
        assert not key_format.is_well_formed(mangle(key))
        assert api_key_for(mangle(key)) is None


def test_the_stored_hash_is_keyed_by_the_pepper():
    key = key_format.generate()

    with override_settings(API_KEY_PEPPER="one"):
        first = key_format.digest(key)
    with override_settings(API_KEY_PEPPER="two"):
        second = key_format.digest(key)

    assert first != second and len(first) == 64


# --- issuing and storing ------------------------------------------------------------------


@pytest.mark.django_db
def test_issuing_a_key_returns_the_plaintext_once_and_stores_only_its_hash(customer):
    issued = issue_api_key(customer, "reseller bot")

    stored = ApiKey.objects.get(pk=issued.api_key.pk)
    assert stored.key_hash == key_format.digest(issued.plaintext)
    assert stored.prefix == issued.plaintext[:9] and stored.last4 == issued.plaintext[-4:]
    assert stored.masked == f"{issued.plaintext[:9]}…{issued.plaintext[-4:]}"
    assert stored.name == "reseller bot"
    assert not hasattr(stored, "plaintext")


@pytest.mark.django_db
def test_the_plaintext_is_nowhere_in_the_database(customer):
    plaintext = issue_api_key(customer, "secret").plaintext

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apikey")
        rows = cursor.fetchall()

    dumped = repr(rows)
    assert plaintext not in dumped
    assert plaintext[5:37] not in dumped  # not even the random body


@pytest.mark.django_db
def test_a_user_may_hold_several_named_keys_each_working(customer):
    first = issue_api_key(customer, "shop")
    second = issue_api_key(customer, "bot")

    assert api_key_for(first.plaintext).pk == first.api_key.pk
    assert api_key_for(second.plaintext).pk == second.api_key.pk
    assert {k.name for k in api_keys_of(customer)} == {"shop", "bot"}


@pytest.mark.django_db
def test_a_well_formed_but_unknown_key_finds_nothing(customer):
    issue_api_key(customer)

    assert api_key_for(key_format.generate()) is None


@pytest.mark.django_db
def test_a_key_matches_only_when_spelled_exactly(customer):
    plaintext = issue_api_key(customer).plaintext

    assert api_key_for(plaintext).user == customer
    assert api_key_for(plaintext.lower()) is None


# --- revocation and inactive users --------------------------------------------------------


@pytest.mark.django_db
def test_a_revoked_key_no_longer_finds_its_user_but_other_keys_do(customer):
    old = issue_api_key(customer, "old")
    new = issue_api_key(customer, "new")

    revoke_api_key(old.api_key)

    assert api_key_for(old.plaintext) is None
    assert api_key_for(new.plaintext).user == customer
    assert ApiKey.objects.get(pk=old.api_key.pk).revoked_at is not None


@pytest.mark.django_db
def test_revoking_twice_keeps_the_first_revocation_time(customer):
    issued = issue_api_key(customer)
    revoke_api_key(issued.api_key)
    first = ApiKey.objects.get(pk=issued.api_key.pk).revoked_at

    revoke_api_key(issued.api_key)

    assert ApiKey.objects.get(pk=issued.api_key.pk).revoked_at == first


@pytest.mark.django_db
def test_the_key_of_a_deactivated_user_finds_nothing(customer):
    plaintext = issue_api_key(customer).plaintext

    User.objects.filter(pk=customer.pk).update(is_active=False)

    assert api_key_for(plaintext) is None


def test_a_revoked_key_gets_invalid_api_key_from_the_api(api, api_customer):
    user, plaintext = api_customer
    assert api(plaintext, "balance") == {"balance": "100.00", "currency": "USD"}

    revoke_api_key(ApiKey.objects.get(user=user))

    assert api(plaintext, "balance") == {"error": "Invalid API key"}


def test_a_deactivated_users_key_gets_invalid_api_key_from_the_api(api, api_customer):
    user, plaintext = api_customer
    User.objects.filter(pk=user.pk).update(is_active=False)

    assert api(plaintext, "balance") == {"error": "Invalid API key"}


# --- last use -----------------------------------------------------------------------------


def test_an_api_call_records_when_and_from_where_the_key_was_last_used(api, api_customer):
    user, plaintext = api_customer
    before = timezone.now()

    api(plaintext, "balance")

    stored = ApiKey.objects.get(user=user)
    assert stored.last_used_at is not None and stored.last_used_at >= before
    assert stored.last_used_ip == "127.0.0.1"


def test_a_refused_call_with_an_unknown_key_records_nothing(api, api_customer):
    user, plaintext = api_customer

    api(key_format.generate(), "balance")

    assert ApiKey.objects.get(user=user).last_used_at is None


@pytest.mark.django_db
def test_last_use_is_written_at_most_once_a_minute_from_the_same_ip(
    customer, django_assert_num_queries
):
    api_key = issue_api_key(customer).api_key
    record_key_use(api_key, "203.0.113.5")
    first = ApiKey.objects.get(pk=api_key.pk).last_used_at

    with django_assert_num_queries(0):
        record_key_use(api_key, "203.0.113.5")

    assert ApiKey.objects.get(pk=api_key.pk).last_used_at == first


@pytest.mark.django_db
def test_last_use_is_written_again_from_a_new_ip(customer):
    api_key = issue_api_key(customer).api_key
    record_key_use(api_key, "203.0.113.5")

    record_key_use(api_key, "2001:db8::1")

    assert ApiKey.objects.get(pk=api_key.pk).last_used_ip == "2001:db8::1"


@pytest.mark.django_db
def test_last_use_is_written_again_after_a_minute(customer):
    api_key = issue_api_key(customer).api_key
    record_key_use(api_key, "203.0.113.5")
    an_hour_ago = timezone.now() - timedelta(hours=1)
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=an_hour_ago)
    api_key.refresh_from_db()

    record_key_use(api_key, "203.0.113.5")

    assert ApiKey.objects.get(pk=api_key.pk).last_used_at > an_hour_ago


@pytest.mark.django_db
def test_last_use_of_another_user_key_is_untouched(customer):
    mine = issue_api_key(customer).api_key
    theirs = issue_api_key(make_user()).api_key

    record_key_use(mine, "203.0.113.5")

    assert ApiKey.objects.get(pk=theirs.pk).last_used_at is None
