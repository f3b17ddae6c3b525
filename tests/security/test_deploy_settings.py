"""Production settings (issue 7): ``manage.py check --deploy`` clean, security headers
(CSP, HSTS over TLS, frame denial, nosniff), secure cookies, a modern password hasher.

Settings are read from the environment once, at import: the production checks run
``smmpanel.settings`` in a subprocess with a production-like environment. The pages'
headers and markup are checked in-process: every main page carries the headers, and no
page has inline scripts, inline styles or ``on…=`` handlers, which the policy forbids.
"""

import json
import os
import secrets
import subprocess
import sys
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from smmpanel.accounts.models import User
from smmpanel.api.middleware import MACHINE_CSP, MACHINE_VIEWS
from smmpanel.deploy_checks import (
    CONSOLE_EMAIL_BACKEND,
    DEVELOPMENT_SECRET_KEY,
    SMTP_EMAIL_BACKEND,
    UNCONFIGURED_EMAIL_BACKEND,
)
from smmpanel.orders.services import complete_order
from smmpanel.support.models import TicketKind
from smmpanel.support.services import open_ticket
from tests.factories import make_order, make_service, make_user
from tests.security.url_patterns import routes

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}
# Variables that would change what is being checked, whatever the developer's shell has.
ENV_SET_HERE = (
    "DEBUG",
    "SECRET_KEY",
    "HTTPS",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "HSTS_SECONDS",
    "HSTS_INCLUDE_SUBDOMAINS",
    "HSTS_PRELOAD",
    "DATABASE_URL",
    "DJANGO_SETTINGS_MODULE",
    "API_KEY_PEPPER",
    "EMAIL_HOST",
    "EMAIL_BACKEND",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # the browser tests set it in this process
)


def production_env(tmp_path, **overrides) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_SET_HERE}
    env |= {
        "DJANGO_SETTINGS_MODULE": "smmpanel.settings",
        "DATA_DIR": str(tmp_path),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "HTTPS": "true",
        "ALLOWED_HOSTS": "panel.example",
        "EMAIL_HOST": "smtp.panel.example",
    }
    return {k: v for k, v in (env | overrides).items() if v is not None}


def run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )


CHECK_DEPLOY = """
import django
django.setup()
from django.core.management import call_command
call_command("check", deploy=True, fail_level="WARNING")
"""

# What the production settings are, as JSON, and what a request over TLS gets back.
SETTINGS_AND_HEADERS = """
import json
import django
django.setup()
from django.conf import settings
from django.contrib.auth.hashers import get_hasher
from django.test import Client

hasher = get_hasher("default")
response = Client().get("/health", secure=True, HTTP_HOST="panel.example")
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": settings.SESSION_COOKIE_HTTPONLY,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SILENCED_SYSTEM_CHECKS": settings.SILENCED_SYSTEM_CHECKS,
    "EMAIL_BACKEND": settings.EMAIL_BACKEND,
    "PASSWORD_HASHERS": settings.PASSWORD_HASHERS,
    "hasher": hasher.algorithm,
    "iterations": getattr(hasher, "iterations", None),
    "encoded": hasher.encode("correct horse", hasher.salt()),
    "status": response.status_code,
    "headers": dict(response.headers),
}))
"""


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    done = run_python(CHECK_DEPLOY, production_env(tmp_path))

    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout + done.stderr


def test_check_deploy_is_not_a_formality(tmp_path):
    """Without TLS the same check fails: it is really looking."""
    done = run_python(CHECK_DEPLOY, production_env(tmp_path, HTTPS="false"))

    assert done.returncode != 0
    assert "security.W004" in done.stderr  # no HSTS
    assert "security.W012" in done.stderr  # session cookie not secure


@pytest.mark.parametrize("secret_key", [None, DEVELOPMENT_SECRET_KEY], ids=["unset", "default"])
def test_check_deploy_fails_without_a_secret_key_of_the_operators_own(tmp_path, secret_key):
    """The default key is public, and it also keys API-key hashes and seals provider
    keys and TOTP secrets."""
    done = run_python(CHECK_DEPLOY, production_env(tmp_path, SECRET_KEY=secret_key))

    assert done.returncode != 0
    assert "smmpanel.E001" in done.stderr
    assert "SECRET_KEY is unset or the public development default" in done.stderr


