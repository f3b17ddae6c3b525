"""Load shedding: a bound on the requests one server process works on at once.

Past what the machine can serve, every extra request only waits, and while it waits it
makes every other one slower: at 25 times the load that saturates the API, goodput
halved and p99 reached seconds (docs/performance.md). So each process counts the requests
it is working on; when ``MAX_REQUESTS_IN_FLIGHT`` are in flight, the next one is answered
at once, without touching the database: API v2 gets its usual "temporarily unavailable"
error (HTTP 200 like every API v2 answer, plus ``Retry-After``), a page gets a small
503 with ``Retry-After``. The answer costs microseconds, so the process stays free for
the requests it accepted.

The count is per process, not shared between gunicorn's workers: a shared counter left
by a worker killed mid-request would stay taken for good, and the kernel spreads
connections between workers already. It only bounds anything with gunicorn's ``gthread``
workers (more threads than the limit, see deploy/gunicorn.conf.py): a ``sync`` worker
takes one request at a time and the excess waits in the kernel's listen backlog, where
no code of ours runs.

``/health`` is never shed (a liveness probe must not fail because the panel is busy),
nor are static files (cheap, and a page needs them).
"""

import json
import threading

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from smmpanel.api.views import DATABASE_UNAVAILABLE

API_PATHS = frozenset({"/api/v2", "/api/v2/"})
NEVER_SHED = frozenset({"/health"})
# A page of its own, no template: rendering the site's base template needs the session,
# the user and the language, all of which a shed request must not spend time on.
BUSY_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Busy, try again shortly</title></head>
<body><h1>The panel is busy</h1>
<p>Too many requests at once. Please try again in a few seconds.</p>
<p lang="uk">Панель зайнята. Спробуйте ще раз за кілька секунд.</p>
</body></html>
""".encode()
API_BUSY = json.dumps({"error": DATABASE_UNAVAILABLE}).encode()


class InFlight:
    """How many requests this process is working on, against a limit read per request
    (so a settings change applies at once, and tests can set it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.busy = 0

    def enter(self, limit: int) -> bool:
        """Take a place if fewer than ``limit`` are taken (``limit`` <= 0: no limit).
        ``True``: the caller must call ``leave`` when done."""
        with self._lock:
            if 0 < limit <= self.busy:
                return False
            self.busy += 1
            return True

    def leave(self) -> None:
        """Give back a place taken by ``enter``."""
        with self._lock:
            self.busy -= 1


def shed_answer(request: HttpRequest) -> HttpResponse:
    """The answer to a request the process has no room for: API v2's error or a 503 page,
    both with ``Retry-After``."""
    if request.path_info in API_PATHS:
        response = HttpResponse(API_BUSY, content_type="application/json")
    else:
        response = HttpResponse(BUSY_PAGE, status=503, content_type="text/html; charset=utf-8")
    # Set here: the middlewares that would add it run after this one, and without it an
    # HTTP/1.1 answer goes out chunked.
    response["Content-Length"] = str(len(response.content))
    response["Retry-After"] = str(settings.SHED_RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class LoadSheddingMiddleware:
    """Answers at once when the process has ``MAX_REQUESTS_IN_FLIGHT`` requests in hand."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.in_flight = InFlight()  # one per process: Django makes one middleware chain

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path in NEVER_SHED or path.startswith(settings.STATIC_URL):
            return self.get_response(request)
        if not self.in_flight.enter(settings.MAX_REQUESTS_IN_FLIGHT):
            return shed_answer(request)
        try:
            return self.get_response(request)
        finally:
            self.in_flight.leave()
