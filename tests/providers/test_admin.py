"""The raw-data admin cannot move a provider to another address: that goes through the
staff provider page, which checks the address (SSRF) and records who changed it."""

import pytest
from django.test import Client

from smmpanel.accounts.models import User
from smmpanel.providers.models import Provider
from smmpanel.providers.secrets import seal
from tests.factories import make_user


def upstream() -> Provider:
    # Written directly: add_provider would resolve the (made-up) host.
    return Provider.objects.create(
        name="Upstream",
        api_url="https://provider.example/api/v2",
        api_key_sealed=seal("key-0001"),
        api_key_last4="0001",
    )


@pytest.fixture
def superuser(db):
    user = make_user(role=User.Role.STAFF)
    User.objects.filter(pk=user.pk).update(is_superuser=True, is_staff=True)
    return User.objects.get(pk=user.pk)


def test_the_admin_change_form_leaves_a_providers_address_as_it_was(superuser):
    provider = upstream()
    client = Client()
    client.force_login(superuser)

    client.post(
        f"/admin/providers/provider/{provider.pk}/change/",
        {
            "name": "Upstream",
            "api_url": "https://169.254.169.254/latest/meta-data",
            "allow_private": "on",
            "api_key_last4": "0001",
            "active": "on",
            "balance_micros": "0",
            "currency": "USD",
        },
    )

    provider = Provider.objects.get(pk=provider.pk)
    assert (provider.api_url, provider.allow_private) == ("https://provider.example/api/v2", False)


def test_the_admin_shows_a_providers_address(superuser):
    provider = upstream()
    client = Client()
    client.force_login(superuser)

    page = client.get(f"/admin/providers/provider/{provider.pk}/change/")

    assert page.status_code == 200
    assert b"https://provider.example/api/v2" in page.content


def test_the_admin_adds_no_provider(superuser):
    client = Client()
    client.force_login(superuser)

    assert client.get("/admin/providers/provider/add/").status_code == 403