def test_check_deploy_fails_without_a_mail_server(tmp_path):
    done = run_python(CHECK_DEPLOY, production_env(tmp_path, EMAIL_HOST=None))

    assert done.returncode != 0
    assert "smmpanel.E002" in done.stderr
    assert "Mail is not configured" in done.stderr


STORED_SMTP_THEN_CHECK_DEPLOY = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from smmpanel.configuration.models import PanelSettings
PanelSettings.objects.create(smtp_host="smtp.panel.example")
call_command("check", deploy=True, fail_level="WARNING")
"""


def test_check_deploy_accepts_a_mail_server_set_on_the_panel_settings_page(tmp_path):
    env = production_env(tmp_path, EMAIL_HOST=None, DATABASE_URL=None)  # its own SQLite

    done = run_python(STORED_SMTP_THEN_CHECK_DEPLOY, env)

    assert done.returncode == 0, done.stderr
    assert "smmpanel.E002" not in done.stderr


def test_check_deploy_fails_with_mail_written_to_the_console(tmp_path):
    """Reset links in the process output hand any account to whoever reads it."""
    env = production_env(tmp_path, EMAIL_HOST=None, EMAIL_BACKEND=CONSOLE_EMAIL_BACKEND)
    done = run_python(CHECK_DEPLOY, env)

    assert done.returncode != 0
    assert "smmpanel.E002" in done.stderr
    assert "take over any account" in done.stderr


def test_production_without_a_mail_server_never_writes_mail_to_the_console(tmp_path):
    done = run_python(SETTINGS_AND_HEADERS, production_env(tmp_path, EMAIL_HOST=None))
    answer = json.loads(done.stdout.strip().splitlines()[-1])

    assert answer["EMAIL_BACKEND"] == UNCONFIGURED_EMAIL_BACKEND


def test_production_with_a_mail_server_sends_by_smtp(production):
    assert production["EMAIL_BACKEND"] == SMTP_EMAIL_BACKEND


@pytest.fixture(scope="module")
def production(tmp_path_factory) -> dict:
    done = run_python(SETTINGS_AND_HEADERS, production_env(tmp_path_factory.mktemp("prod")))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_production_cookies_are_secure_and_debug_is_off(production):
    assert production["DEBUG"] is False
    assert production["SESSION_COOKIE_SECURE"] is True
    assert production["SESSION_COOKIE_HTTPONLY"] is True
    assert production["CSRF_COOKIE_SECURE"] is True


def test_only_the_documented_checks_are_silenced(production):
    """W008: no SSL redirect by Django (it would redirect /api/v2, losing POST bodies);
    W021: HSTS preload is the operator's opt-in (HSTS_PRELOAD=true)."""
    assert production["SECURE_SSL_REDIRECT"] is False
    assert sorted(production["SILENCED_SYSTEM_CHECKS"]) == ["security.W008", "security.W021"]


def test_production_hashes_passwords_with_a_modern_hasher(production):
    """Django's default PBKDF2 (at least its default iterations) or Argon2: never the
    fast MD5 hasher the test suite uses."""
    from django.contrib.auth.hashers import PBKDF2PasswordHasher

    assert production["hasher"] in ("pbkdf2_sha256", "argon2")
    assert "MD5" not in production["PASSWORD_HASHERS"][0]
    if production["hasher"] == "pbkdf2_sha256":
        assert production["iterations"] >= PBKDF2PasswordHasher.iterations >= 1_000_000
        assert production["encoded"].startswith(f"pbkdf2_sha256${production['iterations']}$")


def test_production_answers_carry_hsts_csp_and_frame_denial_over_tls(production):
    headers = {k.lower(): v for k, v in production["headers"].items()}

    assert production["status"] == 200
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["content-security-policy"] == MACHINE_CSP  # /health: data, not a page


