"""EXPLAIN (ANALYZE, BUFFERS) of the panel's hot queries against a filled database.

    .venv/bin/python bench/explain_hot_queries.py --database-url postgres://…/filled
    .venv/bin/python bench/explain_hot_queries.py --summary-only --markdown notes.md

The SQL is not written here: each scenario calls the product's own selector or service
(``orders.selectors.orders_page``, ``billing.selectors.ledger_page``,
``orders.services.quote_order`` — the read path of ``place_order`` with its policy facts
and the one-active-order check —, ``policy.decision_points.check_api_request``,
``fulfilment.status_sync.sync_provider``…) under Django's ``CaptureQueriesContext``, then
runs ``EXPLAIN (ANALYZE, BUFFERS)`` on every statement it issued. The scenario runs once
before, to warm caches; each statement is explained three times and the fastest kept
(the machine may be shared); all of it in one transaction, rolled back after: rate-limit
buckets, key sightings and anything else a scenario writes leave no trace (a scenario
that would call a provider is stopped right after its reads). Customer scenarios run as
the big user (``scale-big@…``, 100,000 orders) and as the typical user (median rank) of
``bench/scale_data.py``; the worker's and staff's once. The summary flags a plan that
scans a big table sequentially, sorts or filters out many rows: the queries that do not
stay flat as the data grows.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

BIG_TABLES = (
    "orders_order",
    "billing_ledgerentry",
    "providers_submission",
    "policy_decision",
    "orders_orderevent",
    "billing_depositrequest",
)
RUNS = 3  # EXPLAIN ANALYZE runs per statement; the fastest is kept
SORT_ROWS_FLAG = 1000  # a sort of more rows than this on a hot path is flagged
EXECUTION_TIME = re.compile(r"Execution Time: ([\d.]+) ms")


class Stop(Exception):
    """Raised in place of a provider call: the scenario's reads are done."""


@dataclass
class Plan:
    scenario: str
    who: str
    sql: str
    text: str
    ms: float
    shape: str
    flags: list[str] = field(default_factory=list)


@dataclass
class Scenario:
    name: str
    run: Callable[[], object]
    who: str = ""


def _shape(text: str) -> tuple[str, list[str]]:
    """A one-line plan shape (node types with their index) and the worrying parts."""
    nodes, flags = [], []
    for line in text.splitlines():
        if "(actual" not in line and "(cost=" not in line and "(never executed)" not in line:
            continue  # not a plan node (Sort Key, Buffers, Filter… lines)
        body = line.strip().removeprefix("->").strip()
        match = re.match(
            r"((?:Parallel )?(?:Seq Scan|Index Only Scan|Index Scan(?: Backward)?|"
            r"Bitmap Heap Scan|Bitmap Index Scan|Sort|Incremental Sort|Limit|Nested Loop|"
            r"Hash Join|Merge Join|Hash|Aggregate|HashAggregate|GroupAggregate|Gather|"
            r"Update|Insert|Delete|LockRows|Unique|Append|Materialize|Memoize|"
            r"Result|SetOp|WindowAgg|Subquery Scan|CTE Scan|Function Scan|Values Scan))"
            r"(?: using (\S+))?(?: on (\S+))?",
            body,
        )
        if not match:
            continue
        node, index, table = match.groups()
        rows = re.search(r"actual time=[\d.]+\.\.[\d.]+ rows=(\d+) loops=(\d+)", body)
        actual = int(rows.group(1)) * int(rows.group(2)) if rows else 0
        label = (
            node + (f" {index}" if index else "") + (f" on {table}" if table and not index else "")
        )
        nodes.append(label)
        if node.endswith("Seq Scan") and table in BIG_TABLES:
            flags.append(f"seq scan on {table}")
        if node in ("Sort", "Incremental Sort") and actual > SORT_ROWS_FLAG:
            flags.append(f"sort of {actual:,} rows")
    for removed in re.finditer(r"Rows Removed by (?:Filter|Index Recheck): (\d+)", text):
        if int(removed.group(1)) > 10 * SORT_ROWS_FLAG:
            flags.append(f"{int(removed.group(1)):,} rows filtered out")
    return " > ".join(nodes), flags


