"""No secret in any log line (issue 7): a full run through the main flows with every log
captured, then grepped for the API key, the provider's key and the passwords.

The run: ``smmpanel createuser … --api-key`` in a subprocess (its stdout and stderr are
kept; the key it prints on its last line on purpose is the one line left out), API v2
``add``/``status``/``balance`` with that key — as a form POST, a JSON body and a GET
query string — over a real HTTP server that logs request lines the way ``runserver``
does, a provider with its own key and an order forwarded to the simulator (plus faults,
so the provider client logs its failures), and sign-ins with a wrong and a right password.

Captured: what the panel's configured log handler writes (with every logger turned to
DEBUG), and every record that reaches the root logger before any filter sees it. The
test's own HTTP calls use urllib, which logs nothing, so client-side lines (httpx logs
request URLs) are not mistaken for the panel's.

This is one process's handlers. The logs real processes write to files (gunicorn's, the
panel worker's, PostgreSQL's) are searched for the same secrets by the fault tests that
run them, ``tests/faults/test_web_crash.py`` and ``test_database_restart.py``, with
``tests/faults/process_logs.py``.
"""

import io
import json
import logging
import os
import secrets
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.db import connection, connections

from smmpanel.fulfilment.forwarding import forward_submission
from smmpanel.fulfilment.status_sync import sync_provider
from smmpanel.logging_filters import MaskSecrets, mask
from smmpanel.money import to_micros
from smmpanel.providers.models import ServiceRoute, Submission
from smmpanel.providers.services import add_provider, refresh_balance
from smmpanel.providers.simulator.server import serve
from tests.factories import make_service

SMMPANEL = str(Path(sys.executable).with_name("smmpanel"))


# -- capturing ------------------------------------------------------------------------------


class Captured:
    def __init__(self):
        self.written = io.StringIO()  # what the configured handler writes
        self.raw = io.StringIO()  # every record reaching the root logger, unfiltered

    def text(self) -> str:
        return self.written.getvalue() + self.raw.getvalue()


def configured_handlers() -> list[logging.Handler]:
    """The stream handlers settings.LOGGING installed (root's and django.server's)."""
    found = []
    for logger in (logging.getLogger(), logging.getLogger("django.server")):
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler and handler not in found:
                found.append(handler)
    return found


@pytest.fixture
def logs():
    captured = Captured()
    handlers = configured_handlers()
    assert handlers, "settings.LOGGING installs no stream handler"
    streams = [h.setStream(captured.written) for h in handlers]
    levels = [(h, h.level) for h in handlers]
    for handler in handlers:
        handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    raw = logging.StreamHandler(captured.raw)
    raw.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root.handlers.insert(0, raw)  # before any filter of the configured handler runs
    loggers = [root] + [
        logging.getLogger(name)
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    ]
    saved = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
    try:
        yield captured
    finally:
        for logger, level in saved:
            logger.setLevel(level)
        root.removeHandler(raw)
        for handler, stream in zip(handlers, streams, strict=True):
            handler.setStream(stream)
        for handler, level in levels:
            handler.setLevel(level)


# -- a server that logs request lines like runserver ----------------------------------------


class LoggedRequestHandler(WSGIRequestHandler):
    """runserver's handler (request lines to ``django.server``), closing its thread's
    database connections when done."""

    def handle(self):
        try:
            super().handle()
        finally:
            connections.close_all()


