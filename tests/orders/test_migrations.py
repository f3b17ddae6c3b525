"""The orders migrations: 0002's PostgreSQL-only trigram index for the link search, and
the lean-index migrations that drop indexes a composite one already covers."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps as global_apps
from django.db import ProgrammingError, connection

from smmpanel.orders.models import Order

scale_indexes = importlib.import_module("smmpanel.orders.migrations.0002_scale_indexes")

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason=f"uses {connection.vendor}: run with DATABASE_URL=postgres://… (make test-postgres)",
)


class _NoExtensionCursor:
    """Answers the migration's ``pg_extension`` look-up: pg_trgm is not installed."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def execute(self, sql):
        pass

    def fetchone(self):
        return None


class _RefusingEditor:
    """A schema editor on a PostgreSQL database where pg_trgm is missing and the role may
    not create it: what an operator without superuser rights meets."""

    connection = SimpleNamespace(
        vendor="postgresql", settings_dict={"NAME": "panel"}, cursor=_NoExtensionCursor
    )

    def execute(self, sql):
        raise ProgrammingError('permission denied to create extension "pg_trgm"')


def test_a_missing_pg_trgm_the_role_cannot_create_stops_with_what_to_run():
    with pytest.raises(RuntimeError) as refused:
        scale_indexes.add_link_trigram_index(global_apps, _RefusingEditor())
    message = str(refused.value)
    assert "CREATE EXTENSION IF NOT EXISTS pg_trgm" in message
    assert "'panel'" in message and "permission denied" in message


def test_on_sqlite_the_trigram_step_does_nothing():
    editor = SimpleNamespace(connection=SimpleNamespace(vendor="sqlite"), execute=None)
    scale_indexes.add_link_trigram_index(global_apps, editor)  # would fail on execute()
    scale_indexes.drop_link_trigram_index(global_apps, editor)


def _index_names() -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, Order._meta.db_table))


@postgres_only
def test_the_link_search_is_served_by_the_trigram_index_on_postgresql(db):
    query = Order.objects.filter(link__icontains="findme").order_by().query
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        # A small test table is cheaper to read whole or walk by its primary key; forbid
        # both so the plan shows whether the index expression matches the one Django
        # compiles icontains to (a GIN index is read by a bitmap scan).
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "order_link_trgm" in plan


@postgres_only
def test_reversing_drops_the_trigram_index_and_keeps_the_extension(db):
    with connection.schema_editor() as editor:
        scale_indexes.drop_link_trigram_index(global_apps, editor)
    assert "order_link_trgm" not in _index_names()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        assert cursor.fetchone() is not None
    with connection.schema_editor() as editor:
        scale_indexes.add_link_trigram_index(global_apps, editor)
    assert "order_link_trgm" in _index_names()


LEAN_INDEXES = {
    # table: (foreign-key column whose own index went, index or constraint leading with it)
    "orders_order": ("user_id", "order_user_recent"),
    "billing_ledgerentry": ("user_id", "ledger_user_recent"),
    "providers_submission": ("order_id", "submission_one_per_run"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("table", sorted(LEAN_INDEXES))
def test_lean_index_migrations_leave_one_index_per_leading_column(table):
    column, covering = LEAN_INDEXES[table]
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    single = [n for n, c in constraints.items() if c["index"] and c["columns"] == [column]]
    assert single == []
    assert constraints[covering]["columns"][0] == column
    # The foreign key itself stays: only its redundant index went.
    assert any(c["foreign_key"] and c["columns"] == [column] for c in constraints.values())
