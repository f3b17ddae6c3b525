"""Periodic tasks' locks on the embedded default (SQLite, Huey's lock): a lock a killed
worker left behind is flushed when a worker starts, as Huey's ``lock_task`` was, so the
sweep is never blocked for good."""

import os
import subprocess
import sys

import pytest
from django.db import connection
from huey.contrib.djhuey import HUEY

from smmpanel import periodic_lock
from smmpanel.fulfilment.tasks import SWEEP_LOCK

pytestmark = pytest.mark.skipif(
    connection.vendor == "postgresql",
    reason="PostgreSQL holds these locks as advisory locks of the holder's session, "
    "released by the server when it dies (tests/deploy/test_scale_out.py)",
)


@pytest.fixture(autouse=True)
def _no_lock_left():
    """Huey's storage is a file that outlives a test: start and end without the lock."""
    HUEY.flush_locks(SWEEP_LOCK)
    yield
    HUEY.flush_locks(SWEEP_LOCK)


# A worker starting, as ``run_huey`` does: the tasks modules imported, then the
# consumer's flush of the locks Huey knows of (``flush_locks`` in settings.HUEY).
WORKER_START = (
    "import django; django.setup();"
    "from django.utils.module_loading import autodiscover_modules;"
    "from huey.contrib.djhuey import HUEY;"
    "autodiscover_modules('tasks'); print(sorted(HUEY.flush_locks()))"
)


def test_a_lock_left_by_a_killed_worker_is_flushed_when_a_worker_starts():
    HUEY.lock_task(SWEEP_LOCK).__enter__()  # and never left: its worker was killed

    started = subprocess.run(
        [sys.executable, "-c", WORKER_START],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "smmpanel.settings"},
    )

    assert SWEEP_LOCK in started.stdout, started.stderr[-2000:]
    with periodic_lock.exclusive(SWEEP_LOCK) as held:
        assert held is not None


def test_a_held_lock_keeps_a_second_sweeper_out():
    with (
        periodic_lock.exclusive(SWEEP_LOCK) as first,
        periodic_lock.exclusive(SWEEP_LOCK) as second,
    ):
        assert first is not None and second is None
