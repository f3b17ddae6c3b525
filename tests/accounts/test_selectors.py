"""Reads for users and API keys: the key an API request starts from."""

import pytest

from smmpanel.accounts.models import ApiKey
from smmpanel.accounts.selectors import api_key_for
from tests.factories import make_key

pytestmark = pytest.mark.django_db


def fields_of(obj) -> dict:
    """Every stored column of ``obj`` by attribute name, as Python values."""
    return {f.attname: getattr(obj, f.attname) for f in type(obj)._meta.concrete_fields}


def test_api_key_for_returns_the_key_its_user_and_wallet_as_the_orm_reads_them(customer):
    plaintext = make_key(customer)

    key = api_key_for(plaintext)

    expected = ApiKey.objects.select_related("user", "user__wallet").get(user=customer)
    assert fields_of(key) == fields_of(expected)
    assert fields_of(key.user) == fields_of(expected.user)
    assert fields_of(key.user.wallet) == fields_of(expected.user.wallet)


def test_select_related_objects_are_loaded_with_the_row(customer, django_assert_num_queries):
    plaintext = make_key(customer)
    balance = customer.wallet.balance_micros

    key = api_key_for(plaintext)

    with django_assert_num_queries(0):
        assert key.user.pk == customer.pk
        assert key.user.wallet.balance_micros == balance
