"""The deployment kit's service files pass their own tools' checks: the systemd units
``systemd-analyze verify``, the Caddyfile ``caddy validate``, the nginx site ``nginx -t``.

Each file is checked as shipped, with only what cannot exist on a test machine pointed
elsewhere (checked to be there first, so a changed file fails instead): the units' venv
and checkout (systemd-analyze needs ExecStart's programs to exist) become this run's
venv and repository; nginx's certificate and log paths become files under tmp_path.
"""

import datetime
import subprocess

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.deploy.conftest import DEPLOY, REPO, VENV_BIN, replaced, tool

UNITS = sorted((DEPLOY / "systemd").iterdir())
CERTIFICATE = "/etc/letsencrypt/live/panel.example.com/fullchain.pem"
CERTIFICATE_KEY = "/etc/letsencrypt/live/panel.example.com/privkey.pem"


def run(args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=60, **kwargs)


def test_the_systemd_units_verify(tmp_path):
    systemd_analyze = tool("systemd-analyze", "systemd")
    assert {u.name for u in UNITS} >= {"smmpanel-web.service", "smmpanel-worker.service"}
    for unit in UNITS:
        text = unit.read_text()
        if "/srv/smmpanel/.venv/bin/" in text:
            text = replaced(text, {"/srv/smmpanel/.venv/bin/": f"{VENV_BIN}/"})
            text = text.replace("/srv/smmpanel", str(REPO))
        (tmp_path / unit.name).write_text(text)

    # --man=no: the Documentation= links are not looked up. Outside a booted systemd it
    # still loads each unit fully: unknown keys, bad values and missing programs fail.
    done = run(
        [systemd_analyze, "verify", "--man=no", *(str(tmp_path / u.name) for u in UNITS)],
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr.strip() == "", done.stderr


def test_systemd_analyze_catches_a_broken_unit(tmp_path):
    """The check above would see a mistake: a program that is not there, here."""
    systemd_analyze = tool("systemd-analyze", "systemd")
    unit = tmp_path / "smmpanel-web.service"
    unit.write_text((DEPLOY / "systemd" / "smmpanel-web.service").read_text())

    done = run([systemd_analyze, "verify", "--man=no", str(unit)], cwd=tmp_path)

    assert done.returncode != 0
    assert "/srv/smmpanel/.venv/bin/gunicorn" in done.stderr


def test_the_caddyfile_validates(tmp_path):
    caddy = tool("caddy", "caddy")
    # Caddy keeps its state (certificates, the ACME account) under HOME / XDG dirs.
    env = {
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }

    done = run(
        [caddy, "validate", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
        env=env,
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "Valid configuration" in done.stdout + done.stderr
    # Formatted as `caddy fmt` writes it (validate warns otherwise).
    assert "not formatted" not in done.stderr


def self_signed(tmp_path) -> tuple[str, str]:
    """A throwaway certificate and key for panel.example.com; their paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "panel.example.com")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("panel.example.com")]), False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def nginx_config(tmp_path, site_replacements: dict[str, str] | None = None) -> str:
    """A minimal nginx.conf including deploy/nginx/smmpanel.conf (as Debian's includes
    sites-enabled/ inside http), every path it writes under tmp_path; its path."""
    cert, key = self_signed(tmp_path)
    site = replaced(
        (DEPLOY / "nginx" / "smmpanel.conf").read_text(),
        {
            CERTIFICATE: cert,
            CERTIFICATE_KEY: key,
            "/var/log/nginx/": f"{tmp_path}/",
            **(site_replacements or {}),
        },
    )
    (tmp_path / "smmpanel.conf").write_text(site)
    temp = {name: tmp_path / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    for path in temp.values():
        path.mkdir(exist_ok=True)
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"""
daemon off;
master_process off;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log info;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {tmp_path}/access.log;
    client_body_temp_path {temp["body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {tmp_path}/smmpanel.conf;
}}
""")
    return str(conf)


def test_the_nginx_site_passes_nginx_t(tmp_path):
    nginx = tool("nginx", "nginx")
    conf = nginx_config(tmp_path)

    done = run([nginx, "-t", "-p", str(tmp_path), "-c", conf], cwd=tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "test is successful" in done.stderr
