"""The kit serving for real on loopback: gunicorn with deploy/gunicorn.conf.py, alone and
behind nginx with deploy/nginx/smmpanel.conf.

- gunicorn's access log never holds an API key, however the key was sent (query string,
  form or JSON body, an encoded "?key=" in the path, a Referer), whatever format.
- Through nginx: /health answers over TLS, plain HTTP is redirected keeping the method,
  /static/ comes from collectstatic's directory (never reaching gunicorn), and the
  X-Forwarded-For gunicorn gets makes the panel's client_ip() read the address nginx saw,
  not one a client wrote; nginx's own log holds no key either.
"""

import re
import subprocess

import httpx
import pytest
from django.test import RequestFactory, override_settings

from smmpanel.client_ip import client_ip
from tests.deploy.conftest import (
    LOOPBACK,
    VENV_BIN,
    Process,
    free_port,
    panel_env,
    start_gunicorn,
    tool,
    wait_for,
)
from tests.deploy.test_service_files import nginx_config

SECRET = "sk-test-Zq81secretvalue"
SPOOFED = "203.0.113.9"


def send_the_key_every_way(client: httpx.Client, base: str, headers=None) -> None:
    """API v2 calls carrying SECRET as each client might send it; answers not checked."""
    headers = headers or {}
    kwargs = {"headers": headers}
    client.get(f"{base}/api/v2", params={"action": "balance", "key": SECRET}, **kwargs)
    client.post(f"{base}/api/v2", data={"action": "balance", "key": SECRET}, **kwargs)
    client.post(f"{base}/api/v2", json={"action": "balance", "key": SECRET}, **kwargs)
    client.get(f"{base}/api/v2?action=balance&k%65y={SECRET}", **kwargs)
    client.get(f"{base}/api/v2%3Fkey%3D{SECRET}", **kwargs)
    client.get(f"{base}/health", headers={**headers, "Referer": f"{base}/api/v2?key={SECRET}"})


def log_lines(path, count: int, seconds: float = 10) -> list[str]:
    """The lines of ``path`` once it has at least ``count`` (gunicorn writes after the
    answer went out)."""

    def read():
        lines = path.read_text().splitlines() if path.exists() else []
        return lines if len(lines) >= count else None

    return wait_for(read, seconds) or (path.read_text().splitlines() if path.exists() else [])


@pytest.mark.parametrize(
    "format_args",
    [(), ("--access-logformat", '%(r)s %(q)s %(U)s "%(f)s" %({referer}i)s %(a)s')],
    ids=["the configs format", "a format with the query string and Referer"],
)
def test_gunicorns_access_log_never_holds_an_api_key(tmp_path, servers, format_args):
    log = tmp_path / "access.log"
    env = panel_env(tmp_path, GUNICORN_ACCESS_LOG=str(log))
    base = start_gunicorn(servers, env, tmp_path / "gunicorn.log", *format_args)

    with httpx.Client(timeout=10) as client:
        send_the_key_every_way(client, base)
    lines = log_lines(log, 7)  # the start's /health, then the six calls

    assert len(lines) >= 7, lines
    assert all(SECRET not in line for line in lines), lines
    assert sum("/api/v2" in line for line in lines) >= 4
    assert SECRET not in servers[0].output()


def test_behind_nginx_tls_static_files_and_the_client_address(tmp_path, servers):
    nginx = tool("nginx", "nginx")
    data = tmp_path / "data"
    gunicorn_log = tmp_path / "gunicorn-access.log"
    env = panel_env(
        data,
        ALLOWED_HOSTS="panel.example.com,127.0.0.1",
        HTTPS="true",
        TRUSTED_PROXY_COUNT="1",
        GUNICORN_ACCESS_LOG=str(gunicorn_log),
    )
    done = subprocess.run(
        [str(VENV_BIN / "smmpanel"), "collectstatic", "--noinput"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (data / "static" / "web" / "panel.css.gz").exists()  # whitenoise's copy
    upstream = start_gunicorn(servers, env, tmp_path / "gunicorn.log")
    http_port, https_port = free_port(), free_port()
    conf = nginx_config(
        tmp_path,
        {
            "listen 80;": f"listen {LOOPBACK}:{http_port};",
            "listen [::]:80;": "",
            "listen 443 ssl http2;": f"listen {LOOPBACK}:{https_port} ssl http2;",
            "listen [::]:443 ssl http2;": "",
            "127.0.0.1:8000": upstream.removeprefix("http://"),
            "/var/lib/smmpanel/static/": f"{data}/static/",
        },
    )
    proxy = Process([nginx, "-p", str(tmp_path), "-c", conf], env, tmp_path / "nginx.out")
    servers.append(proxy)
    https = f"https://{LOOPBACK}:{https_port}"
    host = {"Host": "panel.example.com"}

    with httpx.Client(timeout=10, verify=False) as client:

        def up():
            assert proxy.popen.poll() is None, (tmp_path / "error.log").read_text()
            try:
                return client.get(f"{https}/health", headers=host).status_code == 200
            except httpx.HTTPError:
                return False

        assert wait_for(up, 30), (tmp_path / "error.log").read_text()
        health = client.get(f"{https}/health", headers={**host, "X-Forwarded-For": SPOOFED})
        plain = client.post(f"http://{LOOPBACK}:{http_port}/api/v2", headers=host)
        css = client.get(
            f"{https}/static/web/panel.css", headers={**host, "Accept-Encoding": "gzip"}
        )
        send_the_key_every_way(client, https, headers=host)

    assert health.json() == {"ok": True}
    assert health.headers["strict-transport-security"].startswith("max-age=")
    assert plain.status_code == 308
    assert plain.headers["location"] == "https://panel.example.com/api/v2"
    assert css.status_code == 200 and css.headers["content-encoding"] == "gzip"
    assert css.headers["x-content-type-options"] == "nosniff"

    gunicorn_lines = log_lines(gunicorn_log, 8)
    assert not any("/static/" in line for line in gunicorn_lines)  # nginx served them
    # The spoofing request, as gunicorn logged it: X-Forwarded-For first.
    spoofed = [line for line in gunicorn_lines if line.startswith(SPOOFED)]
    assert len(spoofed) == 1, gunicorn_lines
    forwarded = re.match(r"(.*?) 127\.0\.0\.1 \[", spoofed[0])[1]
    assert forwarded == f"{SPOOFED}, {LOOPBACK}"
    request = RequestFactory().get("/", REMOTE_ADDR=LOOPBACK, HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(TRUSTED_PROXY_COUNT=1):
        assert client_ip(request) == LOOPBACK  # nginx's peer: this test, not the spoof

    nginx_lines = log_lines(tmp_path / "smmpanel.access.log", 8)
    for lines in (gunicorn_lines, nginx_lines):
        assert all(SECRET not in line for line in lines), lines
    assert any('"GET /api/v2 HTTP/' in line for line in nginx_lines), nginx_lines
