"""API v2 throughput through a real production-style server against PostgreSQL.

Starts gunicorn (``smmpanel.wsgi:application``, several workers) on 127.0.0.1, migrates
and seeds the database (the demo catalog; bench resellers with a large balance and an API
key each; 100 orders for the multi-status call), then drives each scenario from a separate
load-generator process and prints requests/s, p50/p99 latency and the ratio to the trivial
endpoint ``/health`` measured by the same server in the same run.

    make bench                                   # 5 s per scenario
    .venv/bin/python bench/api_throughput.py --seconds 10 --connections 32
    .venv/bin/python bench/api_throughput.py --scale   # on 10M orders (bench/scale/)

The catalog is grown to ``--services`` active services (5,000) for the ``services``
answer; the customer orders page is fetched signed in as the main bench user. With
``--scale`` the database is first filled by ``bench/scale_data.py`` (10 million orders
over 50,000 users, ~5-10 minutes) and the main bench user is its 100,000-order account;
a ``--database-url`` filled before is measured again as it is.

The database is ``--database-url`` (default: env ``BENCH_DATABASE_URL``). It must be a
scratch database: the bench migrates it and writes users, services and orders. Without
one the bench starts a throwaway PostgreSQL cluster with Debian's ``initdb``/``pg_ctl``
(package ``postgresql``) in a temporary directory on a free port and removes it after.
The load generator is ``wrk`` when installed (Debian package ``wrk``: written in C, it
takes little CPU from the server on a small machine), else a Python client (httpx,
keep-alive, processes x threads). Every scenario is bounded in time (``--seconds``) and
in count (``--max-requests``) and talks to loopback only. The task queue is Redis as in
production (``--redis-url``, or a throwaway ``redis-server`` when Debian's package is
installed), else Huey's SQLite storage, the embedded default (``--sqlite-queue``).

``add (1 user)`` is one reseller's orders: they are serialised by design (the wallet row
lock that makes concurrent orders unable to spend the same money), so it measures one
account's ceiling; ``add (N users)`` spreads the same load over N accounts.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode

LOOPBACK = "127.0.0.1"
STATUS_IDS = 100
LINK_PREFIX = "https://www.instagram.com/p/"


# --- scenarios ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One kind of request. The body is ``key=<one of keys>&`` + ``body`` (+ a link tail
    unique to the request when ``unique_link``: ``add`` then never meets an active order)."""

    name: str
    method: str
    path: str
    body: str = ""
    keys: tuple[str, ...] = ()
    unique_link: bool = False
    cookie: str = ""  # a signed-in customer's session, for pages


@dataclass(frozen=True)
class Seeded:
    keys: tuple[str, ...]  # keys[0] is the main bench user's
    user_ids: tuple[int, ...]
    service_id: int
    quantity: int
    status_ids: tuple[int, ...]
    services: int
    server_version: str
    session_cookie: str  # the main bench user signed in, for the orders page
    orders_of_main_user: int
    last_seeded_order: int  # orders above this id were placed by the scenarios
    limiter: str


def scenarios(seeded: Seeded) -> list[Scenario]:
    main_key = seeded.keys[:1]
    ids = ",".join(str(i) for i in seeded.status_ids)
    add = urlencode({"action": "add", "service": seeded.service_id, "quantity": seeded.quantity})
    add += "&link=" + quote(LINK_PREFIX, safe="")
    plan = [
        Scenario("/health (ceiling)", "GET", "/health"),
        Scenario("services", "POST", "/api/v2", "action=services", main_key),
        Scenario("balance", "POST", "/api/v2", "action=balance", main_key),
        Scenario(
            "status (1 id)",
            "POST",
            "/api/v2",
            urlencode({"action": "status", "order": seeded.status_ids[0]}),
            main_key,
        ),
        Scenario(
            f"status ({len(seeded.status_ids)} ids)",
            "POST",
            "/api/v2",
            urlencode({"action": "status", "orders": ids}),
            main_key,
        ),
        Scenario("add (1 user)", "POST", "/api/v2", add, main_key, unique_link=True),
        Scenario("orders page", "GET", "/orders/", cookie=seeded.session_cookie),
    ]
    if len(seeded.keys) > 1:
        others = seeded.keys[1:]
        plan.append(
            Scenario(f"add ({len(others)} users)", "POST", "/api/v2", add, others, unique_link=True)
        )
    return plan


