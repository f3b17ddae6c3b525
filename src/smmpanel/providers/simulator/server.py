"""Run the provider simulator over real HTTP: in a thread for tests, in the foreground
for ``smmpanel simulator`` and ``python -m smmpanel.providers.simulator``.

The HTTP server is waitress, with a pool of threads, so answers slowed by a fault
(``slow``: a provider's latency) are served side by side, as a real provider serves
many clients at once. HTTP/1.1 keep-alive, request bodies and connection limits are
waitress's; this module only starts it, stops it, and closes the port for the
``refuse`` fault.
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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TextIO

from waitress import wasyncore
from waitress.server import BaseWSGIServer, create_server

from smmpanel.providers.simulator.app import BANNER_TEXT, SimulatorApp
from smmpanel.providers.simulator.catalog import build_catalog
from smmpanel.providers.simulator.state import SimConfig, SimulatorState

log = logging.getLogger(__name__)

# Requests served at once. A thread waiting out a ``slow`` fault holds one, so this is
# how many clients a slowed simulator answers side by side (several workers' threads,
# a benchmark's clients); waitress queues the rest.
DEFAULT_THREADS = 32


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
    """A waitress server on one port and its loop thread; can stop listening for a while.

    Each listening period is its own waitress server (socket map, loop thread, thread
    pool): ``refuse`` closes the current one, connections included, and a timer starts a
    new one on the same port.
    """

    def __init__(
        self, app: Callable, host: str, port: int, threads: int, stopping: threading.Event
    ):
        # One address: waitress would listen on each one a name resolves to ("localhost":
        # 127.0.0.1 and ::1), as separate servers this class does not manage.
        self._host = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)[0][4][0]
        self._app, self._threads = app, threads
        self.stopping = stopping
        self._lock = threading.Lock()
        self._closed = False
        self._refusing = False
        self._timer: threading.Timer | None = None
        self._server, self._map, self._thread = self._start(port)
        self.port = self._server.effective_port

    def _start(self, port: int) -> tuple[BaseWSGIServer, dict, threading.Thread]:
        socket_map: dict = {}  # the server's own sockets: its listener, connections, trigger
        server = create_server(
            self._app,
            map=socket_map,
            host=self._host,
            port=port,
            threads=self._threads,
            connection_limit=1000,  # benchmarks open many connections at once
            channel_timeout=60,  # an idle keep-alive connection is closed after a minute
            # A timeout fault ends a request with ConnectionAbortedError: waitress then
            # closes the connection without a word instead of answering 500.
            log_socket_errors=False,
            ident="provider-simulator",
        )
        thread = threading.Thread(target=server.run, name="provider-simulator", daemon=True)
        thread.start()
        return server, socket_map, thread

    def _stop(self, wait: float) -> None:
        """End the current server: its port, its open connections, its loop and threads.

        Threads still busy with a request (a slow answer) end when it does, up to
        ``wait`` seconds; their clients find the connection closed. The loop's trigger
        is closed only after them, so that none of them can write to a closed pipe.
        """
        server, socket_map, thread = self._server, self._map, self._thread

        def close_all() -> None:  # runs in the loop thread, the only one touching the map
            for dispatcher in list(socket_map.values()):
                if dispatcher is not server and dispatcher is not server.trigger:
                    dispatcher.handle_close()  # a connection: cut
            wasyncore.dispatcher.close(server)  # the listening socket (not the trigger)
            server.trigger.del_channel()  # the map is empty: the loop ends

        server.trigger.pull_trigger(close_all)
        thread.join(timeout=5)

        def retire() -> None:
            server.task_dispatcher.shutdown(cancel_pending=True, timeout=wait)
            server.trigger.close()

        if wait > 5:
            threading.Thread(target=retire, name="provider-simulator-retire", daemon=True).start()
        else:
            retire()

    def refuse(self, seconds: float) -> None:
        """Close the port for ``seconds``: connections are refused meanwhile, and those
        kept alive are cut."""
        with self._lock:
            if self._closed or self._refusing:
                return
            self._refusing = True
            self._stop(wait=120)
            self._timer = threading.Timer(seconds, self._listen_again)
            self._timer.daemon = True
            self._timer.start()

    def _listen_again(self) -> None:
        deadline = time.monotonic() + 5
        while True:
            with self._lock:
                if self._closed:
                    return
                try:
                    self._server, self._map, self._thread = self._start(self.port)
                except OSError:
                    if time.monotonic() > deadline:
                        log.error("provider simulator could not listen again on its port")
                        self._closed = True
                        return
                else:
                    self._refusing = False
                    return
            time.sleep(0.1)

    def close(self) -> None:
        """Stop for good: free the port, cut open connections, end the threads."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self.stopping.set()  # fault sleeps end at once
            if self._timer is not None:
                self._timer.cancel()
            if not self._refusing:
                self._stop(wait=5)


def _logged(app: Callable, out: TextIO) -> Callable:
    """``app`` writing one line per request to ``out`` (``--log-requests``)."""

    def logged(environ: dict, start_response: Callable) -> Iterable[bytes]:
        def start(status: str, headers: list, *exc_info: object) -> object:
            query = environ.get("QUERY_STRING")
            target = environ.get("PATH_INFO", "/") + (f"?{query}" if query else "")
            out.write(
                f"{environ.get('REMOTE_ADDR', '-')} - [{time.strftime('%d/%b/%Y %H:%M:%S')}] "
                f'"{environ.get("REQUEST_METHOD")} {target} {environ.get("SERVER_PROTOCOL")}" '
                f"{status.split()[0]}\n"
            )
            return start_response(status, headers, *exc_info)

        return app(environ, start)

    return logged


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
    threads: int = DEFAULT_THREADS,
    banner: bool = True,
    out: TextIO | None = None,
) -> SimulatorHandle:
    """Start a simulator in a background thread and return its handle.

    ``port=0`` picks a free port; ``services`` adds that many generated services to the
    22 of the base catalog; ``clock`` (seconds, monotonic) lets tests move time by hand;
    ``threads`` is how many requests are served at once.
    """
    if threads < 1:
        raise ValueError("threads must be at least 1")
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
    served = _logged(app, sys.stderr) if log_requests else app
    listener = _Listener(served, host, port, threads, stopping)
    app.refuse = listener.refuse
    bound = listener.port
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
    parser.add_argument(
        "--threads", type=int, default=DEFAULT_THREADS, help="requests served at once"
    )


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
