"""Run a real ``smmpanel demo`` process (web server, worker and simulator) on loopback.

Each demo runs in a session of its own, so its process group is the demo and every
child it started: the group being empty proves nothing was left behind.
"""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx

from tests.commands.test_cli import SMMPANEL, Panel

LOOPBACK = "127.0.0.1"
START_SECONDS = 90  # migrate (nothing to do), seed, simulator, worker, runserver's checks
END_SECONDS = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    try:
        socket.create_server((LOOPBACK, port)).close()
    except OSError:
        return False
    return True


def wait_for(predicate, seconds: float) -> bool:
    """Poll ``predicate`` until it holds or ``seconds`` pass; its last answer."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def group_alive(pgid: int) -> bool:
    """Whether any live process of the group is left. Zombies do not count: whoever
    adopts an orphan (a container's init may be slow or never) reaps it, not the test."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            # "pid (command) state ppid pgrp …": the command may hold spaces and brackets.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended while we looked
        if fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


class Demo:
    """One ``smmpanel demo`` on its own ports, its output in ``log``."""

    def __init__(self, panel: Panel, log: Path, *, web_port: int, simulator_port: int):
        self.panel, self.log = panel, log
        self.web_port, self.simulator_port = web_port, simulator_port
        self.process: subprocess.Popen | None = None

    @property
    def web(self) -> str:
        return f"http://{LOOPBACK}:{self.web_port}"

    @property
    def args(self) -> list[str]:
        return [
            "--addr",
            f"{LOOPBACK}:{self.web_port}",
            "--simulator-port",
            str(self.simulator_port),
        ]

    @property
    def output(self) -> str:
        return self.log.read_text()

    def start(self) -> subprocess.Popen:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [SMMPANEL, "demo", *self.args],
                env={**self.panel.env, "PYTHONUNBUFFERED": "1"},
                cwd=self.panel.root,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self.process

    def run_to_the_end(self) -> subprocess.Popen:
        """Run a demo that is expected to give up by itself; its exit code and stderr
        (``process.stderr_text``) are kept."""
        self.process = subprocess.Popen(
            [SMMPANEL, "demo", *self.args],
            env={**self.panel.env, "PYTHONUNBUFFERED": "1"},
            cwd=self.panel.root,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        _, self.process.stderr_text = self.process.communicate(timeout=START_SECONDS)
        return self.process

    def serving(self) -> bool:
        """The web server answers (any HTTP answer; the home page redirects to sign-in)."""
        try:
            httpx.get(f"{self.web}/", timeout=2)
        except httpx.HTTPError:
            return False
        return True

    def wait_until_serving(self) -> bool:
        ready = wait_for(lambda: self.serving() or self.process.poll() is not None, START_SECONDS)
        return ready and self.process.poll() is None

    def ended_with_its_children(self) -> bool:
        """The demo exited and no process it started is left, within a bounded wait."""
        try:
            self.process.wait(timeout=END_SECONDS)
        except subprocess.TimeoutExpired:
            return False
        return wait_for(lambda: not group_alive(self.process.pid), END_SECONDS)

    def kill_everything_left(self) -> None:
        """Clean-up whatever the test saw: the demo's whole group, then reap it."""
        if self.process is None:
            return
        if group_alive(self.process.pid):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=END_SECONDS)
