"""Machine endpoints (``/api/v2``, ``/health``) skip the browser's middleware but keep
its guarantees: security headers, the Host check, a length, no session."""

import pytest
from django.urls import resolve

from smmpanel.api.middleware import MACHINE_VIEWS
from tests.factories import make_key, make_user


@pytest.mark.parametrize("path", sorted(MACHINE_VIEWS))
def test_machine_paths_are_the_url_confs_own(path):
    assert resolve(path).func is MACHINE_VIEWS[path]


@pytest.fixture
def balance_answer(live_server, http, transactional_db):
    key = make_key(make_user("12.5"))
    return http.post(f"{live_server.url}/api/v2", data={"key": key, "action": "balance"})


def test_api_answer_over_real_http_carries_its_length(balance_answer):
    assert balance_answer.json() == {"balance": "12.50", "currency": "USD"}
    assert int(balance_answer.headers["content-length"]) == len(balance_answer.content)


def test_api_answer_skips_the_browser_middleware(balance_answer):
    # LocaleMiddleware labels every answer it passes; API texts are English regardless.
    assert "content-language" not in balance_answer.headers


def test_api_answer_keeps_the_security_headers(balance_answer):
    headers = balance_answer.headers
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    # Data, never a page: the policy allows nothing (the pages' own policy is not needed).
    assert headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_api_answer_sets_no_cookie(balance_answer):
    assert "set-cookie" not in balance_answer.headers


def test_health_answers_through_the_shortcut(client):
    response = client.get("/health")
    assert response.json() == {"ok": True}
    assert response["Content-Length"] == str(len(response.content))
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/health", "/api/v2"])
def test_machine_path_refuses_a_host_not_allowed(client, path):
    response = client.get(path, HTTP_HOST="evil.example")
    assert response.status_code == 400


def test_hsts_is_sent_on_api_answers_over_tls(client, settings, db):
    settings.SECURE_HSTS_SECONDS = 3600
    response = client.get("/api/v2", secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=3600")


def test_browser_pages_still_pass_the_whole_stack(client, db):
    # The language middleware runs for pages: the login page answers in Ukrainian.
    response = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="uk")
    assert response.status_code == 200
    assert response["Content-Language"] == "uk"
