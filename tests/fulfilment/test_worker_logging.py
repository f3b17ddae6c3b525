"""The ``smmpanel worker`` process writes each log record once, through the panel's own
(secret-masking) handler, not a second time through the handler huey adds."""

import re
import time
from pathlib import Path

from tests.providers.worker_process import start_worker, stop_worker

# The panel's format (settings.LOGGING "plain"): "2025-03-07 12:00:00,123 INFO name text".
PANEL_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ [\w.]+ ")
# Where any handler's record starts: a date, bare or in brackets (huey's own format).
RECORD_START = re.compile(r"\[?\d{4}-\d\d-\d\d ")


def wait_for_text(path: Path, text: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return True
        time.sleep(0.2)
    return False


def test_the_worker_writes_each_log_record_once(transactional_db, tmp_path):
    log = tmp_path / "worker.log"
    worker = start_worker(log)
    try:
        # The first sweep the worker runs: by then huey's start-up lines are written too.
        assert wait_for_text(log, "Executing smmpanel.fulfilment.tasks.sweep", 30), log.read_text()
    finally:
        stop_worker(worker)
    records = [line for line in log.read_text().splitlines() if RECORD_START.match(line)]
    started = [line for line in records if "Huey consumer started" in line]
    assert len(started) == 1, "\n".join(records)
    assert [line for line in records if not PANEL_LINE.match(line)] == []
