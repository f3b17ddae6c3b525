"""How the panel talks to PostgreSQL: server-side binding with prepared statements,
generic plans reused on the hot paths and searches planned for their values (see
``DATABASE_PREPARED_STATEMENTS`` in settings and ``smmpanel.query_plans``)."""

import pytest
from django.db import connection

from smmpanel.billing.selectors import balance_of
from smmpanel.orders.selectors import orders_page
from smmpanel.query_plans import values_planned
from tests.factories import make_user

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason=f"a PostgreSQL connection setting; this run uses {connection.vendor}",
)


@postgres_only
@pytest.mark.django_db
def test_a_statement_run_again_is_prepared_on_the_server():
    with connection.cursor() as cursor:
        for _ in range(6):  # the prepare threshold is 5
            cursor.execute("SELECT %s::int + 1", [41])
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["SELECT $1::int + 1%"],
        )
        assert cursor.fetchone()[0] == 1


def _plans_of(statement_start: str) -> tuple[int, int]:
    """(generic, custom) plans this connection made so far for its prepared statement that
    starts so ((0, 0) while it is not prepared: psycopg prepares from the fifth run)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            [statement_start + "%"],
        )
        rows = cursor.fetchall()
    assert len(rows) <= 1, rows
    return rows[0] if rows else (0, 0)


def _plans_made(statement_start: str, run) -> tuple[int, int]:
    before = _plans_of(statement_start)
    # Unprepared for 5 runs, then PostgreSQL's own 5 custom plans, then its choice.
    for _ in range(20):
        run()
    after = _plans_of(statement_start)
    return after[0] - before[0], after[1] - before[1]


@postgres_only
@pytest.mark.django_db
def test_a_hot_statement_reuses_a_generic_plan():
    user = make_user("1")
    generic, _custom = _plans_made(
        'SELECT "billing_wallet"."balance_micros" AS', lambda: balance_of(user)
    )
    assert generic > 0


@postgres_only
@pytest.mark.django_db
def test_a_search_is_planned_for_each_run():
    user = make_user("1")
    generic, custom = _plans_made(
        'SELECT "orders_order"."id"', lambda: orders_page(user, search="instagram")
    )
    assert generic == 0
    assert custom > 0


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_planning_for_values_ends_with_its_block():
    with values_planned():
        assert _plan_cache_mode() == "force_custom_plan"
    assert _plan_cache_mode() == "auto"


def _plan_cache_mode() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return cursor.fetchone()[0]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite case")
@pytest.mark.django_db(transaction=True)
def test_planning_for_values_opens_no_transaction_on_sqlite():
    with values_planned():
        assert connection.get_autocommit()
        assert not connection.in_atomic_block
