"""Guessing passwords and API keys is limited (issue 7).

Sign-in: allauth counts failed logins per IP (10 a minute) and per account and address
(5 in 5 minutes), so failures from one address never lock the account for another; per
account across all addresses there is a ceiling (``LOGIN_FAILED_ACCOUNT_LIMIT``, 30 an
hour), higher for an account with a TOTP authenticator (``LOGIN_FAILED_TOTP_ACCOUNT_LIMIT``,
100 an hour, the design's cap): its password alone opens nothing, so it takes many more
failures, but its password still cannot be guessed from ever more addresses. Over a
limit, even the right password is refused with a clear message. Login POSTs per IP are capped
too (429).

API v2: invalid keys fill a bucket per client IP (``API_BAD_KEY_PER_MINUTE``, default 30
a minute, 30 at once). While it is full every keyed request from that IP is refused with
the same answer — a right guess looks like a wrong one — in the API v2 shape (HTTP 200,
``error``) with ``Retry-After``. Other IPs, and keys already used from that IP (their
owners' traffic), are unaffected.
"""

import re
import time
from types import SimpleNamespace

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings

from smmpanel.policy import rate_limit
from smmpanel.policy.models import RateBucket
from tests.factories import make_key, make_staff, make_user

PASSWORD = "pw-Test-12345"  # the factories' default
TOO_MANY_LOGINS = "Too many failed login attempts"
LOGIN = "/accounts/login/"


def login(client, email: str, password: str, ip: str):
    return client.post(LOGIN, {"login": email, "password": password}, REMOTE_ADDR=ip)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


# -- sign-in ------------------------------------------------------------------------------


def test_failed_logins_for_one_account_from_one_address_lock_that_address(client, db):
    user = make_user()
    for n in range(5):
        response = login(client, user.email, f"wrong-{n}", "198.51.100.7")
        assert response.status_code == 200 and not signed_in(client)
        assert TOO_MANY_LOGINS not in response.content.decode()

    refused = login(client, user.email, PASSWORD, "198.51.100.7")  # the right password

    assert TOO_MANY_LOGINS in refused.content.decode()
    assert not signed_in(client)


def test_failed_logins_from_one_address_do_not_lock_the_account_elsewhere(client, db):
    owner = make_staff("owner")
    for n in range(5):
        login(client, owner.email, f"wrong-{n}", "198.51.100.8")

    assert signed_in_elsewhere(owner)


def test_failed_logins_from_many_addresses_lock_the_account_at_its_ceiling(client, db, settings):
    settings.ACCOUNT_RATE_LIMITS = settings.ACCOUNT_RATE_LIMITS | {
        "login_failed_account": "8/h/key"
    }
    user = make_user()
    for n in range(8):  # two addresses, four failures each: under the per-address limit
        login(client, user.email, f"wrong-{n}", f"198.51.100.{20 + n % 2}")

    refused = login(client, user.email, PASSWORD, "198.51.100.99")

    assert TOO_MANY_LOGINS in refused.content.decode()
    assert not signed_in(client)


def _with_totp(owner) -> None:
    Authenticator.objects.create(user=owner, type=Authenticator.Type.TOTP, data={"secret": "x"})


def test_an_account_with_totp_takes_more_failures_before_its_ceiling(client, db, settings):
    settings.ACCOUNT_RATE_LIMITS = settings.ACCOUNT_RATE_LIMITS | {
        "login_failed_account": "8/h/key",
        "login_failed_totp_account": "20/h/key",
    }
    owner = make_staff("owner")
    _with_totp(owner)
    for n in range(12):
        login(client, owner.email, f"wrong-{n}", f"198.51.100.{40 + n % 3}")

    answer = login(client, owner.email, PASSWORD, "198.51.100.99")

    assert TOO_MANY_LOGINS not in answer.content.decode()
    assert answer.status_code == 302 and "/2fa/authenticate/" in answer["Location"]


def test_an_account_with_totp_is_not_guessed_from_ever_more_addresses(client, db, settings):
    """Its password alone opens nothing, but a right guess shows (the code step follows)
    and may open the same person's accounts elsewhere: its ceiling is higher, not gone."""
    settings.ACCOUNT_RATE_LIMITS = settings.ACCOUNT_RATE_LIMITS | {
        "login_failed_totp_account": "20/h/key"
    }
    owner = make_staff("owner")
    _with_totp(owner)
    for n in range(20):  # 20 addresses, one failure each: no per-address limit met
        login(client, owner.email, f"wrong-{n}", f"198.51.100.{100 + n}")

    refused = login(client, owner.email, PASSWORD, "198.51.100.250")

    assert TOO_MANY_LOGINS in refused.content.decode()
    assert not signed_in(client)


def test_failed_logins_from_one_address_are_limited_across_accounts(client, db):
    users = [make_user() for _ in range(11)]
    for user in users[:10]:
        failed = login(client, user.email, "wrong", "203.0.113.7")
        assert TOO_MANY_LOGINS not in failed.content.decode()

    refused = login(client, users[10].email, PASSWORD, "203.0.113.7")

    assert TOO_MANY_LOGINS in refused.content.decode()
    assert not signed_in(client)
    assert signed_in_elsewhere(users[10])


