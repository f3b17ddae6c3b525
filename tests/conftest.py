from contextlib import contextmanager

import httpx
import hypothesis
import pytest
from django.test import override_settings
from django.utils import translation

from smmpanel.billing.gateway_settings import save_gateway_settings
from smmpanel.billing.models import LedgerEntry
from smmpanel.billing.selectors import balance_of
from smmpanel.catalog import active_catalog, price_rule_owners
from smmpanel.configuration import selectors as panel_configuration
from smmpanel.data_dir import prepare_data_dir
from smmpanel.orders.models import Order, OrderEvent, Refill
from smmpanel.policy import rule_cache
from tests.factories import make_key, make_service, make_user
from tests.fakes.liqpay import PRIVATE_KEY, PUBLIC_KEY, FakeLiqPay
from tests.fakes.nowpayments import API_KEY, IPN_SECRET, FakeNowPayments
from tests.fakes.stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe

NO_KEEPALIVE = httpx.Limits(max_keepalive_connections=0)


def pytest_configure(config):
    # The test database and the queue live in DATA_DIR: the run makes it, as the commands
    # that write there do (settings only name it).
    prepare_data_dir()


# No per-example deadline: on a loaded CI machine a slow example is not a wrong one.
hypothesis.settings.register_profile("smmpanel", deadline=None)
hypothesis.settings.load_profile("smmpanel")


@pytest.fixture(autouse=True, scope="session")
def fast_password_hashing():
    """Real hashing costs ~0.3 s a user; tests create many users and check no passwords."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def customer(db):
    return make_user("100")


@pytest.fixture
def service(db):
    return make_service()


@pytest.fixture(scope="session")
def http():
    """One plain-HTTP client for the whole run (building its TLS context costs ~20 ms).

    No keep-alive: on a reused connection the test server's split writes meet delayed
    ACKs and every request stalls ~40 ms; a fresh local connection costs ~1 ms.
    """
    with httpx.Client(timeout=10, limits=NO_KEEPALIVE) as client:
        yield client


@pytest.fixture
def api(live_server, http):
    """Call API v2 on a real HTTP server: ``api(key, action, encoding="form", **params)``."""

    url = f"{live_server.url}/api/v2"

    def call(key, action, *, encoding="form", **params):
        data = {"key": key, "action": action, **params}
        if encoding == "form":
            response = http.post(url, data=data)
        elif encoding == "json":
            response = http.post(url, json=data)
        elif encoding == "query":
            response = http.get(url, params=data)
        else:
            raise ValueError(encoding)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        return response.json()

    return call


@pytest.fixture
def api_customer(transactional_db):
    user = make_user("100")
    return user, make_key(user)


@pytest.fixture
def nothing_written():
    """``with nothing_written(user, …):`` asserts the block moved no money and wrote no
    order, order event, refill or ledger entry."""

    def snapshot(users):
        return (
            [balance_of(u) for u in users],
            Order.objects.count(),
            OrderEvent.objects.count(),
            Refill.objects.count(),
            LedgerEntry.objects.count(),
        )

    @contextmanager
    def check(*users):
        before = snapshot(users)
        yield
        assert snapshot(users) == before

    return check


@pytest.fixture(autouse=True)
def _staff_without_second_factor(settings, request):
    """Most staff tests sign in with force_login and no authenticator; the tests of the
    two-factor requirement itself ask for ``staff_2fa_enforced``."""
    if "staff_2fa_enforced" not in request.fixturenames:
        settings.STAFF_REQUIRE_2FA = False


@pytest.fixture
def staff_2fa_enforced(settings):
    settings.STAFF_REQUIRE_2FA = True


@pytest.fixture(autouse=True)
def _default_language():
    """A request served in Ukrainian leaves uk active in the thread; the next test
    must start in the default language."""
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _cached_reads_start_afresh():
    """Each test's database starts over; rule rows, deny entries, the active catalog and
    the owners of price rules cached in this process by an earlier test must not leak
    into it."""
    rule_cache.forget()
    active_catalog.forget()
    price_rule_owners.forget()
    panel_configuration.forget()
    yield
    rule_cache.forget()
    active_catalog.forget()
    price_rule_owners.forget()
    panel_configuration.forget()


@pytest.fixture
def fake_stripe():
    """A fake Stripe on 127.0.0.1 (tests/fakes/stripe.py), the library pointed at it."""
    with (
        FakeStripe() as fake,
        override_settings(STRIPE_API_BASE=fake.url, STRIPE_CHECKOUT_ORIGIN=fake.url),
    ):
        yield fake


@pytest.fixture
def stripe_on(db, fake_stripe):
    """Stripe enabled with the fake's keys, no fee, the panel's currency; the fake's
    notifications go to the test client's address (set ``webhook_url`` for a live one)."""
    save_gateway_settings(
        "stripe",
        {"enabled": True, "position": 1},
        {"secret_key": SECRET_KEY, "webhook_secret": WEBHOOK_SECRET},
    )
    return fake_stripe


@pytest.fixture
def nowpayments_on(db):
    """NOWPayments enabled with the fake's keys (tests/fakes/nowpayments.py)."""
    with (
        FakeNowPayments() as fake,
        override_settings(NOWPAYMENTS_API_BASE=fake.url, NOWPAYMENTS_CHECKOUT_ORIGIN=fake.url),
    ):
        save_gateway_settings(
            "nowpayments",
            {"enabled": True, "position": 2},
            {"api_key": API_KEY, "ipn_secret": IPN_SECRET},
        )
        yield fake


@pytest.fixture
def liqpay_on(db):
    """LiqPay enabled with the fake's keys, charging UAH at 41.25 per panel unit."""
    with FakeLiqPay() as fake, override_settings(LIQPAY_BASE=fake.url):
        save_gateway_settings(
            "liqpay",
            {"enabled": True, "position": 3, "currency": "UAH", "rate_micros": 41_250_000},
            {"public_key": PUBLIC_KEY, "private_key": PRIVATE_KEY},
        )
        yield fake
