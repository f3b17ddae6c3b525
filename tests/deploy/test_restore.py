"""A backup restores into a panel that works (issue 22's proof of docs/operations.md,
"Back up"): ``pg_dump`` of a panel with orders, in the custom format the backup unit
writes, restored with ``pg_restore`` into an empty database; there ``smmpanel
audit-ledger`` is clean, the orders and balances are all there, and a real gunicorn
(deploy/gunicorn.conf.py) on the restored database answers /health and a customer's
API key made before the dump.

PostgreSQL only (``make test-postgres``; CI's PostgreSQL run), with the server's own
pg_dump and pg_restore from /usr/lib/postgresql/*/bin.
"""

import subprocess
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest
from django.conf import settings
from django.db import connection

from smmpanel.orders.models import Order
from tests.deploy.conftest import VENV_BIN, panel_env, start_gunicorn, tool
from tests.factories import make_key, make_order, make_service, make_user

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason=f"pg_dump and pg_restore of PostgreSQL; this run uses {connection.vendor}",
    ),
]


def server_bin(name: str) -> str:
    """``name`` from Debian's server packages, of the running server's major version
    (a pg_dump older than the server refuses to dump it)."""
    major = connection.cursor().connection.info.server_version // 10000
    path = Path(f"/usr/lib/postgresql/{major}/bin/{name}")
    if path.exists():
        return str(path)
    return tool(str(path), f"postgresql-{major}")


def url_of(database: str) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{db['USER']}{password}@{host}:{port}/{database}"


@pytest.fixture
def empty_database():
    """A new, empty database on the same server, dropped afterwards."""
    name = f"restore_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url_of("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(url_of("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_dump_restored_into_an_empty_database_serves(
    transactional_db, empty_database, tmp_path, servers
):
    pg_dump, pg_restore = server_bin("pg_dump"), server_bin("pg_restore")
    service = make_service()
    customers = [make_user("100") for _ in range(3)]
    for customer in customers:
        for _ in range(2):
            make_order(customer, service)
    key = make_key(customers[0])
    orders = Order.objects.count()
    source = url_of(connection.settings_dict["NAME"])
    dump = tmp_path / "smmpanel.dump"

    dumped = subprocess.run(
        [pg_dump, "--format=custom", f"--dbname={source}", f"--file={dump}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert dumped.returncode == 0, dumped.stderr
    restored = subprocess.run(
        [
            pg_restore,
            "--exit-on-error",
            "--no-owner",
            f"--dbname={url_of(empty_database)}",
            str(dump),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert restored.returncode == 0, restored.stderr

    # The restored panel runs with the secrets the dump was made under (kept apart).
    env = panel_env(
        tmp_path / "data",
        DATABASE_URL=url_of(empty_database),
        SECRET_KEY=settings.SECRET_KEY,
        API_KEY_PEPPER=settings.API_KEY_PEPPER,
    )
    audit = subprocess.run(
        [str(VENV_BIN / "smmpanel"), "audit-ledger"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert f"ledger OK: {len(customers)} accounts" in audit.stdout
    with psycopg.connect(url_of(empty_database)) as restored_db:
        assert restored_db.execute("SELECT count(*) FROM orders_order").fetchone()[0] == orders

    base = start_gunicorn(servers, env, tmp_path / "gunicorn.log")
    with httpx.Client(timeout=10) as client:
        health = client.get(f"{base}/health")
        balance = client.post(f"{base}/api/v2", data={"key": key, "action": "balance"})
    assert health.json() == {"ok": True}
    assert balance.json()["currency"] == settings.CURRENCY
    assert float(balance.json()["balance"]) < 100  # two orders' charges gone from 100