def signed_in_elsewhere(user) -> bool:
    """The same account from another address is not locked by that address's failures."""
    from django.test import Client

    other = Client()
    login(other, user.email, PASSWORD, "192.0.2.1")
    return signed_in(other)


def test_a_flood_of_login_posts_from_one_address_gets_429(client, db):
    user = make_user()
    statuses = [login(client, user.email, "x", "203.0.113.9").status_code for _ in range(31)]

    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429
    assert "Too Many Requests" in login(client, user.email, "x", "203.0.113.9").content.decode()


# -- API keys -------------------------------------------------------------------------------


def api(client, key: str | None, ip: str, action: str = "balance"):
    data = {"action": action} | ({"key": key} if key is not None else {})
    response = client.post("/api/v2", data, REMOTE_ADDR=ip)
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    return response


@pytest.fixture
def good_key(db):
    return make_key(make_user("10"))


def bad_key(n: int) -> str:
    return f"smmk_guess{n:030d}"


def test_invalid_keys_from_one_address_are_limited(client, good_key):
    ip = "203.0.113.50"
    limit = settings.API_BAD_KEY_BURST
    answers = [api(client, bad_key(n), ip).json() for n in range(limit)]
    assert answers == [{"error": "Invalid API key"}] * limit

    over = api(client, bad_key(limit), ip)

    assert re.fullmatch(r"Too many invalid API keys, retry in \d+ s", over.json()["error"])
    assert set(over.json()) == {"error"}
    assert int(over["Retry-After"]) >= 1
    assert over["RateLimit-Policy"] == f'"badkey";q={settings.API_BAD_KEY_PER_MINUTE};w=60'


def test_while_limited_a_right_key_is_refused_like_a_wrong_one(client, good_key):
    """Otherwise the limit would still tell a guesser which of its guesses is right."""
    ip = "203.0.113.51"
    for n in range(settings.API_BAD_KEY_BURST + 1):
        api(client, bad_key(n), ip)

    answers = [api(client, key, ip).json() for key in (good_key, bad_key(999), None, "")]

    shapes = {re.sub(r"\d+", "N", a["error"]) for a in answers}
    assert shapes == {"Too many invalid API keys, retry in N s"}


def test_other_addresses_and_valid_traffic_are_not_limited(client, good_key):
    for n in range(settings.API_BAD_KEY_BURST + 5):
        api(client, bad_key(n), "203.0.113.52")

    assert api(client, bad_key(0), "203.0.113.53").json() == {"error": "Invalid API key"}
    assert "balance" in api(client, good_key, "203.0.113.53").json()
    for _ in range(settings.API_BAD_KEY_BURST + 5):  # valid keys fill no bucket
        assert "balance" in api(client, good_key, "203.0.113.54").json()
    assert not RateBucket.objects.filter(key="badkey:203.0.113.54").exists()


def test_the_limit_lifts_with_time(client, good_key, monkeypatch):
    ip = "203.0.113.55"
    for n in range(settings.API_BAD_KEY_BURST + 1):
        api(client, bad_key(n), ip)
    wait = int(api(client, good_key, ip)["Retry-After"])

    later = time.time() + wait + 1
    monkeypatch.setattr(rate_limit, "time", SimpleNamespace(time=lambda: later))

    assert "balance" in api(client, good_key, ip).json()
    assert api(client, bad_key(0), ip).json() == {"error": "Invalid API key"}


def test_waiting_reads_a_bucket_without_spending_it(db):
    now = 1_000_000.0
    assert rate_limit.waiting("k", 60, 2, now) == 0
    assert not RateBucket.objects.filter(key="k").exists()
    assert rate_limit.take("k", 60, 2, now) == 0
    assert rate_limit.take("k", 60, 2, now) == 0
    assert rate_limit.waiting("k", 60, 2, now) == pytest.approx(1.0)
    assert rate_limit.waiting("k", 60, 2, now) == pytest.approx(1.0)  # still: nothing spent
    assert rate_limit.waiting("k", 60, 2, now + 1.0) == 0
    assert rate_limit.waiting("k", 0, 2, now) == 60.0


def test_a_zero_rate_turns_the_limit_off(client, good_key, settings):
    settings.API_BAD_KEY_PER_MINUTE = 0
    for n in range(40):
        assert api(client, bad_key(n), "203.0.113.56").json() == {"error": "Invalid API key"}
    assert "balance" in api(client, good_key, "203.0.113.56").json()


def test_a_key_already_used_from_the_address_keeps_working(client, good_key):
    """Its owner's traffic from their own server: a guesser there learns nothing new."""
    ip = "203.0.113.57"
    assert "balance" in api(client, good_key, ip).json()
    for n in range(settings.API_BAD_KEY_BURST + 1):
        api(client, bad_key(n), ip)

    assert "balance" in api(client, good_key, ip).json()
    assert api(client, bad_key(0), ip).json()["error"].startswith("Too many invalid API keys")
