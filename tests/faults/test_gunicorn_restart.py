"""kill -9 of gunicorn's master, then an immediate restart on the same port: it serves.

Real processes on 127.0.0.1, started with the production config (deploy/gunicorn.conf.py).
Before the master is killed, a client holds a request half sent (the headers of a POST,
not its body), so a worker is busy with it: an orphaned worker would wait up to
``graceful_timeout`` for it, keeping the listening socket, and the new master's bind
would fail. With the config's ``post_fork`` hook the workers die with their master, the
port is free, and the server started again at once answers. Every wait is bounded.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.faults.test_web_crash import children_of, free_port

LOOPBACK = "127.0.0.1"
CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "gunicorn.conf.py"
START_SECONDS = 30
GONE_SECONDS = 5


def start(port: int, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                str(CONFIG),
                "--bind",
                f"{LOOPBACK}:{port}",
                "--workers",
                "2",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def serves(url: str, process: subprocess.Popen, seconds: float) -> bool:
    """Whether ``/health`` answers 200 within ``seconds`` while ``process`` runs."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return True
        time.sleep(0.1)
    return False


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_restart_right_after_kill_9_of_the_master_serves(tmp_path):
    port = free_port()
    url = f"http://{LOOPBACK}:{port}"
    log_path = tmp_path / "gunicorn.log"
    env = dict(os.environ, DATA_DIR=str(tmp_path), ALLOWED_HOSTS=LOOPBACK, DEBUG="false")
    first = start(port, env, log_path)
    second = None
    workers: list[int] = []
    try:
        assert serves(url, first, START_SECONDS), log_path.read_text()[-3000:]
        workers = children_of(first.pid)
        assert workers
        # A request half sent: a worker waits for its body.
        hold = socket.create_connection((LOOPBACK, port), timeout=5)
        hold.sendall(
            b"POST /api/v2 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nkey="
        )
        time.sleep(0.5)  # the worker has read the headers and waits for the rest

        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        second = start(port, env, log_path)

        deadline = time.monotonic() + GONE_SECONDS
        while any(map(alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(map(alive, workers)), "the old workers outlived their master"
        # Now only the new server can answer, and it must have bound the port itself.
        assert serves(url, second, START_SECONDS), (
            "the restarted gunicorn did not serve:\n" + log_path.read_text()[-3000:]
        )
        assert second.poll() is None
        assert "Address already in use" not in log_path.read_text()
        hold.close()
    finally:
        for process in (first, second):
            if process is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        for pid in workers:  # orphans left their master's group? not theirs: by pid
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
