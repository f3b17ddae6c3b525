"""Per-address limits behind reverse proxies (``TRUSTED_PROXY_COUNT``).

With no trusted proxy the peer address is the client and ``X-Forwarded-For`` is ignored,
so a forged header changes nothing. Behind N trusted proxies the client is the Nth
entry from the right; what the client wrote further left is never read. The API's
invalid-key limiter, its key IP-spread rule and allauth's login limits all read the
address the same way.
"""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client, RequestFactory

from smmpanel.accounts.adapter import AccountAdapter
from smmpanel.accounts.models import ApiKey
from smmpanel.client_ip import client_ip
from tests.factories import make_key, make_user

PROXY = "10.0.0.1"
TOO_MANY_LOGINS = "Too many failed login attempts"
PASSWORD = "pw-Test-12345"  # the factories' default


def seen(forwarded: str | None = None, peer: str = PROXY) -> str | None:
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=peer, **headers))


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


@pytest.fixture
def behind_two_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 2


# -- reading the address ------------------------------------------------------------------


def test_without_trusted_proxies_the_forwarded_header_is_ignored():
    assert settings.TRUSTED_PROXY_COUNT == 0
    assert seen("198.51.100.7", peer="203.0.113.9") == "203.0.113.9"


def test_behind_one_proxy_the_client_is_the_rightmost_entry(behind_one_proxy):
    assert seen("198.51.100.7") == "198.51.100.7"


def test_behind_two_proxies_the_client_is_the_second_entry_from_the_right(behind_two_proxies):
    assert seen("198.51.100.7, 192.0.2.10") == "198.51.100.7"


def test_entries_the_client_wrote_are_never_read(behind_one_proxy):
    assert seen("1.2.3.4, 5.6.7.8, 198.51.100.7") == "198.51.100.7"


def test_a_header_shorter_than_the_proxy_count_is_answered_by_the_peer(behind_two_proxies):
    assert seen("198.51.100.7") == PROXY


def test_an_entry_that_is_no_address_is_answered_by_the_peer(behind_one_proxy):
    assert seen("1.2.3.4, not-an-address") == PROXY
    assert seen("1.2.3.4,") == PROXY


def test_a_request_without_the_header_is_answered_by_the_peer(behind_one_proxy):
    assert seen(None) == PROXY


def test_ipv6_entries_are_read_in_their_canonical_form(behind_one_proxy):
    assert seen("2001:DB8:0:0::7") == "2001:db8::7"


def test_allauth_reads_the_same_address(behind_one_proxy):
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.2.3.4, 5.6.7.8")
    assert AccountAdapter(request).get_client_ip(request) == "5.6.7.8"


# -- the API ------------------------------------------------------------------------------


def api(client, key: str, client_address: str | None = None, forwarded: str | None = None):
    """An API call through the proxy, from ``client_address`` (or with a raw header)."""
    header = forwarded if forwarded is not None else client_address
    extra = {"HTTP_X_FORWARDED_FOR": header} if header is not None else {}
    response = client.post("/api/v2", {"key": key, "action": "balance"}, REMOTE_ADDR=PROXY, **extra)
    assert response.status_code == 200
    return response.json()


def bad_key(n: int) -> str:
    return f"smmk_proxy{n:030d}"


def limited(answer: dict) -> bool:
    return answer.get("error", "").startswith("Too many invalid API keys")


def test_behind_a_proxy_invalid_keys_are_limited_per_client(client, db, behind_one_proxy):
    for n in range(settings.API_BAD_KEY_BURST + 1):
        api(client, bad_key(n), "198.51.100.20")

    assert limited(api(client, bad_key(0), "198.51.100.20"))
    assert api(client, bad_key(0), "198.51.100.21") == {"error": "Invalid API key"}


def test_a_forged_header_does_not_escape_the_invalid_key_limit(client, db):
    """No trusted proxy: every request is the peer's, whatever the header says."""
    for n in range(settings.API_BAD_KEY_BURST + 1):
        api(client, bad_key(n), f"198.51.100.{n % 250}")

    assert limited(api(client, bad_key(0), "192.0.2.99"))


def test_forged_entries_left_of_the_proxys_do_not_escape_the_limit(client, db, behind_one_proxy):
    for n in range(settings.API_BAD_KEY_BURST + 1):
        api(client, bad_key(n), forwarded=f"192.0.2.{n % 250}, 198.51.100.30")

    assert limited(api(client, bad_key(0), forwarded="192.0.2.251, 198.51.100.30"))


def test_the_key_is_seen_from_the_client_behind_the_proxy(client, db, behind_one_proxy):
    key = make_key(make_user("10"))

    assert "balance" in api(client, key, "198.51.100.40")

    assert ApiKey.objects.get().last_used_ip == "198.51.100.40"


# -- sign-in ------------------------------------------------------------------------------


def login(client, email: str, password: str, *, forwarded: str):
    return client.post(
        "/accounts/login/",
        {"login": email, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_behind_a_proxy_failed_logins_are_limited_per_client(db, behind_one_proxy):
    users = [make_user() for _ in range(11)]
    for user in users[:10]:
        login(Client(), user.email, "wrong", forwarded="198.51.100.50")

    other = Client()
    response = login(other, users[10].email, PASSWORD, forwarded="198.51.100.51")

    assert TOO_MANY_LOGINS not in response.content.decode()
    assert "_auth_user_id" in other.session
    refused = login(Client(), users[10].email, PASSWORD, forwarded="198.51.100.50")
    assert TOO_MANY_LOGINS in refused.content.decode()


def test_a_forged_header_does_not_escape_the_login_limit(db):
    """No trusted proxy: the proxy's (peer's) address is counted, not the header's."""
    users = [make_user() for _ in range(11)]
    for n, user in enumerate(users[:10]):
        login(Client(), user.email, "wrong", forwarded=f"192.0.2.{n}")

    refused = login(Client(), users[10].email, PASSWORD, forwarded="192.0.2.200")

    assert TOO_MANY_LOGINS in refused.content.decode()


# -- the setting --------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(None, 0), ("2", 2), ("-1", 0)])
def test_the_proxy_count_comes_from_the_environment_for_both(tmp_path, value, expected):
    env = {k: v for k, v in os.environ.items() if k != "TRUSTED_PROXY_COUNT"}
    env |= {"DJANGO_SETTINGS_MODULE": "smmpanel.settings", "DATA_DIR": str(tmp_path)}
    if value is not None:
        env["TRUSTED_PROXY_COUNT"] = value
    code = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps([s.TRUSTED_PROXY_COUNT, s.ALLAUTH_TRUSTED_PROXY_COUNT]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [expected, expected]
