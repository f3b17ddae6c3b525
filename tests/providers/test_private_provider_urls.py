"""A provider allowed private addresses (the demo's simulator) still cannot be pointed at
a cloud metadata or link-local address, or at an oddly spelt IP: editing its URL re-runs
the check, and a call with a URL stored before the check existed sends nothing there."""

import socket

import httpx
import pytest

from smmpanel.providers.client import ProviderClient, ProviderUnavailable
from smmpanel.providers.models import Provider
from smmpanel.providers.services import add_provider, update_provider
from smmpanel.providers.url_safety import UnsafeProviderUrl

SIM_URL = "http://127.0.0.1:18099/api/v2"
KEY = "sim-key-0000"


@pytest.fixture
def simulator_provider(db):
    return add_provider("Simulator", SIM_URL, KEY, allow_private=True)


def edit_url(provider: Provider, url: str) -> Provider:
    return update_provider(provider, actor=None, name=provider.name, api_url=url, active=True)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://100.100.100.200/",
        "http://[fe80::1]:18099/",
    ],
)
def test_editing_a_private_provider_to_a_metadata_or_link_local_url_is_refused(
    simulator_provider, url
):
    with pytest.raises(UnsafeProviderUrl):
        edit_url(simulator_provider, url)
    simulator_provider.refresh_from_db()
    assert simulator_provider.api_url == SIM_URL


@pytest.mark.parametrize("url", ["http://0x7f000001:18099/", "http://2130706433:18099/"])
def test_editing_a_private_provider_to_an_odd_ip_spelling_is_refused(simulator_provider, url):
    with pytest.raises(UnsafeProviderUrl, match="unusual IPv4 spelling"):
        edit_url(simulator_provider, url)
    simulator_provider.refresh_from_db()
    assert simulator_provider.api_url == SIM_URL


def test_editing_a_private_provider_to_another_loopback_port_is_accepted(simulator_provider):
    edit_url(simulator_provider, "http://127.0.0.1:18100/api/v2")
    simulator_provider.refresh_from_db()
    assert simulator_provider.api_url == "http://127.0.0.1:18100/api/v2"


def test_a_private_provider_whose_name_resolves_to_metadata_sends_no_request():
    sent = []

    def answer(request):
        sent.append(request)
        return httpx.Response(200, json={"balance": "1.00", "currency": "USD"})

    def resolve(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))]

    client = ProviderClient(
        "http://simulator.internal:18099/api/v2",
        KEY,
        transport=httpx.MockTransport(answer),
        allow_private=True,
        resolve=resolve,
        retries=0,
    )
    with pytest.raises(ProviderUnavailable, match="metadata"):
        client.balance()
    assert sent == []