def test_hsts_preload_and_ssl_redirect_follow_the_environment(tmp_path):
    env = production_env(tmp_path, HSTS_PRELOAD="true", SECURE_SSL_REDIRECT="true")
    done = run_python(SETTINGS_AND_HEADERS.replace("secure=True", "secure=False"), env)
    answer = json.loads(done.stdout.strip().splitlines()[-1])

    assert answer["SILENCED_SYSTEM_CHECKS"] == []
    assert answer["status"] == 301  # the operator asked Django to redirect plain HTTP
    assert run_python(CHECK_DEPLOY, env).returncode == 0


# -- every main page: headers and markup the policy allows ----------------------------------


def assert_csp(header: str):
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value.strip()
    for name, value in CSP.items():
        assert directives.get(name) == value, f"{name}: {directives.get(name)!r} in {header}"
    assert "'unsafe-inline'" not in header and "'unsafe-eval'" not in header


class InlineFinder(HTMLParser):
    """Collects what a ``script-src 'self'; style-src 'self'`` policy would block."""

    DATA_SCRIPTS = ("application/json", "application/ld+json", "text/template")

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs and attrs.get("type") not in self.DATA_SCRIPTS:
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> block")
        for name, value in attrs.items():
            if name.startswith("on") or name.startswith("hx-on"):
                self.found.append(f"<{tag} {name}=…> handler")
            if name == "style":
                self.found.append(f'<{tag} style="{value}">')
            if name in ("href", "src", "action") and (value or "").strip().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}=javascript:…>")


def inline_code(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    return finder.found


@pytest.fixture
def pages(client, db):
    """(client, url) of every main page: public, customer (with an order and a ticket
    to show), sign-in pages, staff pages, the API."""
    customer = make_user("100")
    order = complete_order(make_order(customer, make_service()))
    ticket = open_ticket(customer, TicketKind.ORDER, "A ticket", "Hello", [order.pk])
    staff = make_user(role=User.Role.STAFF)
    web = [r.url() for r in routes() if r.namespace == "web" and not r.params()]
    web += [
        reverse("web:order-detail", args=[order.pk]),
        reverse("web:ticket-detail", args=[ticket.pk]),
    ]
    staff_pages = [r.url() for r in routes() if r.namespace == "staff" and not r.params()]
    anonymous = [
        reverse("account_login"),
        reverse("account_signup"),
        reverse("account_reset_password"),
        "/services/",
        "/api-docs/",
    ]
    return {"anonymous": anonymous, customer: web, staff: staff_pages}


def test_every_main_page_carries_the_security_headers_and_no_inline_code(client, pages):
    checked = 0
    for who, urls in pages.items():
        client.logout()
        if who != "anonymous":
            client.force_login(who)
        for url in urls:
            response = client.get(url)
            if response.status_code != 200:
                continue  # POST-only endpoints, redirects
            if urlsplit(url).path in MACHINE_VIEWS:  # data, not a page
                assert response["Content-Security-Policy"] == MACHINE_CSP, url
            else:
                assert_csp(response["Content-Security-Policy"])
            assert response["X-Frame-Options"] == "DENY", url
            assert response["X-Content-Type-Options"] == "nosniff", url
            assert response["Referrer-Policy"] == "same-origin", url
            if response["Content-Type"].startswith("text/html"):
                assert inline_code(response.content.decode()) == [], url
                checked += 1
    assert checked >= 25


def test_the_api_answers_carry_the_headers_too(client, db):
    response = client.post("/api/v2", {"key": "nope", "action": "balance"})

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Security-Policy"] == MACHINE_CSP


def test_the_inline_finder_finds_what_the_policy_blocks():
    html = (
        '<select onchange="x()"><option style="color:red">a</option></select>'
        "<script>alert(1)</script><style>p{}</style><a href='javascript:x()'>x</a>"
        '<script src="/static/web/panel.js" defer></script>'
        '<script type="application/json">{"a": 1}</script><div hx-get="/x">ok</div>'
    )
    assert inline_code(html) == [
        "<select onchange=…> handler",
        '<option style="color:red">',
        "inline <script>",
        "<style> block",
        "<a href=javascript:…>",
    ]


def test_the_base_template_loads_its_behaviour_from_static_files(client, db):
    html = client.get(reverse("account_login")).content.decode()

    assert "web/panel.js" in html and "data-autosubmit" in html
    assert """<meta name="htmx-config" content='{"includeIndicatorStyles": false}'>""" in html
