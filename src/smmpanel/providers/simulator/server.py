"""Run the provider simulator over real HTTP: in a thread for tests, in the foreground
for ``smmpanel simulator`` and ``python -m smmpanel.providers.simulator``.

The server is the standard library's wsgiref with a thread per connection and
keep-alive (see wsgi_server.py).
"""

import argparse
import inspect
import ipaddress
import logging
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TextIO

from smmpanel.providers.simulator.app import BANNER_TEXT, SimulatorApp
from smmpanel.providers.simulator.catalog import build_catalog
from smmpanel.providers.simulator.state import SimConfig, SimulatorState
from smmpanel.providers.simulator.wsgi_server import Handler, Server, Server6

log = logging.getLogger(__name__)


@dataclass
class SimulatorHandle:
    """A running simulator: its URLs, its state and a way to stop it."""

    url: str  # API v2 base URL, e.g. http://127.0.0.1:8001/api/v2
    control_url: str  # e.g. http://127.0.0.1:8001/control
    host: str
    port: int
    app: SimulatorApp
    _server: "_Listener"

    @property
    def state(self) -> SimulatorState:
        """The simulator's memory, for tests that look inside without HTTP."""
        return self.app.state

    def shutdown(self) -> None:
        """Stop serving and release the port; safe to call twice."""
        self._server.close()

    def __enter__(self) -> "SimulatorHandle":
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


