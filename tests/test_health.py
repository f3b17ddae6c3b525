"""``/health/ready``: 200 when the database and the queue answer, 503 naming what failed,
and never a hang on a Redis that is gone or silent."""

import socket
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from smmpanel import health
from smmpanel.notifications.models import Heartbeat
from smmpanel.notifications.services import WORKER


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ready_reports_database_queue_and_the_workers_last_beat(client, db):
    Heartbeat.objects.create(name=WORKER, beat_at=timezone.now() - timedelta(seconds=42))
    response = client.get("/health/ready")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "ok" and body["queue"] == "ok"
    assert isinstance(body["queue_length"], int)
    assert 41 <= body["worker"]["last_seen_seconds"] <= 60
    assert response["Cache-Control"] == "no-store"


def test_ready_before_any_worker_beat_says_never_seen(client, db):
    assert client.get("/health/ready").json()["worker"] == {"last_seen_seconds": None}


def test_liveness_stays_the_constant_answer(client, db):
    assert client.get("/health").content == b'{"ok":true}'


def test_a_dead_redis_is_a_503_naming_the_queue_without_its_url(client, db, settings):
    settings.REDIS_URL = f"redis://:hunter2@127.0.0.1:{closed_port()}/0"
    started = time.monotonic()
    response = client.get("/health/ready")
    assert time.monotonic() - started < health.TIMEOUT_SECONDS + 2
    assert response.status_code == 503
    body = response.json()
    assert body["queue"] == "unavailable" and body["database"] == "ok"
    assert "hunter2" not in response.content.decode() and "127.0.0.1" not in body


def test_a_redis_that_accepts_and_never_answers_times_out(client, db, settings, monkeypatch):
    """A stalled Redis (the connection opens, nothing comes back) is bounded by the
    socket timeout, not the operating system's."""
    monkeypatch.setattr(health, "TIMEOUT_SECONDS", 0.5)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        settings.REDIS_URL = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        started = time.monotonic()
        response = client.get("/health/ready")
        assert time.monotonic() - started < 3
    assert response.status_code == 503
    assert response.json()["queue"] == "unavailable"


def test_a_failing_database_is_a_503_naming_the_database(client, db, monkeypatch):
    def broken():
        raise RuntimeError("connection to server at 10.0.0.5 failed: password=secret")

    monkeypatch.setattr(health, "_worker_last_seen", broken)
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
    assert "secret" not in response.content.decode()
    assert "Traceback" not in response.content.decode()


@pytest.mark.parametrize("path", ["/health", "/health/ready"])
def test_health_paths_need_no_session(client, db, path):
    assert "Set-Cookie" not in client.get(path).headers
