"""How the panel reaches a provider: a configured client with a shared circuit breaker.

The breaker's state lives on the provider row, so every worker process on every
machine sees the same open circuit and one bad provider cannot slow the others.
"""

import threading
from datetime import timedelta

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from smmpanel.providers.client import ProviderClient, ProviderUnavailable
from smmpanel.providers.models import Provider
from smmpanel.providers.secrets import unseal

BREAKER_THRESHOLD = 5
BREAKER_COOLDOWN = timedelta(seconds=30)


class DatabaseBreaker:
    """Open after ``BREAKER_THRESHOLD`` consecutive failures for ``BREAKER_COOLDOWN``."""

    def __init__(self, provider: Provider):
        self.provider_id = provider.pk

    def allow(self) -> bool:
        open_until = (
            Provider.objects.filter(pk=self.provider_id)
            .values_list("breaker_open_until", flat=True)
            .first()
        )
        return open_until is None or open_until <= timezone.now()

    def record_success(self) -> None:
        Provider.objects.filter(pk=self.provider_id).update(
            calls=F("calls") + 1, breaker_failures=0, breaker_open_until=None
        )

    def record_failure(self) -> None:
        rows = Provider.objects.filter(pk=self.provider_id)
        rows.update(
            calls=F("calls") + 1,
            failed_calls=F("failed_calls") + 1,
            breaker_failures=F("breaker_failures") + 1,
        )
        rows.filter(breaker_failures__gte=BREAKER_THRESHOLD).update(
            breaker_open_until=timezone.now() + BREAKER_COOLDOWN
        )


_clients: dict[tuple, ProviderClient] = {}
_clients_lock = threading.Lock()


def client_for(provider: Provider, **options) -> ProviderClient:
    """A client for ``provider`` with its decrypted key and the shared breaker.

    Clients are kept per process and reused (keep-alive connections; building one
    costs tens of milliseconds); a changed URL, key or timeout makes a new one.
    A provider that cannot be called at all (unsafe URL, undecryptable key) raises
    ``ProviderUnavailable``: nothing was sent, so callers retry or fall back as usual.
    """
    options.setdefault("connect_timeout", settings.PROVIDER_CONNECT_TIMEOUT)
    options.setdefault("read_timeout", settings.PROVIDER_READ_TIMEOUT)
    key = (provider.pk, provider.api_url, provider.api_key_sealed, provider.allow_private,
           tuple(sorted(options.items())))  # fmt: skip
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = _build(provider, options)
    return client


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
