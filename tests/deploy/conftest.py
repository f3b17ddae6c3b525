"""Helpers of the deployment kit's tests (deploy/): the tools that check its files, and
real server processes on loopback.

systemd-analyze, caddy and nginx come from Debian's packages (``systemd``, ``caddy``,
``nginx``; .ci/run installs them). Where one is missing a test needing it is skipped
with the reason, except under CI (``CI=true`` or ``REQUIRE_DEPLOY_TOOLS=1``), where its
absence fails the run, as tests/browser/conftest.py does for Chromium.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
GUNICORN_CONFIG = DEPLOY / "gunicorn.conf.py"
VENV_BIN = Path(sys.executable).parent  # gunicorn and smmpanel, as in the units' venv
LOOPBACK = "127.0.0.1"
START_SECONDS = 60
STOP_SECONDS = 30
TOOLS_REQUIRED = os.environ.get("CI") == "true" or os.environ.get("REQUIRE_DEPLOY_TOOLS") == "1"


def tool(name: str, package: str) -> str:
    """The path of command ``name``; skip (fail under CI) when it is not installed."""
    # /usr/sbin is not on every user's PATH, and nginx lives there.
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin:/bin")
    if found:
        return found
    message = f"{name} is not installed (Debian's package {package}; .ci/run installs it)"
    if TOOLS_REQUIRED:
        pytest.fail(message + "; under CI a missing tool is a failure")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def wait_for(predicate, seconds: float, every: float = 0.1):
    """Poll ``predicate`` until it answers truthy or ``seconds`` pass; its last answer."""
    deadline = time.monotonic() + seconds
    while True:
        answer = predicate()
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(every)


def panel_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    """The environment of a panel process: this run's, on its own data directory."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "smmpanel.settings", "DATA_DIR": str(data_dir)}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # the browser tests set it in this process
    return {**env, **overrides}


def replaced(text: str, replacements: dict[str, str]) -> str:
    """``text`` with each key replaced; each must be there, so a changed deploy file
    fails here instead of being checked with its production paths left in."""
    for old, new in replacements.items():
        assert old in text, f"{old!r} is no longer in the deploy file"
        text = text.replace(old, new)
    return text


class Process:
    """A server started in a session of its own, its output in ``log``; ``stop()`` ends
    the whole session (the server and any child it forked)."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path, cwd: Path = REPO):
        self.log = log
        with open(log, "ab") as out:
            self.popen = subprocess.Popen(
                args,
                env=env,
                cwd=cwd,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(STOP_SECONDS)


def start_gunicorn(servers: list, env: dict[str, str], log: Path, *extra: str) -> str:
    """gunicorn with deploy/gunicorn.conf.py on a free loopback port, one worker (a
    shared 2-core machine), once it serves ``/health``; its base URL. Added to
    ``servers`` (the fixture) at once, so it is stopped whatever happens."""
    port = free_port()
    server = Process(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(GUNICORN_CONFIG),
            "--bind",
            f"{LOOPBACK}:{port}",
            "--workers",
            "1",
            *extra,
        ],
        env,
        log,
    )
    servers.append(server)
    url = f"http://{LOOPBACK}:{port}"

    def healthy() -> bool:
        assert server.popen.poll() is None, f"gunicorn ended:\n{server.output()[-3000:]}"
        with contextlib.suppress(httpx.HTTPError):
            return httpx.get(f"{url}/health", timeout=2).status_code == 200
        return False

    if not wait_for(healthy, START_SECONDS):
        pytest.fail(f"gunicorn did not serve /health:\n{server.output()[-3000:]}")
    return url


@pytest.fixture
def servers():
    """Processes a test starts (``servers.append(p)``), stopped whatever happens."""
    started: list[Process] = []
    yield started
    for process in reversed(started):
        process.stop()
