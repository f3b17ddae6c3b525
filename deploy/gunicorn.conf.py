"""gunicorn's settings for the panel: ``gunicorn -c deploy/gunicorn.conf.py``.

The production settings, used by docs/operations.md and by the benchmarks in bench/.
Every value can be overridden on the command line or in ``GUNICORN_CMD_ARGS`` (both win
over this file), e.g. ``--bind 0.0.0.0:8000 --workers 8``. Why these values:
docs/performance.md ("Load shedding") and docs/operations.md ("Restarts").
"""

import ctypes
import os
import re
import signal
import sys
from urllib.parse import unquote_plus

from gunicorn.glogging import Logger

wsgi_app = "smmpanel.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Load shedding. gthread workers take connections themselves and hand requests to a
# thread pool, so a request past the in-flight limit reaches our code and is answered at
# once ("temporarily unavailable", Retry-After) instead of waiting: with sync workers it
# would wait unseen in the kernel's listen backlog. Threads are several times the limit
# so shed answers never queue behind working requests; the limit itself is about what
# one process keeps a CPU busy with (the database does part of the work).
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1))
worker_class = "gthread"
threads = 16
# Per process; read by Django (settings.MAX_REQUESTS_IN_FLIGHT) in each worker.
os.environ.setdefault("MAX_REQUESTS_IN_FLIGHT", "2")
# Connections gunicorn has not accepted yet: few, so a burst meets the shed answer and
# not a queue nobody measures. Each worker accepts up to worker_connections at once.
backlog = 64
worker_connections = 1000
keepalive = 10
timeout = 30
graceful_timeout = 30

# Requests stay under gunicorn's defaults (4094-byte request line); logs go to stderr for
# the service manager.
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")

# The access log: off unless GUNICORN_ACCESS_LOG names a file ("-": standard error, the
# journal under systemd); the proxy in front usually keeps one already. A customer's API
# key travels as ?key=… or in the POST body, and this log is outside the panel's secret
# masking, so a line holds the path without its query string and no Referer (a page's
# address may carry one); MaskedAccessLogger masks "key=" in what is left, for a format
# given on the command line too. The client is the X-Forwarded-For the proxy sent.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
access_log_format = (
    '%({x-forwarded-for}i)s %(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'
)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def post_fork(server, worker):
    """In each new worker: die with the master.

    Killed with SIGKILL, the master cannot stop its workers; they would keep serving
    kept-alive connections, and the listening socket they inherited, for up to
    ``graceful_timeout``, so a restart at once fails with "Address already in use". Linux
    sends the signal asked for here when the parent dies: SIGKILL, as a crash of the whole
    server would have done (a request cut off is one the client never got an answer to,
    like any crash; an API ``add`` then needs ``status`` before a retry).
    """
    if not sys.platform.startswith("linux"):
        return  # elsewhere gunicorn's own check (the worker polls its parent's pid) remains
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        server.log.warning("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
    # The master may have died between the fork and the prctl: then no signal will come.
    if os.getppid() != worker.ppid:
        os._exit(1)


_KEY_VALUE = re.compile(r"(key=)[^&;\s\"]*", re.IGNORECASE)


def _masked(value):
    """``value`` with each ``key=`` value masked, also where the name came percent-encoded
    (Django decodes names once, so ``k%65y=`` is read as the key: here too)."""
    if not isinstance(value, str):
        return value
    decoded = unquote_plus(value)
    return _KEY_VALUE.sub(r"\1***", decoded) if _KEY_VALUE.search(decoded) else value


class MaskedAccessLogger(Logger):
    """gunicorn's logger with every ``key=`` value masked in the access log's atoms.

    Covers the request line (%(r)s), the query string (%(q)s), the path (%(U)s, which a
    client may have sent with an encoded "?key=…") and every header (%({…}i)s, the
    Referer among them): whatever format an operator passes, no API key is written.
    """

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {name: _masked(value) for name, value in atoms.items()}


logger_class = MaskedAccessLogger