@dataclass
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    first_error: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


# --- PostgreSQL: a throwaway cluster from Debian's binaries ---------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def debian_pg_bin() -> Path:
    """The newest ``/usr/lib/postgresql/N/bin`` (never whatever ``postgres`` is on PATH)."""
    found = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not found:
        sys.exit(
            "no database: pass --database-url (or set BENCH_DATABASE_URL), or install "
            "Debian's postgresql package so the bench can start a throwaway cluster"
        )
    return found[-1]


class ThrowawayPostgres:
    """initdb + pg_ctl in a temp dir on a free loopback port; stopped and removed on exit."""

    def __init__(self) -> None:
        self.bin = debian_pg_bin()
        self.root = Path(tempfile.mkdtemp(prefix="smm-bench-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        self.started = False

    def _run(self, *args: object) -> None:
        cmd = [str(a) for a in args]
        if self.as_root:  # initdb and postgres refuse to run as root
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def __enter__(self) -> str:
        if self.as_root:
            shutil.chown(self.root, user="postgres")
        self.root.chmod(0o700)
        initdb = [self.bin / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres"]
        self._run(*initdb, "-E", "UTF8", "--locale=C.UTF-8")
        options = (
            f"-c listen_addresses={LOOPBACK} -p {self.port} -k {self.root} "
            "-c max_connections=200 -c shared_buffers=256MB"
        )
        log_file = self.root / "server.log"
        try:
            self._run(
                self.bin / "pg_ctl", "-D", self.data, "-l", log_file, "-w", "-o", options, "start"
            )
        except subprocess.CalledProcessError:
            sys.stderr.write(log_file.read_text() if log_file.exists() else "")
            raise
        self.started = True
        createdb = [self.bin / "createdb", "-h", LOOPBACK, "-p", self.port, "-U", "postgres"]
        self._run(*createdb, "smmpanel_bench")
        return f"postgres://postgres@{LOOPBACK}:{self.port}/smmpanel_bench"

    def __exit__(self, *exc: object) -> None:
        if self.started:
            with contextlib.suppress(subprocess.CalledProcessError):
                self._run(self.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def describe(self) -> str:
        return f"throwaway PostgreSQL {self.bin.parent.name} cluster, default durability"


class ThrowawayRedis:
    """A memory-only ``redis-server`` (Debian package ``redis-server``) for Huey's queue."""

    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="smm-bench-redis-"))
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> str:
        cmd = [
            "redis-server",
            "--bind",
            LOOPBACK,
            "--port",
            str(self.port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.root),
        ]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.proc.poll() is None:
            with (
                contextlib.suppress(OSError),
                socket.create_connection((LOOPBACK, self.port), 1) as s,
            ):
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return f"redis://{LOOPBACK}:{self.port}/0"
            time.sleep(0.1)
        self.__exit__()
        sys.exit("redis-server did not start")

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        shutil.rmtree(self.root, ignore_errors=True)


# --- set-up: migrate and seed through the ORM, in this process ------------------------------


def seed(tag: str, users: int, services: int, scale: dict | None) -> Seeded:
    """Migrate, load the demo catalog (grown to ``services`` active services), make
    1 + ``users`` bench resellers, 100 orders; with ``scale``, first fill the database
    with ``bench/scale_data.py`` and make its big user (100,000 orders) the main one."""
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, connections
    from django.test import Client

    from smmpanel.accounts.models import User
    from smmpanel.accounts.services import create_user, issue_api_key
    from smmpanel.billing.services import deposit
    from smmpanel.catalog.models import Service
    from smmpanel.money import to_micros
    from smmpanel.orders.models import Order
    from smmpanel.orders.services import place_order

    if connection.vendor != "postgresql":
        sys.exit(f"the bench measures PostgreSQL; this database is {connection.vendor}")
    call_command("migrate", verbosity=0, interactive=False)
    call_command("seed_demo", stdout=io.StringIO())
    service = (
        Service.objects.filter(active=True, type="default", link_format="instagram_post")
        .order_by("min_quantity", "pk")
        .first()
    )
    if service is None:
        sys.exit("the demo catalog has no active Default Instagram post service")
    quantity = max(service.min_quantity, 100)

    grow_catalog(service, services)

    staff = User.objects.filter(role=User.Role.STAFF).order_by("pk").first()
    limiter = lift_api_rate_limit(staff)

    big_user = None
    if scale is not None:
        from scale_data import AlreadyFilled, big_user_and_typical, fill

        try:
            big_user = User.objects.get(pk=fill(**scale).big_user_id)
        except AlreadyFilled:  # a filled --database-url: measure it again as it is
            print("bench: the database is filled already; reusing it", flush=True)
            big_user, _ = big_user_and_typical()
    accounts = []
    for n in range(1 + users):
        if n == 0 and big_user is not None:
            user = big_user
        else:
            user = create_user(f"bench-{tag}-{n}@example.com", None, role=User.Role.RESELLER)
        deposit(user, to_micros("10000000"), memo="bench balance")
        accounts.append((user, issue_api_key(user, "bench").plaintext))
    main_user = accounts[0][0]
    status_ids = tuple(
        place_order(
            main_user, service, {"link": f"{LINK_PREFIX}Seed{tag}n{i}/", "quantity": quantity}
        ).pk
        for i in range(STATUS_IDS)
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0].split()[0]
    browser = Client()
    browser.force_login(main_user)
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
    seeded = Seeded(
        keys=tuple(key for _, key in accounts),
        user_ids=tuple(user.pk for user, _ in accounts),
        service_id=service.pk,
        quantity=quantity,
        status_ids=status_ids,
        services=Service.objects.filter(active=True).count(),
        server_version=version,
        limiter=limiter,
        session_cookie=cookie,
        orders_of_main_user=Order.objects.filter(user=main_user).count(),
        last_seeded_order=max(status_ids),
    )
    connections.close_all()
    return seeded


def grow_catalog(template, total: int) -> None:
    """Add active copies of ``template`` (spread over its category) until the catalog
    lists ``total`` services: the ``services`` answer at a large panel's size."""
    from smmpanel.catalog.models import Service

    missing = total - Service.objects.filter(active=True).count()
    if missing <= 0:
        return
    fields = {
        f.attname: getattr(template, f.attname)
        for f in Service._meta.concrete_fields
        if not f.primary_key and f.attname not in ("created_at", "updated_at")
    }
    Service.objects.bulk_create(
        (
            Service(**(fields | {"name": f"{template.name} — bench copy {n}", "position": n}))
            for n in range(missing)
        ),
        batch_size=1000,
    )


def lift_api_rate_limit(actor) -> str:
    """Raise the ``api.rate`` rule's limits, as staff would for a trusted integration.

    The bench measures throughput, not the limiter's refusals; the limiter still runs
    (and writes its buckets) on every request, so its cost stays in the figures.
    """
    try:
        from smmpanel.policy import engine, rulebook
        from smmpanel.policy.services import update_rule
    except ImportError:
        return "no API rate limiter in this version"
    for spec, rule in engine.rules_for(rulebook.API_REQUEST):
        if spec.code == "api.rate":
            huge = {"key_per_minute": 10**7, "account_per_minute": 10**7, "burst": 10**6}
            update_rule(
                rule,
                actor=actor,
                reason="benchmark: measure throughput, not rate-limit refusals",
                thresholds={**(rule.thresholds or {}), **huge},
            )
            return "API rate limiter on, limits raised"
    return "API rate limiter off"


def audit(seeded: Seeded) -> tuple[int, int]:
    """Orders the bench users placed beyond the seeded ones, and ledger mismatches (0)."""
    from django.db import connections

    from smmpanel.billing.selectors import ledger_mismatches
    from smmpanel.orders.models import Order

    placed = Order.objects.filter(
        user_id__in=seeded.user_ids, pk__gt=seeded.last_seeded_order
    ).count()
    mismatches = len(ledger_mismatches())
    connections.close_all()
    return placed, mismatches


# --- the server -----------------------------------------------------------------------------


GUNICORN_CONFIG = Path(__file__).resolve().parents[1] / "deploy" / "gunicorn.conf.py"


class Gunicorn:
    """gunicorn with the production config (deploy/gunicorn.conf.py), on a free loopback
    port, with the worker and thread counts asked for and ``extra`` arguments."""

    def __init__(
        self,
        env: dict[str, str],
        workers: int,
        threads: int,
        log_path: Path,
        extra: tuple[str, ...] = ("--backlog", "2048"),
    ):
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.log_path = log_path
        self.env = env
        self.cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            str(GUNICORN_CONFIG),
            "--bind",
            f"{LOOPBACK}:{self.port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            *extra,
        ]
        self.proc: subprocess.Popen | None = None
        self.log = None

    def __enter__(self) -> Gunicorn:
        self.log = open(self.log_path, "wb")  # noqa: SIM115 - closed in __exit__
        self.proc = subprocess.Popen(
            self.cmd, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.proc.poll() is None:
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(self.url + "/health", timeout=2) as answer,
            ):
                if answer.status == 200:
                    return self
            time.sleep(0.2)
        self.__exit__()
        sys.exit("gunicorn did not start:\n" + self.log_path.read_text(errors="replace")[-3000:])

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # graceful: workers finish their requests
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.log:
            self.log.close()


# --- load generator 1: wrk, one Lua script per scenario --------------------------------------

WRK_LUA = r"""
local threads = {}
local keys = @KEYS@
local counter = 0
local responses = 0
local fixed = nil
errors = 0
first_error = ""

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local function body()
  if #keys == 0 then return nil end
  local b = "key=" .. keys[(counter + tid) % #keys + 1] .. "&" .. @BODY@
  if @UNIQUE@ then b = b .. @TAG@ .. "t" .. tid .. "n" .. counter .. "%2F" end
  return b
end

function init(args)
  if #keys <= 1 and not @UNIQUE@ then
    fixed = wrk.format(@METHOD@, @PATH@, @HEADERS@, body())
  end
end

function request()
  if fixed then return fixed end
  counter = counter + 1
  return wrk.format(@METHOD@, @PATH@, @HEADERS@, body())
end

function response(status, headers, b)
  responses = responses + 1
  if status ~= 200 or (@API@ and string.find(b, '"error"', 1, true)) then
    errors = errors + 1
    if first_error == "" then first_error = status .. " " .. string.sub(b, 1, 200) end
  end
  if responses >= @LIMIT@ then wrk.thread:stop() end
end

local function json_string(text)
  return '"' .. string.gsub(text, '[%c"\\]', function(c)
    return string.format("\\u%04x", string.byte(c))
  end) .. '"'
end

function done(summary, latency, requests)
  local errs, first = 0, ""
  for _, t in ipairs(threads) do
    errs = errs + t:get("errors")
    if first == "" then first = t:get("first_error") end
  end
  local e = summary.errors
  local sockets = e.connect + e.read + e.write + e.timeout
  errs = errs + sockets
  if sockets > 0 then
    -- No answer to show: say which socket operation failed (wrk counts no text).
    if first ~= "" then first = first .. "; " end
    first = first .. string.format("socket errors: connect %d, read %d, write %d, timeout %d",
      e.connect, e.read, e.write, e.timeout)
  end
  io.write(string.format(
    'BENCH-RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"errors": %d, "first_error": %s}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    errs, json_string(first)))
end
"""


def lua_string(text: str) -> str:
    return json.dumps(text)  # ASCII-only here: a JSON string is then a valid Lua string


def run_wrk(
    base_url: str,
    sc: Scenario,
    seconds: float,
    connections: int,
    threads: int,
    max_requests: int,
    tag: str,
    workdir: Path,
) -> Result:
    headers = "{}"
    if sc.method == "POST":
        headers = '{["Content-Type"] = "application/x-www-form-urlencoded"}'
    elif sc.cookie:
        headers = '{["Cookie"] = ' + lua_string(sc.cookie) + "}"
    values = {
        "@KEYS@": "{" + ", ".join(lua_string(k) for k in sc.keys) + "}",
        "@UNIQUE@": "true" if sc.unique_link else "false",
        "@METHOD@": lua_string(sc.method),
        "@PATH@": lua_string(sc.path),
        "@HEADERS@": headers,
        "@BODY@": lua_string(sc.body),
        "@TAG@": lua_string(tag),
        "@LIMIT@": str(max(1, max_requests // threads)),
        "@API@": "true" if sc.path.startswith("/api/") else "false",
    }
    script = WRK_LUA
    for placeholder, value in values.items():
        script = script.replace(placeholder, value)
    lua = workdir / "scenario.lua"
    lua.write_text(script)
    cmd = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(lua),
        base_url + sc.path,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH-RESULT ")), None)
    if out.returncode != 0 or line is None:
        sys.exit(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    data = json.loads(line.removeprefix("BENCH-RESULT "))
    return Result(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=data["errors"],
        first_error=data["first_error"],
    )


# --- load generator 2: Python (httpx, keep-alive; processes x threads) ----------------------


def _client_process(
    base_url: str,
    sc: Scenario,
    seconds: float,
    threads: int,
    max_requests: int,
    tag: str,
    proc: int,
    queue,
) -> None:
    import httpx

    latencies: list[float] = []
    totals = {"errors": 0, "first_error": ""}
    lock = threading.Lock()
    start_at = time.monotonic() + 0.5  # every thread connected before the clock starts
    deadline = start_at + seconds

    def worker(tid: int) -> None:
        mine: list[float] = []
        bad, first = 0, ""
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        get_headers = {"Cookie": sc.cookie} if sc.cookie else None
        api = sc.path.startswith("/api/")  # pages have no JSON "error" to look for
        with httpx.Client(base_url=base_url, timeout=10) as client:
            client.get("/health")  # open the keep-alive connection
            while time.monotonic() < start_at:
                time.sleep(0.001)
            n = 0
            while n < max_requests and time.monotonic() < deadline:
                n += 1
                body = ""
                if sc.keys:
                    body = f"key={sc.keys[(n + tid + proc) % len(sc.keys)]}&{sc.body}"
                if sc.unique_link:
                    body += f"{tag}p{proc}t{tid}n{n}%2F"
                t0 = time.perf_counter()
                if sc.method == "GET":
                    r = client.get(sc.path, headers=get_headers)
                else:
                    r = client.post(sc.path, content=body, headers=headers)
                mine.append(time.perf_counter() - t0)
                if r.status_code != 200 or (api and b'"error"' in r.content):
                    bad += 1
                    first = first or f"{r.status_code} {r.text[:200]}"
        with lock:
            latencies.extend(mine)
            totals["errors"] += bad
            totals["first_error"] = totals["first_error"] or first

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - start_at
    queue.put((latencies, totals["errors"], totals["first_error"], elapsed))


def run_python(
    base_url: str,
    sc: Scenario,
    seconds: float,
    connections: int,
    procs: int,
    max_requests: int,
    tag: str,
) -> Result:
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: no Django state
    queue = ctx.Queue()
    procs = max(1, min(procs, connections))
    per_proc = [connections // procs + (i < connections % procs) for i in range(procs)]
    cap = max(1, max_requests // connections)
    workers = [
        ctx.Process(target=_client_process, args=(base_url, sc, seconds, n, cap, tag, i, queue))
        for i, n in enumerate(per_proc)
    ]
    for w in workers:
        w.start()
    gathered = [queue.get(timeout=seconds + 120) for _ in workers]
    for w in workers:
        w.join(30)
    latencies = sorted(x for lat, *_ in gathered for x in lat)
    if len(latencies) < 2:
        sys.exit(f"{sc.name}: the Python client completed fewer than 2 requests")
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return Result(
        requests=len(latencies),
        seconds=max(g[3] for g in gathered),
        p50_ms=q[49] * 1000,
        p99_ms=q[98] * 1000,
        errors=sum(g[1] for g in gathered),
        first_error=next((g[2] for g in gathered if g[2]), ""),
    )


# --- main -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    cpus = os.cpu_count() or 2
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="a scratch PostgreSQL database (default: $BENCH_DATABASE_URL; "
        "without either, a throwaway cluster is started)",
    )
    p.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL"),
        help="Redis for the task queue, as in production (default: $BENCH_REDIS_URL; without "
        "either, a throwaway redis-server when installed, else Huey's SQLite storage)",
    )
    p.add_argument(
        "--sqlite-queue",
        action="store_true",
        help="use Huey's SQLite storage (the embedded default)",
    )
    p.add_argument("--seconds", type=float, default=5.0, help="per scenario (default 5)")
    p.add_argument("--warmup", type=float, default=1.0, help="seconds before each (default 1)")
    p.add_argument(
        "--max-requests",
        type=int,
        default=500_000,
        help="cap on requests per scenario (default 500000)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=2 * cpus + 1,
        help=f"gunicorn worker processes (default 2 x CPUs + 1: {2 * cpus + 1})",
    )
    p.add_argument("--threads", type=int, default=1, help="threads per worker (default 1)")
    p.add_argument(
        "--connections", type=int, default=16, help="concurrent keep-alive connections (default 16)"
    )
    p.add_argument(
        "--services",
        type=int,
        default=5000,
        help="active services the catalog is grown to before the run (default 5000)",
    )
    p.add_argument(
        "--scale",
        action="store_true",
        help="first fill the database with bench/scale_data.py (10M orders, 50k users; "
        "see --scale-orders) and make its 100,000-order user the main bench user",
    )
    p.add_argument("--scale-orders", type=int, default=10_000_000, help="with --scale")
    p.add_argument("--scale-users", type=int, default=50_000, help="with --scale")
    p.add_argument("--big-user-orders", type=int, default=100_000, help="with --scale")
    p.add_argument(
        "--users",
        type=int,
        default=16,
        help="accounts of the many-users add scenario (default 16; 0 skips it)",
    )
    p.add_argument(
        "--client",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="load generator (default: wrk when installed, else python)",
    )
    p.add_argument("--client-procs", type=int, default=2, help="python client processes")
    p.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run only scenarios whose name starts with NAME (repeatable; /health always runs)",
    )
    args = p.parse_args(argv)
    if not 0 < args.seconds <= 600:
        p.error("--seconds must be in (0, 600]")
    if not 0 <= args.warmup <= 60:
        p.error("--warmup must be in [0, 60]")
    if args.connections < 1 or args.workers < 1 or args.threads < 1 or args.users < 0:
        p.error("--connections, --workers and --threads must be >= 1, --users >= 0")
    if args.client == "auto":
        args.client = "wrk" if shutil.which("wrk") else "python"
    elif args.client == "wrk" and not shutil.which("wrk"):
        p.error("wrk is not installed (Debian: apt-get install wrk)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tag = uuid.uuid4().hex[:10]
    workdir = Path(tempfile.mkdtemp(prefix="smm-bench-"))
    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, workdir, ignore_errors=True)
        if args.database_url:
            database_url, db_note = args.database_url, "PostgreSQL at --database-url"
        else:
            pg = ThrowawayPostgres()
            database_url = stack.enter_context(pg)
            db_note = pg.describe()
        if args.sqlite_queue:
            redis_url, queue_note = "", "Huey on SQLite (--sqlite-queue)"
        elif args.redis_url:
            redis_url, queue_note = args.redis_url, "Huey on Redis at --redis-url"
        elif shutil.which("redis-server"):
            redis_url = stack.enter_context(ThrowawayRedis())
            queue_note = "Huey on a throwaway Redis"
        else:
            redis_url, queue_note = "", "Huey on SQLite (no redis-server installed)"
        env = dict(os.environ)
        env |= {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "DATA_DIR": str(workdir / "data"),
            "DJANGO_SETTINGS_MODULE": "smmpanel.settings",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
        os.environ.update(env)  # the in-process set-up uses the server's settings

        print(f"bench: migrating and seeding ({db_note}) ...", flush=True)
        scale = None
        if args.scale:
            scale = {
                "orders": args.scale_orders,
                "users": args.scale_users,
                "big_user_orders": args.big_user_orders,
            }
        seeded = seed(tag, args.users, args.services, scale)
        server = stack.enter_context(
            Gunicorn(env, args.workers, args.threads, workdir / "gunicorn.log")
        )
        plan = scenarios(seeded)
        if args.only:
            plan = [s for s in plan if s.name.startswith(("/health", *args.only))]

        def run(sc: Scenario, seconds: float, run_tag: str) -> Result:
            if args.client == "wrk":
                wrk_threads = min(2, args.connections)
                return run_wrk(
                    server.url,
                    sc,
                    seconds,
                    args.connections,
                    wrk_threads,
                    args.max_requests,
                    run_tag,
                    workdir,
                )
            return run_python(
                server.url,
                sc,
                seconds,
                args.connections,
                args.client_procs,
                args.max_requests,
                run_tag,
            )

        print(
            f"bench: gunicorn {args.workers} workers x {args.threads} thread(s) on {server.url};"
            f" PostgreSQL {seeded.server_version}; {queue_note}; {seeded.limiter}\n"
            f"bench: client {args.client}, {args.connections} keep-alive connections, "
            f"{args.seconds:g} s per scenario after {args.warmup:g} s warm-up; "
            f"{os.cpu_count()} CPUs shared by server, database and client",
            flush=True,
        )
        results: list[tuple[Scenario, Result]] = []
        for i, sc in enumerate(plan):
            if args.warmup > 0:
                run(sc, args.warmup, f"{tag}w{i}")
            result = run(sc, args.seconds, f"{tag}s{i}")
            results.append((sc, result))
            print(f"bench: {sc.name}: {result.rps:,.0f} req/s", flush=True)

        placed, mismatches = audit(seeded)
        # What the server logged (warnings and errors only), while its log still exists.
        server_log = server.log_path.read_text(errors="replace")

    ceiling = results[0][1].rps if results else 0
    row = "{:<20} {:>9} {:>8} {:>8} {:>7} {:>11}"
    print()
    print(row.format("scenario", "req/s", "p50 ms", "p99 ms", "errors", "vs /health"))
    for sc, r in results:
        ratio = f"{r.rps / ceiling:.1%}" if ceiling else "-"
        cells = (f"{r.rps:,.0f}", f"{r.p50_ms:.1f}", f"{r.p99_ms:.1f}", r.errors, ratio)
        print(row.format(sc.name, *cells))
    print(
        f"\n`services` lists {seeded.services} services; the main bench user has "
        f"{seeded.orders_of_main_user:,} orders (orders page, status); orders placed by "
        f"`add` (warm-ups included): {placed}; ledger mismatches after the run: {mismatches}"
    )
    failed = [(sc, r) for sc, r in results if r.errors]
    for sc, r in failed:
        print(f"error sample ({sc.name}): {r.first_error}", file=sys.stderr)
    if failed and server_log.strip():
        print(f"gunicorn's log (last 3,000 characters):\n{server_log[-3000:]}", file=sys.stderr)
    return 1 if failed or mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
