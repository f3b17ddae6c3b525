"""A throwaway PostgreSQL cluster a test may crash and start again, and the two scripts
the test runs against it in a separate Django process.

The cluster comes from Debian's PostgreSQL 15 binaries (``initdb``/``pg_ctl``), lives in
a temp dir owned by ``postgres`` and listens on a free loopback port; it is never the
suite's test database. The test process keeps its own (suite) database settings, so
everything that reads or writes the throwaway cluster runs as::

    DATABASE_URL=postgres://… python -m tests.faults.throwaway_postgres seed SIM_URL KEY PW
    DATABASE_URL=postgres://… python -m tests.faults.throwaway_postgres report

``seed`` migrates and creates a reseller (password ``PW``, a balance and an API key) and
a service routed to the provider simulator (whose key is ``KEY``); ``report`` prints the
orders, ledger, wallets and submissions as JSON for the test to check. Both print one
JSON object on the last line of stdout. The server logs each line's time as seconds
since the epoch (``log_line_prefix`` ``%n``), so ``ready_at`` can tell when it came back.
"""

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

# Debian's newest server binaries, as .ci/run picks them (15 on bookworm, 17 on trixie).
PG_BIN = max(
    Path("/usr/lib/postgresql").glob("*/bin"),
    key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    default=Path("/usr/lib/postgresql/15/bin"),
)
LOOPBACK = "127.0.0.1"
DATABASE = "smmpanel_restart"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


class ThrowawayPostgres:
    """initdb + pg_ctl in a temp dir; ``crash()`` and ``start()`` as often as needed."""

    def __init__(self, bin_dir: Path = PG_BIN) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="smm-dbrestart-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        self.url = f"postgres://postgres@{LOOPBACK}:{self.port}/{DATABASE}"

    def _run(self, *args: object, timeout: float = 60) -> None:
        cmd = [str(a) for a in args]
        if self.as_root:  # initdb and postgres refuse to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, timeout=timeout)
        if done.returncode:
            server_log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(
                f"{' '.join(cmd)} exited {done.returncode}:\n"
                f"{done.stderr.decode(errors='replace')}\n{server_log}"
            )

    def create(self) -> str:
        """A new cluster, started, with an empty database; returns its DATABASE_URL."""
        if self.as_root:
            shutil.chown(self.root, user="postgres")
        self.root.chmod(0o700)
        self._run(
            self.bin / "initdb",
            "-D",
            self.data,
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        self.start()
        self._run(
            self.bin / "createdb", "-h", LOOPBACK, "-p", self.port, "-U", "postgres", DATABASE
        )
        return self.url

    def start(self) -> None:
        """Start and wait until it accepts connections (after a crash: after recovery)."""
        # Log lines start with the time as seconds since the epoch, for ``ready_at``.
        options = (
            f"-c listen_addresses={LOOPBACK} -p {self.port} -k {self.root} "
            f"-c log_line_prefix='%n [%p] '"
        )
        self._run(
            self.bin / "pg_ctl",
            "-D",
            self.data,
            "-l",
            self.log,
            "-w",
            "-t",
            "30",
            "-o",
            options,
            "start",
        )

    def ready_at(self) -> float:
        """When the server last began accepting connections (seconds since the epoch, as
        ``time.time()``), from its log: after a crash, the end of its recovery."""
        ready = [
            float(line.split(" ", 1)[0])
            for line in self.log.read_text(errors="replace").splitlines()
            if line.endswith("database system is ready to accept connections")
        ]
        assert ready, self.log.read_text(errors="replace")[-2000:]
        return ready[-1]

    def crash(self) -> None:
        """Stop like a crash: ``-m immediate`` kills every backend without a checkpoint,
        so open connections break mid-conversation and the next start runs recovery."""
        self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


# --- the scripts, run in a Django process whose DATABASE_URL is the throwaway cluster ---


def seed(simulator_url: str, provider_key: str, password: str) -> dict:
    from django.core.management import call_command
    from django.test import override_settings

    from smmpanel.billing.selectors import balance_of
    from smmpanel.policy.engine import rules_for
    from smmpanel.policy.rulebook import API_REQUEST
    from smmpanel.policy.services import update_rule
    from smmpanel.providers.services import add_provider, route_unrouted_services
    from tests.factories import make_key, make_service, make_user

    call_command("migrate", interactive=False, verbosity=0)
    # The reseller never signs in here (the password is set to be looked for in the
    # logs): a real password hash would only cost time.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        user = make_user("1000", password=password)
    key = make_key(user)
    service = make_service(min_quantity=10, max_quantity=5000, rate_micros=1_230_000)
    provider = add_provider("Simulator", simulator_url, provider_key, allow_private=True)
    if route_unrouted_services(provider) < 1:
        raise SystemExit("the simulator offers no service to route to")
    # The client sends a few hundred requests in well under a minute: not a fairness case.
    (rate_rule,) = [r for s, r in rules_for(API_REQUEST) if s.code == "api.rate"]
    update_rule(
        rate_rule,
        actor=None,
        reason="fault test",
        thresholds={
            "key_per_minute": 100_000,
            "account_per_minute": 100_000,
            "burst": 10_000,
        },
    )
    return {
        "user": user.pk,
        "key": key,
        "service": service.pk,
        "opening_micros": balance_of(user),
    }


def report() -> dict:
    from smmpanel.billing.models import LedgerEntry, Wallet
    from smmpanel.billing.selectors import ledger_mismatches
    from smmpanel.orders.models import Order
    from smmpanel.providers.models import Submission

    return {
        "orders": list(
            Order.objects.order_by("pk").values(
                "id", "user_id", "link", "status", "charge_micros", "quantity", "remains"
            )
        ),
        "ledger": list(
            LedgerEntry.objects.order_by("pk").values(
                "id", "user_id", "order_id", "kind", "amount_micros"
            )
        ),
        "wallets": list(Wallet.objects.values("user_id", "balance_micros")),
        "submissions": list(Submission.objects.values("order_id", "run", "state")),
        "mismatches": [m.user_id for m in ledger_mismatches()],
    }


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smmpanel.settings")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres://"):
        raise SystemExit("refusing to run: DATABASE_URL must name the throwaway cluster")
    import django

    django.setup()
    if argv[:1] == ["seed"] and len(argv) == 4:
        result = seed(*argv[1:])
    elif argv == ["report"]:
        result = report()
    else:
        raise SystemExit(f"usage: {__spec__.name} seed SIMULATOR_URL KEY PASSWORD | report")
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