def explain_all(scenarios: list[Scenario], log: Callable[[str], None]) -> list[Plan]:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    plans = []
    for sc in scenarios:
        log(f"\n=== {sc.name}{f'  [{sc.who}]' if sc.who else ''}")
        with transaction.atomic():
            with contextlib.suppress(Stop):
                sc.run()  # warm-up: caches filled, first-use rows made (rolled back below)
            with CaptureQueriesContext(connection) as captured, contextlib.suppress(Stop):
                sc.run()
            statements = [
                q["sql"]
                for q in captured.captured_queries
                if q["sql"].lstrip().upper().startswith(("SELECT", "UPDATE", "INSERT", "DELETE"))
            ]
            if not statements:
                log("  (no query)")
            for n, sql in enumerate(statements, 1):
                text = _explain(connection, sql)
                ms = _execution_ms(text, missing=float("nan"))
                shape, flags = _shape(text)
                plans.append(Plan(sc.name, sc.who, sql, text, ms, shape, flags))
                log(f"--- query {n}/{len(statements)}: {_short(sql, 400)}")
                log(text)
                if flags:
                    log(f"!!! {'; '.join(flags)}")
            transaction.set_rollback(True)
    return plans


def _explain(connection, sql: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS), the fastest of ``RUNS``, each in a savepoint rolled back
    after; a statement that cannot run again (an INSERT meeting the row the scenario made)
    gets a plain EXPLAIN."""
    from django.db import DatabaseError

    texts = []
    with connection.cursor() as cur:
        for _attempt in range(RUNS):  # the fastest of a few: a shared machine is noisy
            cur.execute("SAVEPOINT explain_one")
            try:
                cur.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                texts.append("\n".join(row[0] for row in cur.fetchall()))
            except DatabaseError as exc:
                cur.execute("ROLLBACK TO SAVEPOINT explain_one")
                cur.execute(f"EXPLAIN {sql}")
                plain = "\n".join(row[0] for row in cur.fetchall())
                return f"{plain}\n(plain EXPLAIN: {str(exc).splitlines()[0]})"
            finally:
                cur.execute("ROLLBACK TO SAVEPOINT explain_one")
    return min(texts, key=lambda text: _execution_ms(text, missing=0.0))  # first of equals


def _execution_ms(text: str, *, missing: float) -> float:
    """The ``Execution Time`` of an EXPLAIN ANALYZE output (``missing`` when absent)."""
    found = EXECUTION_TIME.search(text)
    return float(found.group(1)) if found else missing


def _short(sql: str, limit: int) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# --- the scenarios ------------------------------------------------------------------------


def customer_scenarios(user, label: str):
    """What one customer's requests run, from the product's own code; and the API key
    made for them (revoke it after)."""
    from smmpanel.accounts.selectors import api_key_for
    from smmpanel.accounts.services import issue_api_key
    from smmpanel.api import actions
    from smmpanel.billing import selectors as billing
    from smmpanel.catalog.models import Service
    from smmpanel.orders import selectors as orders
    from smmpanel.orders.models import Order
    from smmpanel.orders.services import quote_order
    from smmpanel.policy.auth import PolicyAuthBackend
    from smmpanel.policy.decision_points import check_api_request
    from smmpanel.policy.selectors import notices_for
    from smmpanel.web.context import site

    mine = Order.objects.filter(user=user)
    newest = list(mine.order_by("-id").values_list("id", flat=True)[:100])
    count = mine.count()
    every = max(1, count // 100)
    spread = list(mine.order_by("id").values_list("id", flat=True)[::every][:100])
    middle = spread[len(spread) // 2] if spread else 1
    entry = _middle_entry(user)
    # A link the user ordered more than once on a Default service: the duplicate check
    # then meets a (user, service, link_key) with history.
    repeat = (
        mine.filter(service__type="default")
        .values("service_id", "link_key", "link", "quantity")
        .order_by("-id")[:2000]
    )
    seen: dict[tuple, dict] = {}
    target = None
    for row in repeat:
        key = (row["service_id"], row["link_key"])
        if key in seen:
            target = row
            break
        seen[key] = row
    target = target or next(iter(seen.values()), None)
    old_link = mine.order_by("id").values_list("link", flat=True).first() or ""
    fragment = _fragment(old_link)
    # A throwaway API key (its creation is rolled back with the scenario's transaction
    # only inside it, so make it outside and revoke it at the end of the run).
    plaintext = issue_api_key(user, "explain").plaintext
    api_key = api_key_for(plaintext)

    request = SimpleNamespace(user=user)  # ``site()`` reads only ``request.user``

    def place_order_reads():
        service = Service.objects.get(pk=target["service_id"])
        return quote_order(user, service, {"link": target["link"], "quantity": target["quantity"]})

    def page(name: str, **filters) -> Scenario:
        """The orders page (``orders_page``) with ``filters``."""
        return Scenario(name, lambda: orders.orders_page(user, **filters), label)

    return [
        Scenario("API auth: api_key_for (key lookup)", lambda: api_key_for(plaintext), label),
        Scenario(
            "API gate: policy.decision_points.check_api_request (limits, rate bucket)",
            lambda: check_api_request(api_key, "203.0.113.7"),
            label,
        ),
        Scenario(
            "API status, 100 newest ids: orders.selectors.orders_by_id",
            lambda: actions.status(user, {"orders": ",".join(map(str, newest))}),
            label,
        ),
        Scenario(
            "API status, 100 ids across the year: orders_by_id",
            lambda: actions.status(user, {"orders": ",".join(map(str, spread))}),
            label,
        ),
        Scenario(
            "API balance: billing.selectors.balance_of", lambda: actions.balance(user, {}), label
        ),
        Scenario(
            "API add read path: orders.services.quote_order (policy facts, duplicate check)",
            place_order_reads if target else lambda: None,
            label,
        ),
        Scenario(
            "web session user: PolicyAuthBackend.get_user",
            lambda: PolicyAuthBackend().get_user(user.pk),
            label,
        ),
        Scenario(
            "web every page: policy.selectors.notices_for (context)",
            lambda: (notices_for(user), site(request)),
            label,
        ),
        Scenario(
            "web home: recent_orders(20) + balance",
            lambda: (orders.recent_orders(user, 20), billing.balance_of(user)),
            label,
        ),
        page("orders page 1: orders_page"),
        page("orders page, older (keyset before=middle id)", before=middle),
        page("orders page, status Completed", status="completed"),
        page("orders page, status In progress (in_progress + processing)", status="in_progress"),
        page("orders page, status Canceled", status="canceled"),
        page("orders page, search by id", search=str(middle)),
        page(f"orders page, search link text {fragment!r} (one old order)", search=fragment),
        page("orders page, search link text 'tiktok' (many matches)", search="tiktok"),
        page("orders page, search link text that matches nothing", search="no-such-link-zz"),
        Scenario(
            "orders live refresh: live_rows(100 newest ids)",
            lambda: orders.live_rows(user, map(str, newest)),
            label,
        ),
        Scenario(
            "order detail: order_for + order_timeline",
            lambda: orders.order_timeline(orders.order_for(user, newest[0])),
            label,
        ),
        Scenario("refills page: refills_page", lambda: orders.refills_page(user), label),
        Scenario(
            "funds page: balance, deposits_of, ledger_page(10)",
            lambda: (
                billing.balance_of(user),
                billing.deposits_of(user),
                billing.ledger_page(user, size=10),
            ),
            label,
        ),
        Scenario("transactions page 1: ledger_page", lambda: billing.ledger_page(user), label),
        Scenario(
            "transactions page, older (keyset)",
            lambda: billing.ledger_page(user, before=entry),
            label,
        ),
        Scenario(
            "staff user card: orders.selectors.order_summary",
            lambda: orders.order_summary(user),
            label,
        ),
    ], api_key


def _fragment(link: str) -> str:
    """Eight characters of a link's path with a letter in them (digits alone would be
    taken for an order id by the search)."""
    path = link.split("://", 1)[-1].split("/", 1)[-1]
    for word in re.findall(r"[0-9a-z]{8,}", path):
        for piece in (word[:8], word[-8:]):
            if re.search("[a-z]", piece) and piece not in ("instagram", "status"):
                return piece
    return "instagram"


def _middle_entry(user) -> int:
    from smmpanel.billing.models import LedgerEntry

    ids = LedgerEntry.objects.filter(user=user).order_by("id").values_list("id", flat=True)
    n = ids.count()
    return ids[n // 2] if n else 1


def worker_scenarios() -> list[Scenario]:
    """The background sweep's picks (no provider is called)."""
    from unittest import mock

    from smmpanel.fulfilment import customer_requests, forwarding, status_sync
    from smmpanel.providers.models import Provider, Submission, SubmissionState

    holder = (
        Submission.objects.filter(state=SubmissionState.ACTIVE)
        .values_list("provider_id", flat=True)
        .first()
    )
    provider = Provider.objects.filter(pk=holder).first() or Provider.objects.first()

    def sync_pick():
        with mock.patch.object(status_sync, "client_for", side_effect=Stop):
            status_sync.sync_provider(provider)

    def cancels_pick():
        with mock.patch.object(customer_requests, "client_for", side_effect=Stop):
            customer_requests.forward_cancels()

    def refills_pick():
        with mock.patch.object(customer_requests, "client_for", side_effect=Stop):
            customer_requests.due_refills()
            customer_requests.sync_refills()

    return [
        Scenario("status sync: due active submissions (sync_provider, up to 10,000)", sync_pick),
        Scenario(
            "forwarding: due queued submissions (due_submissions)", forwarding.due_submissions
        ),
        Scenario("forwarding: release_stale_claims", forwarding.release_stale_claims),
        Scenario("cancels: forward_cancels pick", cancels_pick),
        Scenario("refills: due_refills + sync_refills picks", refills_pick),
    ]


