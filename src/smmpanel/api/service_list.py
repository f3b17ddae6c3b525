"""The ``services`` answer, encoded once per refresh of the active catalog.

A catalog of thousands of services is the largest answer API v2 gives and clients poll
it. The list at list prices is kept ready-encoded for the catalog snapshot it was built
from (see ``catalog.active_catalog``: at most ``CATALOG_CACHE_SECONDS`` old); a caller
with their own prices gets the same rows with those rates put in.
"""

import json
from dataclasses import dataclass
from functools import lru_cache

from smmpanel.api import representations
from smmpanel.catalog.active_catalog import ActiveCatalog, active_catalog
from smmpanel.catalog.models import Service
from smmpanel.catalog.selectors import UserRates
from smmpanel.money import format_amount


@dataclass(frozen=True)
class ServiceList:
    services: tuple[Service, ...]
    rows: tuple[dict, ...]  # at list prices, in catalog order
    encoded: bytes  # ``rows`` as the JSON answer


def encode(data: object) -> bytes:
    """JSON as API v2 answers it: compact, ASCII-escaped like every other answer."""
    return json.dumps(data, separators=(",", ":")).encode()


def service_list() -> ServiceList:
    """The active services and their ``services`` rows at list prices."""
    return _built_from(active_catalog())


@lru_cache(maxsize=1)
def _built_from(catalog: ActiveCatalog) -> ServiceList:
    rows = tuple(representations.service_row(s) for s in catalog.services)
    return ServiceList(catalog.services, rows, encode(list(rows)))


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