@pytest.fixture
def server(transactional_db):
    httpd = ThreadedWSGIServer(("127.0.0.1", 0), LoggedRequestHandler, allow_reuse_address=False)
    httpd.set_app(WSGIHandler())  # not get_wsgi_application(): it would reconfigure logging
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def http(url: str, data: dict | None = None, *, as_json=False, opener=None) -> tuple[int, str]:
    """A request with urllib (which logs nothing): POST when ``data`` is given."""
    body, headers = None, {}
    if data is not None and as_json:
        body, headers = json.dumps(data).encode(), {"Content-Type": "application/json"}
    elif data is not None:
        body = urllib.parse.urlencode(data).encode()
    request = urllib.request.Request(url, body, headers)
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def database_url() -> str:
    """The test database, as DATABASE_URL for a subprocess."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = urllib.parse.quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + urllib.parse.quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


# -- the run --------------------------------------------------------------------------------


def createuser(email: str, password: str) -> tuple[str, str]:
    """``smmpanel createuser --api-key``: the key it printed, and everything else it said."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "smmpanel.settings",
        "LOG_LEVEL": "DEBUG",
    }
    done = subprocess.run(
        [SMMPANEL, "createuser", email, "--password", password, "--balance", "50", "--api-key"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    *said, key = done.stdout.rstrip("\n").splitlines()
    assert key.startswith("smmk_")
    return key, "\n".join(said) + "\n" + done.stderr


def sign_in(base: str, email: str, password: str) -> int:
    """A browser's sign-in: fetch the form (CSRF cookie), then post it."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    http(f"{base}/accounts/login/", opener=opener)
    token = next(c.value for c in jar if c.name == "csrftoken")
    form = {"login": email, "password": password, "csrfmiddlewaretoken": token}
    status, _ = http(f"{base}/accounts/login/", form, opener=opener)
    return status


def test_a_full_run_logs_no_secret(logs, server, settings):
    settings.STAFF_REQUIRE_2FA = False
    password = "Pw-" + secrets.token_urlsafe(12)
    wrong_password = "Wrong-" + secrets.token_urlsafe(12)
    provider_key = "prov_" + secrets.token_hex(16)

    # A customer with a key, made by the console command.
    api_key, createuser_output = createuser("reseller@example.com", password)

    # A provider with its own key, and a service routed to it.
    sim = serve(key=provider_key, seed=3, start_delay=0, speed=1000, banner=False)
    try:
        provider = add_provider("Upstream", sim.url, provider_key, allow_private=True)
        service = make_service()
        ServiceRoute.objects.create(
            service=service,
            provider=provider,
            provider_service_id="1",
            cost_micros=to_micros("0.60"),
        )

        # API v2 with the key: form POST, JSON body, query string.
        api = f"{server}/api/v2"
        link = "https://www.instagram.com/p/NoSecrets1/"
        _, added = http(
            api,
            {"key": api_key, "action": "add", "service": service.pk, "link": link, "quantity": 100},
        )
        order_id = json.loads(added)["order"]
        http(api, {"key": api_key, "action": "balance"}, as_json=True)
        query = urllib.parse.urlencode({"key": api_key, "action": "status", "order": order_id})
        _, status = http(f"{api}?{query}")
        assert json.loads(status)["status"] == "Pending"
        http(f"{api}?key={api_key}x&action=balance")  # a mistyped key, also in a URL

        # Forwarded upstream with the provider's key; then its failures, logged.
        assert forward_submission(Submission.objects.get(order_id=order_id).pk) == "accepted"
        assert refresh_balance(provider)
        sim_control(sim, fault="error500", actions=["balance"], count=1)
        refresh_balance(provider)
        sim_control(sim, fault="garbage", actions=["status"], count=1)
        Submission.objects.filter(order_id=order_id).update(next_sync_at=None)
        sync_provider(provider)
        _, status = http(f"{api}?{query}")
    finally:
        sim.shutdown()

    # Sign-in: a wrong password, then the right one.
    assert sign_in(server, "reseller@example.com", wrong_password) == 200
    assert sign_in(server, "reseller@example.com", password) == 200  # redirected home

    output = logs.text() + createuser_output
    # The capture really saw the run: request lines (masked), the forwarding, httpx.
    assert "GET /api/v2?key=***&action=status" in logs.written.getvalue()
    assert "POST /accounts/login/" in logs.written.getvalue()
    assert f"order {order_id} run 1 accepted upstream" in output
    assert "HTTP Request: POST" in output
    for name, secret in {
        "API key": api_key,
        "API key body": api_key[5:25],
        "provider key": provider_key,
        "password": password,
        "wrong password": wrong_password,
    }.items():
        assert secret not in output, f"the {name} is in a log line"


def sim_control(sim, **fault):
    request = urllib.request.Request(
        sim.control_url, json.dumps(fault).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


# -- the filter -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        (
            '"GET /api/v2?key=smmk_abc123&action=balance HTTP/1.1" 200 35',
            '"GET /api/v2?key=***&action=balance HTTP/1.1" 200 35',
        ),
        ("GET /api/v2?action=add&key=abc", "GET /api/v2?action=add&key=***"),
        ("api_key=s3cr3t&x=1", "api_key=***&x=1"),
        ("password=hunter2 next=/", "password=*** next=/"),
        ('{"key": "k-123", "action": "balance"}', '{"key": "***", "action": "balance"}'),
        ("{'password': 'p\\'w'}", "{'password': '***'}"),
        ("leaked smmk_4Fz9aB0c1d2E3f4G5h6I7j8K9l0M1n2O3p4Q here", "leaked smmk_*** here"),
        ("monkey=1&keyboard=2", "monkey=1&keyboard=2"),
        ("order 42 accepted upstream as 7", "order 42 accepted upstream as 7"),
    ],
)
def test_the_filter_masks_secret_parameters_and_panel_keys(line, masked):
    assert mask(line) == masked


def test_the_filter_masks_formatted_records_and_tracebacks():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /api/v2?key=smmk_secret HTTP/1.1", "200", "9"),
        None,
    )
    try:
        raise ValueError("bad password=hunter2")
    except ValueError:
        failing = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())

    assert MaskSecrets().filter(record) and MaskSecrets().filter(failing)
    assert record.getMessage() == '"GET /api/v2?key=*** HTTP/1.1" 200 9'
    assert "hunter2" not in logging.Formatter().format(failing)


def test_settings_route_every_log_line_through_the_filter():
    from django.conf import settings

    config = settings.LOGGING
    for name, handler in config["handlers"].items():
        assert "mask_secrets" in handler.get("filters", []), name
    assert config["loggers"]["django.server"]["handlers"] == ["console"]
    assert any(isinstance(f, MaskSecrets) for h in configured_handlers() for f in h.filters)
