"""Rate limits shared by every process: GCRA (a token bucket in one number) per key,
kept in a database row and changed by conditional UPDATEs.

On PostgreSQL the bucket table is UNLOGGED (migration 0003): bucket writes skip the
write-ahead log, and a database crash resets every bucket to full, which only forgives.
"""

import time
from collections.abc import Sequence
from functools import reduce
from operator import or_

from django.db import IntegrityError, transaction
from django.db.models import Case, Exists, F, FloatField, Q, Value, When
from django.db.models.functions import Greatest

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
    room = reduce(or_, (Q(key=key, tat__lte=limit[key]) for key in interval))
    full = reduce(or_, (Q(key=key, tat__gt=limit[key]) for key in interval))
    step = Case(
        *(When(key=key, then=Value(interval[key])) for key in interval), output_field=FloatField()
    )
    for _ in range(3):
        spent = (
            RateBucket.objects.filter(room)
            .exclude(Exists(RateBucket.objects.filter(full)))
            .update(tat=Greatest(F("tat"), Value(now)) + step)
        )
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
