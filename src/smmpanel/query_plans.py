"""Prepared statements on PostgreSQL, and searches planned for their own values.

``DATABASE_PREPARED_STATEMENTS`` (on by default) sets Django's and psycopg's own options
``server_side_binding`` and ``prepare_threshold=5`` (settings.py): PostgreSQL stops
parsing the hot statements per request. What it buys (``bench/alternate.py --cost``, 3
alternating rounds of 100 requests per action, CPU of the web process and the
PostgreSQL backend; indicative, on a shared 2-core machine): without it a ``balance``
cost 1.02 ms instead of 0.79 ms (+29%), ``status`` (100 ids) 2.18 instead of 1.59
(+37%), ``add`` 7.96 instead of 6.10 (+30%), ``services`` 1.04 instead of 0.88 (+18%).

With prepared statements PostgreSQL plans a
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
