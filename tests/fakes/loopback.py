"""What every gateway fake shares: a threaded HTTP server on 127.0.0.1 (a free port),
whose request handler reaches the fake as ``self.fake``; used as a context manager."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackFake:
    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        bound = type("Handler", (handler,), {"fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), bound)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
