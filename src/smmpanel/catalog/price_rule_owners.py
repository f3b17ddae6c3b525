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

import threading
import time

from django.conf import settings
from django.db import connection, transaction

from smmpanel.catalog.models import CustomRate
from smmpanel.process_cache import ProcessSnapshot

# This thread's connection is in a transaction that saved or deleted a price rule.
_changing = threading.local()


def _clock() -> float:
    return time.monotonic()


def _read_owners() -> frozenset[int]:
    return frozenset(CustomRate.objects.order_by().values_list("user_id", flat=True).distinct())


def _keep_read() -> bool:
    """A read inside a transaction that changed price rules sees rows a rollback may take
    back (and a rollback runs no hook to drop the copy): it is used, never kept."""
    if not getattr(_changing, "open", False):
        return True
    if connection.in_atomic_block:
        return False
    _changing.open = False  # that transaction has ended, rolled back: nothing of it kept
    return True


_owners = ProcessSnapshot(
    _read_owners, settings.CATALOG_CACHE_SECONDS, lambda: _clock(), keep=_keep_read
)


def has_price_rules(user_id: int) -> bool:
    """Whether the user has at least one price rule (a rate or a discount)."""
    return user_id in _owners()


def forget() -> None:
    """Drop this process's copy (between tests, or after a change)."""
    _changing.open = False
    _owners.forget()


def forget_on_change(**_signal_args) -> None:
    """A price rule was saved or deleted: drop the copy now and once more when the change
    commits; until then no read of this connection is kept (see ``_keep_read``)."""
    _owners.forget()
    _changing.open = connection.in_atomic_block
    transaction.on_commit(forget)
