"""Rate limits shared by every process: GCRA (a token bucket in one number) per key,
kept in a database row and changed only by one conditional UPDATE."""

import time

from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest

from smmpanel.policy.models import RateBucket


def take(key: str, per_minute: int, burst: int, now: float | None = None) -> float:
    """Spend one request from bucket ``key``; 0 when allowed, else seconds to wait.

    ``per_minute`` is the sustained rate, ``burst`` how many may come at once. A zero
    rate never allows anything (returns a minute). The allowed case is a single
    UPDATE: it succeeds only while the bucket's theoretical arrival time is within
    the burst tolerance, and moves it one interval on, atomically.
    """
    if per_minute <= 0:
        return 60.0
    now = time.time() if now is None else now
    interval = 60.0 / per_minute
    tolerance = interval * max(burst - 1, 0)
    for _ in range(3):
        allowed = RateBucket.objects.filter(key=key, tat__lte=now + tolerance).update(
            tat=Greatest(F("tat"), Value(now)) + interval
        )
        if allowed:
            return 0.0
        stored = RateBucket.objects.filter(key=key).values_list("tat", flat=True).first()
        if stored is not None:
            return max(stored - now - tolerance, 0.001)
        try:
            with transaction.atomic():
                RateBucket.objects.create(key=key, tat=now + interval)
            return 0.0
        except IntegrityError:
            continue  # another process created it first: try the UPDATE again
    return 0.0


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
