"""The ``services`` answer, built once per ``CATALOG_CACHE_SECONDS`` in each process.

A catalog of thousands of services is the largest answer API v2 gives and clients poll
it. The list at list prices is kept ready-encoded; a caller with their own prices
gets the same rows with those rates put in. The process that saves a service, category
or platform drops its copy at once (signals, wired in ``ApiConfig.ready``); other
processes, and bulk moves, show within ``CATALOG_CACHE_SECONDS`` (5 s by default).
"""

import json
import time
from dataclasses import dataclass

from cachetools.func import ttl_cache
from django.conf import settings
from django.db import transaction

from smmpanel.api import shapes
from smmpanel.billing.money import format_amount
from smmpanel.catalog.models import Service
from smmpanel.catalog.selectors import UserRates, active_services


@dataclass(frozen=True)
class ServiceList:
    services: tuple[Service, ...]
    rows: tuple[dict, ...]  # at list prices, in catalog order
    encoded: bytes  # ``rows`` as the JSON answer


def _clock() -> float:
    return time.monotonic()


def encode(data: object) -> bytes:
    """JSON as API v2 answers it: compact, ASCII-escaped like every other answer."""
    return json.dumps(data, separators=(",", ":")).encode()


@ttl_cache(maxsize=1, ttl=settings.CATALOG_CACHE_SECONDS, timer=lambda: _clock())
def service_list() -> ServiceList:
    """The active services and their ``services`` rows at list prices."""
    services = tuple(active_services())
    rows = tuple(shapes.service_row(s) for s in services)
    return ServiceList(services, rows, encode(list(rows)))


def services_answer(rates: UserRates) -> bytes:
    """The encoded ``services`` answer for a caller with ``rates``."""
    listed = service_list()
    if not rates:
        return listed.encoded
    return encode(
        [
            row
            if (rate := rates.rate_for(s)) == s.rate_micros
            else row | {"rate": format_amount(rate)}
            for s, row in zip(listed.services, listed.rows, strict=True)
        ]
    )


def forget() -> None:
    """Drop this process's copy (between tests, or after a change)."""
    service_list.cache_clear()


def forget_on_change(**_signal_args) -> None:
    """A service, category or platform changed: drop the copy now and once more when
    the change commits (a read in between would have kept the old rows)."""
    forget()
    transaction.on_commit(forget)
