"""The ``smmpanel`` console command, run for real as a subprocess on its own database."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

SMMPANEL = str(Path(sys.executable).with_name("smmpanel"))

# Asks the panel itself, in its own process, whether a key works: a real API v2 request.
CHECK_KEY = """
import json, sys
from django.test import Client
answer = Client().post("/api/v2", {"key": sys.argv[1], "action": "balance"}, HTTP_HOST="localhost")
print(json.dumps(answer.json()))
"""


class Panel:
    """One panel installation: a data directory and a SQLite database of its own."""

    def __init__(self, root: Path):
        self.root = root
        self.db = root / "x.sqlite3"
        self.env = {
            **os.environ,
            "DATA_DIR": str(root),
            "DATABASE_URL": f"sqlite:///{self.db}",
            "DJANGO_SETTINGS_MODULE": "smmpanel.settings",
        }

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [SMMPANEL, *args],
            env=self.env,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check:
            assert done.returncode == 0, done.stderr
        return done

    def sql(self, query: str, *params) -> list[tuple]:
        with sqlite3.connect(self.db) as conn:
            return conn.execute(query, params).fetchall()

    def balance_via_api(self, key: str) -> dict:
        done = self.run("shell", "-c", CHECK_KEY.replace("sys.argv[1]", repr(key)))
        return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def migrated(tmp_path_factory) -> Path:
    """A database migrated once by ``smmpanel migrate``; tests get copies of it."""
    panel = Panel(tmp_path_factory.mktemp("migrated"))
    done = panel.run("migrate", "--no-input")
    assert "Applying billing.0001_initial" in done.stdout
    return panel.db


@pytest.fixture
def panel(migrated, tmp_path) -> Panel:
    fresh = Panel(tmp_path)
    shutil.copy(migrated, fresh.db)
    return fresh


def test_migrate_creates_the_schema_of_every_app(panel):
    tables = {name for (name,) in panel.sql("SELECT name FROM sqlite_master WHERE type='table'")}

    assert {
        "accounts_user",
        "accounts_apikey",
        "billing_wallet",
        "billing_ledgerentry",
        "catalog_service",
        "catalog_serviceupdate",
        "orders_order",
        "orders_refill",
    } <= tables


def test_migrate_again_has_nothing_to_do(panel):
    assert "No migrations to apply" in panel.run("migrate", "--no-input").stdout


def test_createuser_prints_a_working_api_key_alone_on_the_last_line(panel):
    done = panel.run(
        "createuser",
        "Reseller@Example.com",
        "--password",
        "pw-Long-enough-1",
        "--balance",
        "12.50",
        "--reseller",
        "--api-key",
    )

    key = done.stdout.rstrip("\n").splitlines()[-1]
    assert key.startswith("smmk_") and " " not in key
    assert panel.balance_via_api(key) == {"balance": "12.50", "currency": "USD"}
    assert panel.sql("SELECT email, role FROM accounts_user") == [
        ("reseller@example.com", "reseller")
    ]
    # the opening balance is a ledger deposit, not a bare number in the wallet
    assert panel.sql("SELECT kind, amount_micros FROM billing_ledgerentry") == [
        ("deposit", 12_500_000)
    ]


def test_createuser_without_api_key_prints_no_key(panel):
    done = panel.run("createuser", "b@example.com", "--staff")

    assert "smmk_" not in done.stdout
    assert panel.sql("SELECT role, is_staff, is_superuser FROM accounts_user") == [("staff", 1, 1)]
    assert panel.sql("SELECT count(*) FROM accounts_apikey") == [(0,)]


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--balance", "ten"], "--balance"),
        (["--balance", "-5"], "negative"),
    ],
)
def test_createuser_refuses_bad_options_and_creates_no_one(panel, args, complaint):
    done = panel.run("createuser", "c@example.com", *args, check=False)

    assert done.returncode != 0
    assert complaint in done.stderr
    assert panel.sql("SELECT count(*) FROM accounts_user") == [(0,)]


def test_createuser_refuses_an_email_that_is_taken_in_any_case(panel):
    panel.run("createuser", "d@example.com")

    done = panel.run("createuser", "D@Example.com", check=False)

    assert done.returncode != 0 and "already exists" in done.stderr
    assert panel.sql("SELECT count(*) FROM accounts_user") == [(1,)]


def test_seed_demo_loads_twenty_or_more_services_of_several_types(panel):
    done = panel.run("seed-demo")

    (count,) = panel.sql("SELECT count(*) FROM catalog_service")[0]
    types = {t for (t,) in panel.sql("SELECT DISTINCT type FROM catalog_service")}
    platforms = panel.sql("SELECT count(*) FROM catalog_platform")[0][0]
    assert count >= 20 and platforms >= 4
    assert {"default", "package", "custom comments", "mentions custom list", "poll"} <= types
    key = done.stdout.strip().splitlines()[-1].split()[-1]
    assert panel.balance_via_api(key) == {"balance": "100.00", "currency": "USD"}


def test_seed_demo_twice_adds_nothing_and_replaces_the_demo_key(panel):
    panel.run("seed-demo")
    (count,) = panel.sql("SELECT count(*) FROM catalog_service")[0]

    second = panel.run("seed_demo")  # the Django spelling works too

    assert panel.sql("SELECT count(*) FROM catalog_service")[0][0] == count
    assert "(0 new)" in second.stdout
    assert panel.sql(
        "SELECT revoked_at IS NULL, count(*) FROM accounts_apikey WHERE name = 'demo'"
        " GROUP BY revoked_at IS NULL ORDER BY 1"
    ) == [(0, 1), (1, 1)]


def test_audit_ledger_passes_when_every_balance_equals_its_entries(panel):
    panel.run("createuser", "e@example.com", "--balance", "10")

    done = panel.run("audit-ledger")

    assert "ledger OK" in done.stdout


def test_audit_ledger_fails_naming_the_account_whose_balance_was_tampered_with(panel):
    panel.run("createuser", "honest@example.com", "--balance", "10")
    panel.run("createuser", "tampered@example.com", "--balance", "10")
    with sqlite3.connect(panel.db) as conn:
        conn.execute(
            "UPDATE billing_wallet SET balance_micros = balance_micros + 1 WHERE user_id ="
            " (SELECT id FROM accounts_user WHERE email = 'tampered@example.com')"
        )

    done = panel.run("audit-ledger", check=False)

    assert done.returncode != 0
    assert "tampered@example.com" in done.stderr
    assert "honest@example.com" not in done.stderr + done.stdout
    assert "10.000001" in done.stderr and "10.00" in done.stderr


def test_audit_ledger_catches_entries_without_a_wallet_change(panel):
    panel.run("createuser", "f@example.com", "--balance", "10")
    with sqlite3.connect(panel.db) as conn:
        conn.execute(
            "INSERT INTO billing_ledgerentry (user_id, kind, amount_micros, balance_after_micros,"
            " memo, created_at) SELECT id, 'deposit', 5, 5, 'forged', '2026-01-01' FROM"
            " accounts_user"
        )

    done = panel.run("audit-ledger", check=False)

    assert done.returncode != 0 and "f@example.com" in done.stderr


def test_migrate_makes_a_missing_data_directory(tmp_path):
    data = tmp_path / "not" / "yet"
    panel = Panel(tmp_path)
    panel.env = {**panel.env, "DATA_DIR": str(data)}
    del panel.env["DATABASE_URL"]  # the default: an SQLite file in the data directory

    panel.run("migrate", "--no-input")

    assert (data / "smmpanel.sqlite3").is_file() and (data / "static").is_dir()


def test_a_command_before_migrate_says_which_command_makes_the_data_directory(tmp_path):
    data = tmp_path / "missing"
    panel = Panel(tmp_path)
    panel.env = {**panel.env, "DATA_DIR": str(data)}
    del panel.env["DATABASE_URL"]

    done = panel.run("createuser", "a@example.com", "--password", "x" * 12, check=False)

    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert f"the database's directory {data} does not exist yet" in done.stderr
    assert "`smmpanel migrate` creates it" in done.stderr
    assert not data.exists()


@pytest.mark.parametrize(
    "url, reason",
    [
        ("mysql://panel@127.0.0.1/panel", "runs on PostgreSQL or SQLite, not 'mysql'"),
        ("postgress://panel@127.0.0.1/panel", "not 'postgress'"),
        ("panel.sqlite3", "is not a database URL"),
        ("sqlite:///", "names no SQLite file"),
        ("postgres://panel@127.0.0.1", "names no PostgreSQL database"),
    ],
)
def test_a_wrong_database_url_stops_a_command_with_its_reason(tmp_path, url, reason):
    panel = Panel(tmp_path)
    panel.env = {**panel.env, "DATABASE_URL": url}

    done = panel.run("check", check=False)

    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert done.stderr.startswith("smmpanel: DATABASE_") and reason in done.stderr
