"""Commits measured side by side: rounds that alternate between their checkouts, so a
busy hour of the machine falls on all of them alike.

    .venv/bin/python bench/alternate.py --cost --rounds 3 HEAD~1 HEAD
    .venv/bin/python bench/alternate.py --throughput --rounds 3 --seconds 5 main HEAD

Each commit is checked out in a temporary git worktree. ``--cost`` measures each with
``bench/request_cost.py`` (CPU and SQL statements per API request, in-process; this
tree's script, the checkout's code); ``--throughput`` runs each checkout's own
``bench/api_throughput.py`` (requests/s through gunicorn). Every round measures every
commit once, in an order that rotates from round to round; the table gives each
figure's median and its spread (lowest-highest) over the rounds, and each later
commit's median against the first commit's.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from request_cost import ACTIONS, ROOT, run_here, worktree  # noqa: E402 - bench is no package

BENCH_LINE = re.compile(r"^bench: (.+): ([\d,]+) req/s$")


def throughput(checkout: Path, seconds: float) -> dict[str, float]:
    """requests/s per scenario of one ``api_throughput.py`` run of ``checkout``."""
    env = dict(os.environ) | {"PYTHONPATH": str(checkout / "src")}
    cmd = [sys.executable, str(checkout / "bench" / "api_throughput.py"), "--seconds", str(seconds)]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800)
    figures = {}
    for line in out.stdout.splitlines():
        if match := BENCH_LINE.match(line.strip()):
            figures[match[1]] = float(match[2].replace(",", ""))
    if out.returncode != 0 or not figures:
        # A scenario that failed (on a busy machine, a client that timed out) leaves the
        # round without its figure for this commit (and the scenarios after it); the
        # table says how many rounds gave each.
        print(f"alternate: {checkout.name} failed:\n{out.stdout[-1500:]}", flush=True)
    return figures


def summary(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def report(title: str, refs: list[str], runs: dict[str, list[dict[str, float]]], unit: str):
    names = list(dict.fromkeys(name for ref in refs for run in runs[ref] for name in run))
    print(f"\n{title} (median, lowest-highest, rounds that gave a figure):")
    print("| " + " | ".join(["figure", *refs]) + " |")
    print("| --- |" + " ---: |" * len(refs))
    for name in names:
        values = {ref: [run[name] for run in runs[ref] if name in run] for ref in refs}
        first = statistics.median(values[refs[0]]) if values[refs[0]] else 0
        cells = []
        for ref in refs:
            if not values[ref]:
                cells.append("-")
                continue
            median, low, high = summary(values[ref])
            ratio = f" ({median / first:.0%})" if ref != refs[0] and first else ""
            cells.append(
                f"{median:,.2f} {unit} [{low:,.2f}-{high:,.2f}] n={len(values[ref])}{ratio}"
            )
        print(f"| {name} | " + " | ".join(cells) + " |")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("refs", nargs="+", help="commits, the first being the reference")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--cost", action="store_true", help="CPU per request (request_cost.py)")
    p.add_argument("--requests", type=int, default=100, help="with --cost, per action and round")
    p.add_argument("--throughput", action="store_true", help="requests/s (api_throughput.py)")
    p.add_argument("--seconds", type=float, default=5.0, help="with --throughput, per scenario")
    args = p.parse_args(argv)
    if not (args.cost or args.throughput):
        p.error("ask for --cost, --throughput or both")
    args.database_url = os.environ.get("BENCH_DATABASE_URL", "")
    cpu: dict[str, list[dict[str, float]]] = {ref: [] for ref in args.refs}
    queries: dict[str, list[dict[str, float]]] = {ref: [] for ref in args.refs}
    rps: dict[str, list[dict[str, float]]] = {ref: [] for ref in args.refs}
    with contextlib.ExitStack() as stack:
        checkouts = {ref: worktree(ref, stack).parent for ref in args.refs}
        for round_no in range(args.rounds):
            shift = round_no % len(args.refs)
            for ref in args.refs[shift:] + args.refs[:shift]:
                print(f"alternate: round {round_no + 1}, {ref} ...", flush=True)
                if args.cost:
                    figures = run_here(args, checkouts[ref] / "src")
                    cpu[ref].append(
                        {a: figures[a]["python_ms"] + figures[a]["postgres_ms"] for a in ACTIONS}
                    )
                    queries[ref].append({a: figures[a]["queries"] for a in ACTIONS})
                if args.throughput:
                    rps[ref].append(throughput(checkouts[ref], args.seconds))
    if args.cost:
        report("CPU per request, web process + PostgreSQL backend", args.refs, cpu, "ms")
        report("SQL statements per request", args.refs, queries, "")
    if args.throughput:
        report("requests/s through gunicorn", args.refs, rps, "/s")
    print(f"\n(reference: {args.refs[0]}; machine: {os.cpu_count()} CPUs, {ROOT})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
