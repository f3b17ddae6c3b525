"""What one API v2 request costs: SQL statements, and CPU in the web process and in the
PostgreSQL backend, per action — measured in-process, so the figures hold still on a
busy machine where requests/s swing by ±30%.

    .venv/bin/python bench/request_cost.py                 # this tree
    .venv/bin/python bench/request_cost.py --history       # and earlier commits, each in
                                                           # a temporary git worktree

Each action runs ``--requests`` times (best of three rounds) through Django's WSGI
application as a server calls it (request signals, middleware, the API view, the policy
gate, the services; no test client) on a throwaway
PostgreSQL cluster (or ``--database-url``), Huey on a throwaway Redis when
``redis-server`` is installed. CPU is ``process_time`` of this process plus the
backend's ``utime + stime`` from ``/proc``; ``/health`` is the trivial baseline.
``--history`` measures each commit of ``HISTORY`` in its own checkout with this same
script, so the table says what each change bought. ``COST_ACTIONS=add,status`` measures
only those actions (quicker repeated A/B runs on a noisy machine);
``COST_PROFILE_DIR=/tmp/prof`` also writes a cProfile of one more round per action
there (``ACTION.pstats``), taken after the measured rounds.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from urllib.parse import urlencode

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from api_throughput import (  # noqa: E402 - the bench directory is not a package
    LINK_PREFIX,
    STATUS_IDS,
    ThrowawayPostgres,
    ThrowawayRedis,
    lift_api_rate_limit,
)

FORM = "application/x-www-form-urlencoded"
ALL_ACTIONS = ("health", "balance", "services", "status", "add")
ACTIONS = tuple(
    a.strip() for a in os.environ.get("COST_ACTIONS", ",".join(ALL_ACTIONS)).split(",") if a.strip()
)
if not ACTIONS or set(ACTIONS) - set(ALL_ACTIONS):
    sys.exit(f"COST_ACTIONS: a comma-separated choice of {', '.join(ALL_ACTIONS)}")
# (commit, what it changed), oldest first: the rows of ``--history``.
HISTORY = (
    ("5f4f226", "before the speed work (issue 7 baseline)"),
    ("66cd9da", "rules, deny list, services answer from memory; limited-account flag; "
                "one rate-limit UPDATE; wallet with the key; UPDATE … RETURNING"),
    ("204cb75", "rate-limit UPDATE written once by hand; status rows as tuples"),
    ("525a0b6", "active catalog from memory: no service query per order"),
    ("fde83e0", "hot-path statements compiled once (compiled_sql); no savepoint for the "
                "order's charge; redundant single-column indexes dropped"),
    ("3d0f489", "PostgreSQL: server-side binding, repeated statements prepared"),
    ("8088c65", "machine endpoints (/api/v2, /health) skip the browser's middleware"),
    ("ddead6f", "PostgreSQL keeps generic plans for hot statements; searches planned "
                "per run"),
    ("35547ca", "connections checked by their socket, not SELECT 1 per request"),
    ("a23bc9b", "machine answers with a constant CSP; Order.status_label"),
    ("017fb51", "who has own prices kept per process: no rule query for customers "
                "without"),
    ("5fded99", "a ledger entry in one statement with its wallet UPDATE, an order with "
                "its first event"),
    ("131fa10", "the usual order in one statement (debit, order, event, outbox row, "
                "ledger entry) without BEGIN/COMMIT; one-active-order unique constraint"),
)  # fmt: skip


def measure(requests: int) -> dict[str, dict[str, float]]:
    """Seed a bench reseller and measure every action; Django is configured from env."""
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.db import connection

    from smmpanel.accounts.models import User
    from smmpanel.accounts.services import create_user, issue_api_key
    from smmpanel.billing.services import deposit
    from smmpanel.catalog.models import Service

    try:
        from smmpanel.money import to_micros
    except ImportError:  # a checkout from before money became a shared module
        from smmpanel.billing.money import to_micros

    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", stdout=io.StringIO())
    lift_api_rate_limit(User.objects.filter(role=User.Role.STAFF).order_by("pk").first())
    user = create_user(f"cost-{time.time_ns()}@example.com", None, role=User.Role.RESELLER)
    deposit(user, to_micros("10000000"), memo="bench balance")
    key = issue_api_key(user, "bench").plaintext
    service = (
        Service.objects.filter(active=True, type="default", link_format="instagram_post")
        .order_by("min_quantity", "pk")
        .first()
    )
    quantity = max(service.min_quantity, 100)
    server = WSGIHandler()  # what gunicorn calls: request signals and all (no test Client)
    counter = itertools.count()

    def body(action: str) -> dict[str, object]:
        data: dict[str, object] = {"key": key, "action": action}
        if action == "add":
            link = f"{LINK_PREFIX}Cost{time.time_ns()}n{next(counter)}/"
            data |= {"service": service.pk, "quantity": quantity, "link": link}
        if action == "status":
            data["orders"] = ids
        return data

    def call(action: str) -> tuple[str, bytes]:
        if action == "health":
            return wsgi(server, "GET", "/health")
        # Form-encoded, as API v2 clients (and the throughput bench's wrk) send it.
        return wsgi(server, "POST", "/api/v2", urlencode(body(action)).encode())

    ids = ",".join(str(json.loads(call("add")[1])["order"]) for _ in range(STATUS_IDS))

    def backend_cpu() -> float:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    figures = {}
    for action in ACTIONS:
        for _ in range(20):  # warm: connections, caches, imports
            answer = call(action)
        status, content = answer
        if not status.startswith("200") or b'"error"' in content:
            sys.exit(f"{action} failed: {status} {content[:300]!r}")
        # Counted at the cursor (CaptureQueriesContext's log is emptied by request_started).
        statements: list[str] = []
        with connection.execute_wrapper(partial(_count, statements)):
            call(action)
        rounds = []
        for _ in range(3):
            db0, py0 = backend_cpu(), time.process_time()
            for _ in range(requests):
                call(action)
            py = (time.process_time() - py0) / requests * 1000
            db = (backend_cpu() - db0) / requests * 1000
            rounds.append((py + db, py, db))
        _total, py, db = min(rounds)
        figures[action] = {"queries": len(statements), "python_ms": py, "postgres_ms": db}
        if profile_dir := os.environ.get("COST_PROFILE_DIR"):
            # One more round under cProfile, after the measured ones, so it skews nothing.
            import cProfile

            with cProfile.Profile() as profiler:
                for _ in range(requests):
                    call(action)
            profiler.dump_stats(Path(profile_dir) / f"{action}.pstats")
    return figures


def wsgi(server, method: str, path: str, body: bytes = b"") -> tuple[str, bytes]:
    """One request through the WSGI application as a server makes it: the answer's
    status line and body, and the answer closed (Django's request_finished)."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_TYPE": FORM if body else "",
        "CONTENT_LENGTH": str(len(body)),
    }
    status: list[str] = []
    answer = server(environ, lambda line, headers, exc_info=None: status.append(line))
    try:
        return status[0], b"".join(answer)
    finally:
        answer.close()