def staff_scenarios(big) -> list[Scenario]:
    from smmpanel.billing.selectors import pending_deposits
    from smmpanel.policy.selectors import moderation_queue
    from smmpanel.staff.selectors.orders import StaffOrderFilter, staff_orders_page

    return [
        Scenario("staff moderation queue: moderation_queue", moderation_queue),
        Scenario("staff deposits queue: pending_deposits", pending_deposits),
        Scenario("staff orders page 1 (no filter)", lambda: staff_orders_page(StaffOrderFilter())),
        Scenario(
            "staff orders, one user", lambda: staff_orders_page(StaffOrderFilter(user_id=big.pk))
        ),
        Scenario(
            "staff orders, status Fail", lambda: staff_orders_page(StaffOrderFilter(status="fail"))
        ),
        Scenario(
            "staff orders, link search 'no-such-link-zz'",
            lambda: staff_orders_page(StaffOrderFilter(link="no-such-link-zz")),
        ),
    ]


def summary(plans: list[Plan]) -> list[str]:
    lines = [
        "| scenario | user | statement | plan | ms | flags |",
        "| --- | --- | --- | --- | ---: | --- |",
    ]
    for p in plans:
        lines.append(
            f"| {p.scenario} | {p.who or '-'} | `{_short(p.sql, 90)}` | {_short(p.shape, 160)} "
            f"| {p.ms:.2f} | {'; '.join(p.flags) or ''} |"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--summary-only", action="store_true", help="print only the table")
    parser.add_argument("--markdown", help="also write the summary and plans to this file")
    parser.add_argument("--no-staff", action="store_true", help="skip the staff pages")
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("pass --database-url postgres://… (a database filled by bench/scale_data.py)")
    sys.path.insert(0, str(Path(__file__).resolve().parent))  # scale, scale_data
    from scale.cli import setup_django

    setup_django(args.database_url, data_prefix="smm-explain-")
    from django.db import connection
    from scale_data import big_user_and_typical

    from smmpanel.accounts.services import revoke_api_key
    from smmpanel.orders.models import Order

    big, typical = big_user_and_typical()
    log = (lambda _line: None) if args.summary_only else print
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        version = cur.fetchone()[0]
        cur.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = 'orders_order'")
        total = cur.fetchone()[0]
    who_big = f"big #{big.pk}, {Order.objects.filter(user=big).count():,} orders"
    who_typical = f"typical #{typical.pk}, {Order.objects.filter(user=typical).count():,} orders"
    print(f"PostgreSQL {version}; ~{total:,} orders in the table; {who_big}; {who_typical}")
    scenarios, keys = [], []
    for user, who in ((big, who_big), (typical, who_typical)):
        found, key = customer_scenarios(user, who)
        scenarios += found
        keys.append(key)
    scenarios += worker_scenarios()
    if not args.no_staff:
        scenarios += staff_scenarios(big)
    try:
        plans = explain_all(scenarios, log)
    finally:
        for key in keys:
            revoke_api_key(key)
    table = summary(plans)
    print("\n" + "\n".join(table))
    flagged = [p for p in plans if p.flags]
    print(f"\n{len(plans)} statements, {len(flagged)} flagged")
    if args.markdown:
        body = [f"PostgreSQL {version}; ~{total:,} orders; {who_big}; {who_typical}", "", *table]
        for p in plans:
            body += [
                "",
                f"### {p.scenario} ({p.who or 'worker/staff'})",
                "",
                "```sql",
                _short(p.sql, 2000),
                "```",
                "",
                "```",
                p.text,
                "```",
            ]
        Path(args.markdown).write_text("\n".join(body) + "\n")


if __name__ == "__main__":
    main()
