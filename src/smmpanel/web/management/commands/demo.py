"""``smmpanel demo``: the web server, a worker and the provider simulator together.

The simulator runs in this process (a thread), the worker as a child process. Whatever
way the demo ends (Ctrl-C, SIGTERM, an error, even SIGKILL on Linux) the worker ends
with it and both ports are free again, so the next demo starts clean.
"""

import ctypes
import errno
import os
import signal
import socket
import subprocess
import sys
from contextlib import suppress

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.commands.runserver import naiveip_re
from django.urls import reverse

from smmpanel.catalog.management.commands.seed_demo import STAFF_EMAIL
from smmpanel.providers.client import ProviderError
from smmpanel.providers.services import connect_simulator, route_unrouted_services
from smmpanel.providers.simulator import serve
from smmpanel.providers.url_safety import UnsafeProviderUrl

SIMULATOR_KEY = "demo-simulator-key"
SIMULATOR_NAME = "Simulator"
PR_SET_PDEATHSIG = 1  # linux/prctl.h


class Command(BaseCommand):
    help = (
        "Migrate, load the demo data, then run the web server, a worker and the provider "
        "SIMULATOR together (the simulator delivers nothing; it pretends, by the clock)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--addr", default="127.0.0.1:8000", help="web address, host:port (default %(default)s)"
        )
        parser.add_argument(
            "--simulator-port",
            type=int,
            default=8001,
            help="port of the provider simulator on 127.0.0.1 (default %(default)s; 0: any free)",
        )

    def handle(self, addr, simulator_port, **options):
        host, port = _web_address(addr)
        if not 0 <= simulator_port <= 65535:
            raise CommandError(f"--simulator-port {simulator_port}: a port is 0 to 65535")
        # Both ports are tried before anything starts or changes: something else already
        # listening there would answer the panel in its place (another panel's simulator
        # says "Invalid API key", any other server HTTP 501).
        _check_free(host, port, f"{addr} is taken", "--addr")
        _check_free(
            "127.0.0.1", simulator_port, f"port {simulator_port} is taken", "--simulator-port"
        )
        with _ended_by_sigterm():
            try:
                self._run(addr, host, port, simulator_port)
            except KeyboardInterrupt:
                self.stdout.write("demo stopped")

    def _run(self, addr: str, host: str, port: int, simulator_port: int) -> None:
        call_command("migrate", verbosity=0)
        call_command("seed_demo")
        # The worker starts before the simulator's threads exist: a child set up to die
        # with its parent (prctl in preexec_fn) is only safe to fork without other threads.
        worker = _start_child([sys.executable, "-m", "smmpanel.cli", "worker"])
        simulator = None
        try:
            try:
                simulator = serve(
                    port=simulator_port,
                    key=SIMULATOR_KEY,
                    start_delay=5,
                    speed=20,
                    partial_rate=0.1,
                    out=self.stdout,
                )
            except OSError as exc:  # taken between the check and now
                what = f"port {simulator_port} is taken"
                raise CommandError(_taken(what, "--simulator-port", exc)) from exc
            self._connect(simulator.url)
            web = f"http://{host if ':' not in host else f'[{host}]'}:{port}"
            self.stdout.write(f"\nopen {web}/  (log in with the customer above)")
            self.stdout.write(f"API v2 endpoint: {web}/api/v2")
            if settings.STAFF_REQUIRE_2FA:
                self.stdout.write(
                    f"staff pages ({web}/staff/) open only with an authenticator app (TOTP): "
                    f"log in as {STAFF_EMAIL}, open {web}{reverse('mfa_activate_totp')} "
                    "and scan the QR code with the app\n"
                )
            _check_free(host, port, f"{addr} is taken", "--addr")
            # runserver ends the process with os._exit(1) if it cannot listen, skipping
            # every finally: the check just above and the worker's death signal cover it.
            call_command("runserver", addr, use_reloader=False)
        finally:
            _hold_stops()  # a second Ctrl-C or SIGTERM must not cut the clean-up short
            if simulator is not None:
                simulator.shutdown()
            _stop_child(worker)

    def _connect(self, url: str) -> None:
        try:
            provider = connect_simulator(SIMULATOR_NAME, url, SIMULATOR_KEY)
            routed = route_unrouted_services(provider)
        except UnsafeProviderUrl as exc:
            raise CommandError(
                f"the provider named {SIMULATOR_NAME!r} is not the demo's simulator ({exc}); "
                "rename it in the staff pages to run the demo"
            ) from exc
        except ProviderError as exc:
            raise CommandError(f"the simulator at {url} did not answer: {exc.message}") from exc
        self.stdout.write(f"provider SIMULATOR at {url}: {routed} services newly routed")


def _web_address(addr: str) -> tuple[str, int]:
    """(host, port) of an ``--addr`` as runserver reads it."""
    match = naiveip_re.match(addr)
    port = int(match["port"]) if match else -1
    if not 0 < port <= 65535:
        raise CommandError(f"--addr {addr!r}: give host:port, e.g. --addr 127.0.0.1:8000")
    host = match["addr"] or "127.0.0.1"
    return host.strip("[]"), port


def _check_free(host: str, port: int, what: str, option: str) -> None:
    """Raise a one-line CommandError naming ``option`` if ``host:port`` cannot be bound."""
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        # SO_REUSEADDR (as the servers bind): a closed server's TIME_WAIT is no obstacle.
        socket.create_server((host, port), family=family).close()
    except OSError as exc:
        raise CommandError(_taken(what, option, exc)) from exc


def _taken(what: str, option: str, exc: OSError) -> str:
    why = "something else is listening there" if exc.errno == errno.EADDRINUSE else exc.strerror
    return f"{what}: {why}; choose another with {option}"


def _start_child(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(command, preexec_fn=_die_with_parent())


def _die_with_parent():
    """A preexec_fn asking Linux to SIGTERM the child when the demo dies in any way
    (SIGKILL, os._exit); None elsewhere, where the demo's own clean-up is all there is."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork
    parent = os.getpid()

    def die_with_parent() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent:  # the demo died before the wish was made
            os._exit(1)

    return die_with_parent


def _stop_child(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


STOPS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class _ended_by_sigterm:
    """SIGTERM and SIGHUP end the demo as Ctrl-C does (KeyboardInterrupt), so its
    clean-up runs; the previous handlers come back afterwards."""

    def __enter__(self):
        self.previous = {s: signal.getsignal(s) for s in STOPS}
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, _interrupt)

    def __exit__(self, *exc):
        for sig, handler in self.previous.items():
            with suppress(TypeError, ValueError):
                signal.signal(sig, handler)


def _hold_stops() -> None:
    for sig in STOPS:
        signal.signal(sig, signal.SIG_IGN)


def _interrupt(signum, frame):
    raise KeyboardInterrupt