class _Listener:
    """Owns the HTTP server and its loop thread; can stop listening for a while."""

    def __init__(self, httpd: Server, stopping: threading.Event):
        self.httpd = httpd
        self.stopping = stopping
        self._lock = threading.Lock()
        self._closed = False
        self._refusing = False
        self._timer: threading.Timer | None = None
        self._thread = self._loop()

    def _loop(self) -> threading.Thread:
        # A short poll interval: shutdown() waits for the loop to notice.
        thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="provider-simulator",
            daemon=True,
        )
        thread.start()
        return thread

    def refuse(self, seconds: float) -> None:
        """Close the listening socket for ``seconds``: connections are refused meanwhile."""
        with self._lock:
            if self._closed or self._refusing:
                return
            self._refusing = True
            self.httpd.shutdown()
            self.httpd.socket.close()
            self.httpd.cut_connections()  # kept-alive clients must not slip through
            self._timer = threading.Timer(seconds, self._listen_again)
            self._timer.daemon = True
            self._timer.start()

    def _listen_again(self) -> None:
        deadline = time.monotonic() + 5
        while True:
            with self._lock:
                if self._closed:
                    return
                httpd = self.httpd
                httpd.socket = socket.socket(httpd.address_family, httpd.socket_type)
                try:
                    httpd.server_bind()
                    httpd.server_activate()
                except OSError:
                    httpd.socket.close()
                    if time.monotonic() > deadline:
                        log.error("provider simulator could not listen again on its port")
                        self._closed = True
                        return
                else:
                    self._thread = self._loop()
                    self._refusing = False
                    return
            time.sleep(0.1)

    def close(self) -> None:
        """Stop for good: end the loop, free the port, cut open connections."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self.stopping.set()
            if self._timer is not None:
                self._timer.cancel()
            if not self._refusing:
                self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd.cut_connections()
            thread = self._thread
        thread.join(timeout=5)


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    key: str = "sim-key",
    seed: int = 1,
    start_delay: float = 5.0,
    speed: float = 50.0,
    partial_rate: float = 0.1,
    cancel_rate: float = 0.02,
    balance: str | Decimal = "100000",
    services: int = 0,
    refill_seconds: float = 10.0,
    currency: str = "USD",
    clock: Callable[[], float] | None = None,
    log_requests: bool = False,
    banner: bool = True,
    out: TextIO | None = None,
) -> SimulatorHandle:
    """Start a simulator in a background thread and return its handle.

    ``port=0`` picks a free port; ``services`` adds that many generated services to the
    22 of the base catalog; ``clock`` (seconds, monotonic) lets tests move time by hand.
    """
    config = SimConfig(
        start_delay=start_delay,
        speed=speed,
        partial_rate=partial_rate,
        cancel_rate=cancel_rate,
        refill_seconds=refill_seconds,
        balance=Decimal(str(balance)),
        currency=currency,
    )
    state = SimulatorState(seed=seed, config=config, clock=clock or time.monotonic)
    stopping = threading.Event()
    app = SimulatorApp(state, build_catalog(services, seed), key, stopping=stopping)
    server_class = Server6 if ":" in host else Server
    httpd = server_class((host, port), Handler)
    httpd.log_requests = log_requests
    httpd.set_app(app)
    listener = _Listener(httpd, stopping)
    app.refuse = listener.refuse
    bound = httpd.server_address[1]
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{bound}"
    handle = SimulatorHandle(f"{base}/api/v2", f"{base}/control", host, bound, app, listener)
    if banner:
        print_banner(handle, out or sys.stdout)
    return handle


def print_banner(handle: SimulatorHandle, out: TextIO) -> None:
    """Say loudly what this is: a simulator that delivers nothing."""
    cfg = handle.state.config
    lines = [
        "=" * 78,
        *BANNER_TEXT.splitlines(),
        "=" * 78,
        f"  API v2 URL : {handle.url}",
        f"  API key    : {handle.app.key}",
        f"  control    : {handle.control_url}",
        f"  services   : {len(handle.app.catalog)}    seed: {handle.state.seed}",
        f"  start delay: {cfg.start_delay:g} s    speed: {cfg.speed:g}/s    "
        f"partial: {cfg.partial_rate:g}    canceled: {cfg.cancel_rate:g}",
    ]
    if not _is_loopback(handle.host):
        lines.append("  WARNING: not on loopback; the control API has no authentication.")
    _say(out, "\n".join(lines))


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command-line options, shared by ``smmpanel simulator`` and ``python -m``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback)")
    parser.add_argument("--port", type=int, default=8001, help="port (0 picks a free one)")
    parser.add_argument("--key", default="sim-key", help="the API key clients must send")
    parser.add_argument("--seed", type=int, default=1, help="same seed, same orders")
    parser.add_argument("--start-delay", type=float, default=5.0, help="seconds Pending")
    parser.add_argument("--speed", type=float, default=50.0, help="units per second")
    parser.add_argument("--partial-rate", type=float, default=0.1, help="share ending Partial")
    parser.add_argument("--cancel-rate", type=float, default=0.02, help="share ending Canceled")
    parser.add_argument("--refill-seconds", type=float, default=10.0, help="refill duration")
    parser.add_argument("--balance", default="100000", help="starting balance")
    parser.add_argument("--currency", default="USD")
    parser.add_argument("--services", type=int, default=0, help="extra generated services")
    parser.add_argument("--log-requests", action="store_true", help="log every request")


# What the command line may set; the rest of serve()'s parameters are for code.
SERVE_OPTIONS = frozenset(inspect.signature(serve).parameters) - {"clock", "banner", "out"}


def run_forever(
    out: TextIO | None = None, stop: threading.Event | None = None, **options: object
) -> None:
    """Serve in the foreground until Ctrl-C, SIGTERM or ``stop`` is set.

    ``options`` are named as ``add_arguments`` names them; others (Django's) are ignored.
    """
    out = out or sys.stdout
    handle = serve(**{k: v for k, v in options.items() if k in SERVE_OPTIONS}, out=out)
    _say(out, "Press Ctrl-C to stop.")
    if threading.current_thread() is threading.main_thread():
        # A supervisor's SIGTERM (a test harness, `timeout`) stops it as cleanly as Ctrl-C.
        signal.signal(signal.SIGTERM, _interrupt)
    try:
        (stop or threading.Event()).wait()
    except KeyboardInterrupt:
        pass
    finally:
        handle.shutdown()
        _say(out, "Provider simulator stopped.")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _say(out: TextIO, text: str) -> None:
    # write(), not print(): Django's OutputWrapper adds its own newline to each write.
    out.write(text + "\n")
    out.flush()
