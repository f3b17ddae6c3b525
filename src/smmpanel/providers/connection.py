"""How the panel reaches a provider: a configured client with a shared circuit breaker.

The breaker's state lives on the provider row, so every worker process on every
machine sees the same open circuit and one bad provider cannot slow the others. A
provider that answers, but slowly, is bounded in the process instead: each call by a
total deadline (``PROVIDER_TOTAL_TIMEOUT``) and each provider by how many threads may
wait on it at once (``PROVIDER_MAX_THREADS``; one more call is ``ProviderBusy``).
"""

import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from smmpanel.providers.client import ProviderClient, ProviderUnavailable
from smmpanel.providers.models import Provider
from smmpanel.providers.secrets import unseal

BREAKER_THRESHOLD = 5
BREAKER_COOLDOWN = timedelta(seconds=30)


class DatabaseBreaker:
    """Open after ``BREAKER_THRESHOLD`` consecutive failures for ``BREAKER_COOLDOWN``.

    It also measures latency cheaply: the client asks ``allow()`` right before each
    attempt and reports the outcome right after it, so the time between the two is the
    attempt's duration. It is kept as ``last_latency_ms`` and a rolling average
    (``avg_latency_ms``, each call weighing ``1 / LATENCY_WEIGHT``). Clients are shared
    between threads, so the start time is per thread.
    """

    LATENCY_WEIGHT = 5

    def __init__(self, provider: Provider, clock: Callable[[], float] = time.monotonic):
        self.provider_id = provider.pk
        self._clock = clock
        self._started = threading.local()

    def allow(self) -> bool:
        open_until = (
            Provider.objects.filter(pk=self.provider_id)
            .values_list("breaker_open_until", flat=True)
            .first()
        )
        allowed = open_until is None or open_until <= timezone.now()
        self._started.at = self._clock() if allowed else None
        return allowed

    def record_success(self) -> None:
        Provider.objects.filter(pk=self.provider_id).update(
            calls=F("calls") + 1, breaker_failures=0, breaker_open_until=None, **self._latency()
        )

    def record_failure(self) -> None:
        rows = Provider.objects.filter(pk=self.provider_id)
        rows.update(
            calls=F("calls") + 1,
            failed_calls=F("failed_calls") + 1,
            breaker_failures=F("breaker_failures") + 1,
            **self._latency(),
        )
        rows.filter(breaker_failures__gte=BREAKER_THRESHOLD).update(
            breaker_open_until=timezone.now() + BREAKER_COOLDOWN
        )

    def _latency(self) -> dict:
        """Column updates for the attempt that just ended (none if its start is unknown)."""
        started = getattr(self._started, "at", None)
        self._started.at = None
        if started is None:
            return {}
        ms = max(0, round((self._clock() - started) * 1000))
        weight = self.LATENCY_WEIGHT
        return {
            "last_latency_ms": ms,
            "avg_latency_ms": Coalesce(
                (F("avg_latency_ms") * (weight - 1) + Value(ms)) / Value(weight), Value(ms)
            ),
        }


_clients: dict[tuple, ProviderClient] = {}
_clients_lock = threading.Lock()
# Per provider and limit: every client of one provider (new URL, key or timeouts) shares it.
_slots: dict[tuple[int, int], threading.BoundedSemaphore] = {}


def client_for(provider: Provider, **options) -> ProviderClient:
    """A client for ``provider`` with its decrypted key and the shared breaker.

    Clients are kept per process and reused (keep-alive connections; building one
    costs tens of milliseconds); a changed URL, key or timeout makes a new one.
    A provider that cannot be called at all (unsafe URL, undecryptable key) raises
    ``ProviderUnavailable``: nothing was sent, so callers retry or fall back as usual.
    """
    options.setdefault("connect_timeout", settings.PROVIDER_CONNECT_TIMEOUT)
    options.setdefault("read_timeout", settings.PROVIDER_READ_TIMEOUT)
    options.setdefault("total_timeout", settings.PROVIDER_TOTAL_TIMEOUT)
    key = (
        provider.pk,
        provider.api_url,
        provider.api_key_sealed,
        provider.allow_private,
        tuple(sorted(options.items())),
    )
    with _clients_lock:
        options.setdefault("slots", _slots_for(provider.pk))
        key += (options["slots"],)
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = _build(provider, options)
    return client


def _slots_for(provider_id: int) -> threading.BoundedSemaphore:
    """The semaphore bounding this process's calls in flight to one provider (called
    with ``_clients_lock`` held)."""
    limit = max(1, int(settings.PROVIDER_MAX_THREADS))
    slots = _slots.get((provider_id, limit))
    if slots is None:
        slots = _slots[(provider_id, limit)] = threading.BoundedSemaphore(limit)
    return slots


def _build(provider: Provider, options: dict) -> ProviderClient:
    try:
        return ProviderClient(
            provider.api_url,
            unseal(provider.api_key_sealed),
            breaker=DatabaseBreaker(provider),
            allow_private=provider.allow_private,
            **options,
        )
    except ValueError as exc:
        raise ProviderUnavailable(f"provider {provider.name} cannot be called: {exc}") from None
