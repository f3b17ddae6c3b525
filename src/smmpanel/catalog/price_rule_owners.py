"""Who has price rules of their own, as the hot paths read it (order pricing, the API
``services`` list): from the database at most once per ``CATALOG_CACHE_SECONDS`` in each
process.

Most customers pay list prices, and their orders and price lists need not look for rules
that do not exist. The rules themselves are always read from the database; only the set
of users who have any is kept. The process that saves or deletes a rule drops its copy
at once (model signals, wired in ``CatalogConfig.ready``); every other process, and bulk
writes that send no signals, show within those seconds: a customer's first own price, or
the removal of their last one, applies to new orders as a list price change does.
"""

import time

from django.conf import settings

from smmpanel.catalog.models import CustomRate
from smmpanel.process_cache import ProcessSnapshot


def _clock() -> float:
    return time.monotonic()


def _read_owners() -> frozenset[int]:
    return frozenset(CustomRate.objects.order_by().values_list("user_id", flat=True).distinct())


_owners = ProcessSnapshot(_read_owners, settings.CATALOG_CACHE_SECONDS, lambda: _clock())


def has_price_rules(user_id: int) -> bool:
    """Whether the user has at least one price rule (a rate or a discount)."""
    return user_id in _owners()


def forget() -> None:
    """Drop this process's copy (between tests, or after a change)."""
    _owners.forget()


def forget_on_change(**_signal_args) -> None:
    """A price rule was saved or deleted (see ``ProcessSnapshot.forget_on_change``)."""
    _owners.forget_on_change()
