"""A real SMTP server (aiosmtpd) and a local Telegram Bot API stand-in, in the test
process, for the delivery tests."""

import json
import socket
import threading
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from django.test import override_settings

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What the SMTP server received: parsed messages, in order."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


class SmtpServer:
    def __init__(self):
        self.port = free_port()
        self.inbox = Inbox()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    """A running SMTP server on 127.0.0.1 and Django's mail pointed at it."""
    server = SmtpServer()
    server.start()
    with override_settings(
        EMAIL_BACKEND=SMTP_BACKEND,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=server.port,
        EMAIL_USE_TLS=False,
        EMAIL_USE_SSL=False,
        EMAIL_HOST_USER="",
        EMAIL_HOST_PASSWORD="",
        EMAIL_TIMEOUT=5,
    ):
        yield server
    server.stop()


class BotApi:
    """Answers ``POST /bot<token>/sendMessage`` as the Bot API does; ``down`` makes it
    answer 502 (an outage), ``fail_with`` a Bot API error answer."""

    def __init__(self):
        self.sent = []
        self.down = False
        self.fail_with = None
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if api.down:
                    return self._answer(
                        502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
                    )
                if api.fail_with:
                    code, description = api.fail_with
                    return self._answer(
                        code, {"ok": False, "error_code": code, "description": description}
                    )
                if not self.path.endswith("/sendMessage") or not self.path.startswith("/bot"):
                    return self._answer(
                        404, {"ok": False, "error_code": 404, "description": "Not Found"}
                    )
                api.sent.append({"token": self.path[4:].split("/")[0], **body})
                message = {
                    "message_id": len(api.sent),
                    "date": 0,
                    "chat": {"id": int(body["chat_id"]), "type": "group"},
                    "text": body["text"],
                }
                return self._answer(200, {"ok": True, "result": message})

            def _answer(self, code, payload):
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def telegram():
    """A local Bot API and the panel's Telegram settings pointed at it."""
    api = BotApi()
    with override_settings(
        TELEGRAM_API_URL=api.url,
        TELEGRAM_BOT_TOKEN="123:test-token",
        TELEGRAM_CHAT_IDS=["-1001"],
        STAFF_ALERT_EMAILS=["ops@example.com"],
    ):
        yield api
    api.server.shutdown()
    api.server.server_close()
