"""Health: whether the database and the task queue answer, and when the worker last
beat its heartbeat; and the views of the two machine endpoints.

``/health`` stays the constant liveness answer (the benchmarks' ceiling);
``/health/ready`` asks ``readiness``. Every check is bounded: a database that does not
answer within ``HEALTH_TIMEOUT_SECONDS`` or a Redis that accepts the connection and then
says nothing counts as failed, so a load balancer's probe never hangs. Failures are
reported by name only ("unavailable"): no URLs, hosts, passwords or tracebacks leave the
process.
"""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from smmpanel.notifications.models import Heartbeat
from smmpanel.notifications.services import WORKER

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 2.0


@dataclass
class Readiness:
    """What ``/health/ready`` answers: ``ok`` when the database and the queue answer."""

    checks: dict = field(default_factory=dict)
    ok: bool = True

    def failed(self, name: str) -> None:
        self.checks[name] = "unavailable"
        self.ok = False


def readiness() -> Readiness:
    """Check the database, then the queue; the worker's heartbeat is reported, not
    required (pages and the API work while the worker restarts)."""
    result = Readiness()
    try:
        result.checks["database"] = "ok"
        result.checks["worker"] = {"last_seen_seconds": _worker_last_seen()}
    except Exception as exc:  # any failure means "not ready"; the log keeps the reason
        log.warning("health: database check failed: %s", type(exc).__name__)
        result.failed("database")
        result.checks.pop("worker", None)
    try:
        result.checks["queue_length"] = queue_length()
        result.checks["queue"] = "ok"
    except Exception as exc:
        log.warning("health: queue check failed: %s", type(exc).__name__)
        result.checks.pop("queue_length", None)
        result.failed("queue")
    return result


def _worker_last_seen() -> int | None:
    """Seconds since the worker's last heartbeat (None: never seen); one bounded query."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # LOCAL: the limit ends with this transaction, the pooled connection keeps none.
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {int(TIMEOUT_SECONDS * 1000)}")
        beat_at = Heartbeat.objects.filter(name=WORKER).values_list("beat_at", flat=True).first()
    if beat_at is None:
        return None
    return max(0, int((timezone.now() - beat_at).total_seconds()))


def queue_length() -> int:
    """Tasks waiting in Huey's queue. For Redis, through a client of its own with socket
    timeouts (Huey's pool has none, and a stalled Redis would hang the probe)."""
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(
            settings.REDIS_URL,
            socket_timeout=TIMEOUT_SECONDS,
            socket_connect_timeout=TIMEOUT_SECONDS,
            retry_on_timeout=False,
        )
        try:
            return int(client.llen(_redis_queue_key()))
        finally:
            client.close()
    from huey.contrib.djhuey import HUEY

    return int(HUEY.pending_count())


def _redis_queue_key() -> str:
    """RedisStorage's list key for the queue (``huey.redis.<name>``)."""
    from huey.contrib.djhuey import HUEY

    return getattr(HUEY.storage, "queue_key", f"huey.redis.{settings.HUEY['name']}")


# --- the two machine endpoints (routed by web's URLs, served by api's middleware) ---


def health(request):
    """The trivial endpoint: the server's ceiling in benchmarks, a liveness probe in prod."""
    return HttpResponse(b'{"ok":true}', content_type="application/json")


def health_ready(request):
    """Readiness: 200 when the database and the queue answer, else 503 naming what failed
    (every check has a short timeout)."""
    result = readiness()
    response = JsonResponse(result.checks, status=200 if result.ok else 503)
    response["Cache-Control"] = "no-store"
    return response
