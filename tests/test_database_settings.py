"""How the panel talks to PostgreSQL: server-side binding with prepared statements, each
run planned for its own values (see ``DATABASE_PREPARED_STATEMENTS`` in settings)."""

import pytest
from django.db import connection

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


@postgres_only
@pytest.mark.django_db
def test_prepared_statements_are_still_planned_for_their_own_values():
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_custom_plan"
