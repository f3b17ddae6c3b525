"""The standard library's wsgiref server, threaded and with HTTP/1.1 keep-alive.

Plain wsgiref answers one request per connection (HTTP/1.0). A status-sync benchmark
polls a thousand batches in a row, and a new TCP connection plus a new thread for
each one would cost more than the lookup itself, so connections are kept open. The
server also keeps track of its open connections so that it can cut them all at once:
on shutdown, and when the ``refuse`` fault must look like a provider that went down.
"""

import contextlib
import socket
import sys
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

MAX_DRAIN = 1_000_000  # unread body bytes worth reading to keep a connection usable


class _Input:
    """``wsgi.input`` that remembers how much of the body is still unread."""

    def __init__(self, stream, length: int):
        self._stream = stream
        self.left = length

    def read(self, size: int = -1) -> bytes:
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self._stream.read(size) if size > 0 else b""
        self.left -= len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self._stream.readline(size) if size > 0 else b""
        self.left -= len(data)
        return data


class _ServerHandler(ServerHandler):
    http_version = "1.1"
    dropped = False

    def run(self, application):
        def watched(environ, start_response):
            try:
                return application(environ, start_response)
            except ConnectionAbortedError:
                # The app chose to answer nothing: wsgiref writes nothing for this error,
                # and the connection must then be closed rather than reused.
                self.dropped = True
                raise

        super().run(watched)


class Handler(WSGIRequestHandler):
    """Serves requests on one connection until the client or an error closes it."""

    protocol_version = "HTTP/1.1"
    timeout = 60  # an idle keep-alive connection gives its thread back after a minute
    # wsgiref writes status line, headers and body separately: buffer them into one send
    # (flushed after each answer), and keep Nagle's algorithm from holding an answer back
    # for a delayed ACK (~40 ms) on a kept-alive connection.
    wbufsize = -1
    disable_nagle_algorithm = True

    def handle(self) -> None:
        self.close_connection = True
        try:
            self._handle_one()
            while not self.close_connection:
                self._handle_one()
        except OSError:  # the client went away, idled out, or was cut off on purpose
            self.close_connection = True

    def _handle_one(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline:
            self.close_connection = True
            return
        if len(self.raw_requestline) > 65536:
            self.requestline = self.request_version = self.command = ""
            self.send_error(414)
            self.close_connection = True
            return
        if not self.parse_request():
            return
        if self.headers.get("Transfer-Encoding"):
            self.send_error(411, "Length Required")  # chunked bodies are not supported
            self.close_connection = True
            return
        try:
            length = max(0, int(self.headers.get("Content-Length") or 0))
        except ValueError:
            self.send_error(400, "Bad Content-Length")
            self.close_connection = True
            return
        environ = self.get_environ()
        body = _Input(self.rfile, length)
        handler = _ServerHandler(body, self.wfile, self.get_stderr(), environ, multithread=True)
        handler.request_handler = self
        handler.run(self.server.get_app())
        self.wfile.flush()
        if handler.dropped or body.left > MAX_DRAIN:
            self.close_connection = True
        elif body.left:
            body.read()  # so the next request starts where it should

    def handle_expect_100(self) -> bool:
        answered = super().handle_expect_100()
        self.wfile.flush()  # the client waits for "100 Continue" before sending the body
        return answered

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib name)
        # One line per request would swamp a benchmark; print them only when asked.
        if getattr(self.server, "log_requests", False):
            super().log_message(format, *args)


class Server(ThreadingMixIn, WSGIServer):
    """A thread per connection; tracks open connections so they can be cut."""

    daemon_threads = True
    block_on_close = False  # never wait for a thread sleeping in a fault mode
    allow_reuse_address = True  # so "refuse" can listen again on the same port
    request_queue_size = 256  # benchmarks open many connections at once
    log_requests = False

    def __init__(self, *args, **kwargs):
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request, client_address):
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def cut_connections(self) -> None:
        """End every open connection now; their clients see the server go away."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request, client_address):
        # A client hanging up is normal here (tests time out on purpose); anything else
        # is a real fault of the simulator and is printed.
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


class Server6(Server):
    """The same on IPv6 (``--host ::1``)."""

    address_family = socket.AF_INET6
