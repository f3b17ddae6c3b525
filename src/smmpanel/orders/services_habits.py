"""Writes for a customer's ordering habits: favourite services, and the per-service
average completion time the worker works out from the panel's own orders."""

from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from smmpanel.catalog.models import Service
from smmpanel.orders.models import FavouriteService, Order, OrderStatus, ServiceAverageTime


def set_favourite(user, service: Service, favourite: bool) -> bool:
    """Star (``favourite``) or unstar ``service`` for ``user``; returns the new state.
    Idempotent: starring twice keeps one row, unstarring a plain service does nothing."""
    if not favourite:
        FavouriteService.objects.filter(user=user, service=service).delete()
        return False
    try:
        with transaction.atomic():
            FavouriteService.objects.get_or_create(user=user, service=service)
    except IntegrityError:  # a concurrent star of the same service: it is starred
        pass
    return True


def compute_average_times(now: datetime | None = None) -> int:
    """Recompute every service's average completion time from its orders completed in
    the last ``AVERAGE_TIME_DAYS`` days: placing to completion, single-run orders only
    (a drip-feed's time is its interval's, not the service's). Services with no such
    order lose their row. Returns the number of services with a figure.

    Streams (service, placed, finished) triples: one pass over the window's orders,
    however many services there are.
    """
    now = now or timezone.now()
    since = now - timedelta(days=settings.AVERAGE_TIME_DAYS)
    totals: dict[int, list[float]] = defaultdict(lambda: [0, 0.0])
    finished = (
        Order.objects.filter(
            status=OrderStatus.COMPLETED, finished_at__gte=since, runs__isnull=True
        )
        .order_by()
        .values_list("service_id", "created_at", "finished_at")
    )
    for service_id, created_at, finished_at in finished.iterator(chunk_size=2000):
        seconds = max((finished_at - created_at).total_seconds(), 0.0)
        entry = totals[service_id]
        entry[0] += 1
        entry[1] += seconds
    with transaction.atomic():
        ServiceAverageTime.objects.exclude(service_id__in=list(totals)).delete()
        for service_id, (count, seconds) in totals.items():
            ServiceAverageTime.objects.update_or_create(
                service_id=service_id,
                defaults={
                    "orders": count,
                    "average_seconds": round(seconds / count),
                    "computed_at": now,
                },
            )
    return len(totals)
