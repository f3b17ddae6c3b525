"""Rate limits shared by every process: GCRA (a token bucket in one number) per key,
kept in a database row and changed by conditional UPDATEs.

On PostgreSQL the bucket table is UNLOGGED (migration 0003): bucket writes skip the
write-ahead log, and a database crash resets every bucket to full, which only forgives.
"""

import time
from collections.abc import Sequence
from functools import lru_cache

from django.db import IntegrityError, connection, transaction

from smmpanel.policy.models import RateBucket

Limit = tuple[str, int, int]  # bucket key, sustained rate per minute, burst


def take(key: str, per_minute: int, burst: int, now: float | None = None) -> float:
    """Spend one request from bucket ``key``; 0 when allowed, else seconds to wait.

    ``per_minute`` is the sustained rate, ``burst`` how many may come at once. A zero
    rate never allows anything (returns a minute).
    """
    return take_all([(key, per_minute, burst)], now)


def take_all(limits: Sequence[Limit], now: float | None = None) -> float:
    """Spend one request from every bucket of ``limits`` when all of them have room;
    0 when allowed, else the longest wait (and nothing is spent).

    The common case is one UPDATE for all the buckets: each moves one interval on, and
    only while no bucket of the request is past its burst tolerance, atomically.
    """
    if any(per_minute <= 0 for _, per_minute, _ in limits):
        return 60.0
    now = time.time() if now is None else now
    interval = {key: 60.0 / per_minute for key, per_minute, _ in limits}
    limit = {key: now + interval[key] * max(burst - 1, 0) for key, _, burst in limits}
    for _ in range(3):
        spent = _spend(interval, limit, now)
        if spent == len(interval):
            return 0.0
        stored = dict(RateBucket.objects.filter(key__in=interval).values_list("key", "tat"))
        # The guard spends all or none of the stored buckets, so some were spent only
        # when the others are new; when none was, a stored one past its limit is full.
        waits = [stored[k] - limit[k] for k in stored if stored[k] > limit[k]]
        if waits and not spent:
            return max(max(waits), 0.001)
        missing = [key for key in interval if key not in stored]
        if missing and _create(missing, interval, now):
            return 0.0  # the buckets that existed were spent by the UPDATE above
    return 0.0


def _spend(interval: dict[str, float], limit: dict[str, float], now: float) -> int:
    """The one UPDATE of every request: buckets with room move one interval on, unless
    any bucket of the request is full. Returns how many moved."""
    keys = list(interval)
    params: list[object] = [now]
    for key in keys:
        params += [key, interval[key]]
    for key in keys:
        params += [key, limit[key]]
    for key in keys:
        params += [key, limit[key]]
    with connection.cursor() as cursor:
        cursor.execute(_spend_sql(connection.vendor, len(keys)), params)
        return cursor.rowcount


@lru_cache(maxsize=8)
def _spend_sql(vendor: str, buckets: int) -> str:
    """The statement for ``buckets`` buckets, written once. It is SQL by hand because it
    runs on every API request: the ORM spelling (Q, Case, Exists, Greatest) cost more
    CPU to build each time than the database took to run it."""
    q = connection.ops.quote_name
    table, key, tat = q(RateBucket._meta.db_table), q("key"), q("tat")
    greatest = "GREATEST" if vendor == "postgresql" else "MAX"
    step = " ".join(f"WHEN {key} = %s THEN %s" for _ in range(buckets))
    room = " OR ".join(f"({key} = %s AND {tat} <= %s)" for _ in range(buckets))
    full = " OR ".join(f"(f.{key} = %s AND f.{tat} > %s)" for _ in range(buckets))
    return (
        f"UPDATE {table} SET {tat} = {greatest}({tat}, %s) + CASE {step} END "
        f"WHERE ({room}) AND NOT EXISTS (SELECT 1 FROM {table} f WHERE {full})"
    )


def _create(keys: list[str], interval: dict[str, float], now: float) -> bool:
    """Create first-seen buckets already holding this request; False when another
    process created one first (the caller then tries again)."""
    try:
        with transaction.atomic():
            RateBucket.objects.bulk_create(RateBucket(key=k, tat=now + interval[k]) for k in keys)
        return True
    except IntegrityError:
        return False


def waiting(key: str, per_minute: int, burst: int, now: float | None = None) -> float:
    """Seconds until bucket ``key`` would allow a request; 0 when it would now. Spends
    nothing: for checking a bucket that only some requests fill (see ``take``)."""
    if per_minute <= 0:
        return 60.0
    stored = RateBucket.objects.filter(key=key).values_list("tat", flat=True).first()
    if stored is None:
        return 0.0
    now = time.time() if now is None else now
    tolerance = 60.0 / per_minute * max(burst - 1, 0)
    wait = stored - now - tolerance
    return wait if wait > 0 else 0.0
