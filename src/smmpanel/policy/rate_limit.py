"""Rate limits shared by every process: GCRA (a token bucket in one number) per key,
kept in a database row and changed only by conditional UPDATEs."""

import time

from django.db import IntegrityError, transaction

from smmpanel.policy.models import RateBucket


def take(key: str, per_minute: int, burst: int, now: float | None = None) -> float:
    """Spend one request from bucket ``key``; 0 when allowed, else seconds to wait.

    ``per_minute`` is the sustained rate, ``burst`` how many may come at once. A zero
    rate never allows anything (returns a minute).
    """
    if per_minute <= 0:
        return 60.0
    now = time.time() if now is None else now
    interval = 60.0 / per_minute
    tolerance = interval * max(burst - 1, 0)
    for _ in range(8):  # lost races only; each retry re-reads the bucket
        stored = RateBucket.objects.filter(key=key).values_list("tat", flat=True).first()
        if stored is None:
            try:
                with transaction.atomic():
                    RateBucket.objects.create(key=key, tat=now + interval)
                return 0.0
            except IntegrityError:
                continue
        tat = max(stored, now)
        if tat - now > tolerance:
            return tat - now - tolerance
        if RateBucket.objects.filter(key=key, tat=stored).update(tat=tat + interval) == 1:
            return 0.0
    return 0.0  # heavy contention on one key: let it through rather than fail the request
