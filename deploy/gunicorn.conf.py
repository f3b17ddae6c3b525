"""gunicorn's settings for the panel: ``gunicorn -c deploy/gunicorn.conf.py``.

The production settings, used by docs/operations.md and by the benchmarks in bench/.
Every value can be overridden on the command line or in ``GUNICORN_CMD_ARGS`` (both win
over this file), e.g. ``--bind 0.0.0.0:8000 --workers 8``. Why these values:
docs/performance.md ("Load shedding") and docs/operations.md ("Restarts").
"""

import ctypes
import os
import signal
import sys

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
