"""Searches planned for their own values on PostgreSQL.

With prepared statements (``DATABASE_PREPARED_STATEMENTS``) PostgreSQL plans a
statement's first five runs for their values, then keeps one generic plan when it costs
no more than those did. That saves the planning on the hot paths (an API key read, a
wallet debit, an order insert), where every value gets the same plan anyway. A search is
different: a link fragment found in three orders wants the trigram index, one found in
most of them wants the customer's newest orders read in order; a rare status wants its
own index. ``planned_for_values`` runs such reads with ``force_custom_plan`` in a
transaction of their own: three round trips more (``BEGIN``, ``SET LOCAL``, ``COMMIT``)
on pages that cost milliseconds anyway. Inside a caller's transaction the setting lasts
until that transaction ends.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections, transaction

P = ParamSpec("P")
R = TypeVar("R")


@contextmanager
def values_planned(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Within the block (and, inside a caller's transaction, until that one ends), each
    statement is planned for the values it runs with.

    A no-op where no plan is reused: SQLite, or PostgreSQL binding on the client side.
    """
    connection = connections[using]
    options = connection.settings_dict.get("OPTIONS", {})
    if connection.vendor != "postgresql" or not options.get("server_side_binding"):
        yield
        return
    with transaction.atomic(using=using):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL plan_cache_mode = force_custom_plan")
        yield


def planned_for_values(read: Callable[P, R]) -> Callable[P, R]:
    """Decorate a selector whose best plan depends on its arguments (see module doc). The
    selector must finish its reads before it returns (a list, not a lazy queryset)."""

    @wraps(read)
    def planned(*args: P.args, **kwargs: P.kwargs) -> R:
        with values_planned():
            return read(*args, **kwargs)

    return planned