def _count(statements: list[str], execute, sql, params, many, context):
    statements.append(sql)
    return execute(sql, params, many, context)


def run_here(args: argparse.Namespace, src: Path) -> dict:
    """Measure the code under ``src`` in a child process (a fresh interpreter)."""
    with contextlib.ExitStack() as stack:
        database_url = args.database_url or stack.enter_context(ThrowawayPostgres())
        redis_url = ""
        if shutil.which("redis-server"):
            redis_url = stack.enter_context(ThrowawayRedis())
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="smm-cost-")))
        env = dict(os.environ) | {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DATA_DIR": str(workdir),
            "DJANGO_SETTINGS_MODULE": "smmpanel.settings",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "ALLOWED_HOSTS": "testserver",
            # One connection for the whole run: its backend's CPU is what is read.
            "CONN_MAX_AGE": "3600",
            # The checkout's code first, then the bench, then packages it alone needs.
            "PYTHONPATH": os.pathsep.join(map(str, (src, HERE, src.parent / "extra-packages"))),
        }
        cmd = [sys.executable, str(Path(__file__)), "--child", str(args.requests)]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
        if out.returncode != 0:
            sys.exit(f"measuring {src} failed:\n{out.stdout[-2000:]}\n{out.stderr[-4000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])


def worktree(commit: str, stack: contextlib.ExitStack) -> Path:
    """A temporary checkout of ``commit`` (removed on exit). Packages its
    ``pyproject.toml`` pins that this environment lacks (an older commit may use one that
    was dropped since) are installed beside it and put on its path: see ``run_here``."""
    path = Path(tempfile.mkdtemp(prefix=f"smm-cost-{commit}-"))
    git = ["git", "-C", str(ROOT)]
    subprocess.run(
        [*git, "worktree", "add", "--detach", str(path), commit], check=True, capture_output=True
    )
    stack.callback(
        subprocess.run, [*git, "worktree", "remove", "--force", str(path)], capture_output=True
    )
    missing = _pins_not_installed(path / "pyproject.toml")
    if missing:
        print(f"cost: {commit} needs {', '.join(missing)}: installed beside its checkout")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--target",
                str(path / "extra-packages"),
                *missing,
            ],
            check=True,
        )
    return path / "src"


def _pins_not_installed(pyproject: Path) -> list[str]:
    """``name==version`` runtime pins of ``pyproject`` not installed here at all."""
    import tomllib
    from importlib.metadata import PackageNotFoundError, distribution

    pins = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    missing = []
    for pin in pins:
        name = pin.split("==")[0].split("[")[0].strip()
        try:
            distribution(name)
        except PackageNotFoundError:
            missing.append(pin)
    return missing


def table(rows: list[tuple[str, dict]]) -> str:
    head = "| code | " + " | ".join(f"{a} q / CPU ms" for a in ACTIONS) + " |"
    lines = [head, "| --- |" + " ---: |" * len(ACTIONS)]
    for name, figures in rows:
        cells = []
        for action in ACTIONS:
            f = figures[action]
            cpu = f["python_ms"] + f["postgres_ms"]
            cells.append(f"{f['queries']} / {cpu:.2f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=300, help="per action and round")
    p.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", ""))
    p.add_argument("--history", action="store_true", help="also measure HISTORY commits")
    p.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child)))
        return 0
    rows = []
    with contextlib.ExitStack() as stack:
        if args.history:
            for commit, what in HISTORY:
                print(f"cost: measuring {commit} ({what}) ...", flush=True)
                rows.append((f"{commit} {what}", run_here(args, worktree(commit, stack))))
        print("cost: measuring this tree ...", flush=True)
        rows.append(("this tree", run_here(args, ROOT / "src")))
    print()
    print("SQL statements and CPU (web process + PostgreSQL backend) per request, best of 3:")
    print(table(rows))
    detail = rows[-1][1]
    print("\nthis tree, CPU split (python + postgres, ms):")
    for action in ACTIONS:
        f = detail[action]
        print(f"  {action:<9} {f['python_ms']:.2f} + {f['postgres_ms']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
