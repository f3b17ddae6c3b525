"""The active services as the hot paths read them (API ``services`` and ``add``, the
order forms): from the database at most once per ``CATALOG_CACHE_SECONDS`` in each
process.

The process that saves a service, category or platform drops its copy at once (model
signals, wired in ``CatalogConfig.ready``); every other process, and bulk changes such
as reordering, show within ``CATALOG_CACHE_SECONDS`` (5 s by default). So a price
change or a disabled service applies to new orders within those seconds everywhere —
the same list the customer priced the order from.

Reading thousands of services costs a process 0.1-0.2 s of CPU, and the request that
found the copy old used to wait for it. Now, when the copy is old, the process reads the
catalog's version (``CatalogVersion``, raised by the database with every change) and
reads the services again only when it moved.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet

from smmpanel.catalog.models import CatalogVersion, Service
from smmpanel.process_cache import ProcessSnapshot


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one per refresh
class ActiveCatalog:
    services: tuple[Service, ...]  # in catalog order, with category and platform
    by_id: dict[int, Service]


def _clock() -> float:
    return time.monotonic()


def active_services() -> QuerySet[Service]:
    """The active services with their category and platform, read from the database."""
    return Service.objects.filter(active=True).select_related("category__platform")


def _read_catalog() -> ActiveCatalog:
    services = tuple(active_services())
    return ActiveCatalog(services, {s.pk: s for s in services})


def _catalog_version() -> int | None:
    """The catalog's version counter, or None when its row is missing (a flushed test
    database): the services are then read again each time, as with no version."""
    return CatalogVersion.objects.filter(pk=1).values_list("counter", flat=True).first()


_catalog = ProcessSnapshot(
    _read_catalog,
    settings.CATALOG_CACHE_SECONDS,
    lambda: _clock(),
    version=lambda: _catalog_version(),
)


def active_catalog() -> ActiveCatalog:
    """The active services. Shared by every request of the process: read-only."""
    return _catalog()


def forget() -> None:
    """Drop this process's copy (between tests, or after a change)."""
    _catalog.forget()


def forget_on_change(**_signal_args) -> None:
    """A service, category or platform changed (see ``ProcessSnapshot.forget_on_change``)."""
    _catalog.forget_on_change()
