"""SQL building blocks of the fill: ``INSERT … SELECT`` from a model's ``_meta``, quoting,
ids and sequences, and detaching a table's indexes and constraints for a bulk load.

Tables, columns and defaults come from the Django models' ``_meta``; a field the
generator does not set gets the model's default (or NULL), and a new required field
without one stops the fill, named.
"""

from __future__ import annotations

# Columns the SQL reads back by name (inserts take their columns from ``_meta``).
READ_COLUMNS = {
    "orders.Order": ("id", "user_id", "service_id", "created_at", "finished_at", "status",
                     "charge_micros", "remains", "quantity", "start_count", "source", "link",
                     "canonical_link", "link_key"),
    "billing.LedgerEntry": ("id", "user_id", "kind", "amount_micros", "memo", "created_at"),
    "orders.Refill": ("id", "created_at", "updated_at"),
}  # fmt: skip


def run(cur, sql: str) -> None:
    """Execute ``sql`` for a step without a row count (``cur.execute`` returns the
    cursor, which ``Steps.run`` would take for one)."""
    cur.execute(sql)


def lit(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def insert(cur, model, values: dict[str, str], tail: str, params: dict) -> int:
    """``INSERT INTO <model table> (<columns>) SELECT <values> <tail>``; returns the rows.

    ``values`` maps field names to SQL expressions. A concrete field not given gets its
    model default (cast to its column type), NULL when nullable, the fill's ``now`` for
    ``auto_now``/``auto_now_add``; otherwise the fill stops and names it.
    """
    from django.db import connection

    meta = model._meta
    given = dict(values)
    columns, exprs = [], []
    for f in meta.concrete_fields:
        if f.attname in given or f.name in given:
            expr = given.pop(f.attname) if f.attname in given else given.pop(f.name)
        elif f.primary_key and f.get_internal_type() in ("AutoField", "BigAutoField"):
            continue
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            expr = "%(now)s::timestamptz"
        elif f.has_default() or (f.empty_strings_allowed and not f.null):
            name = f"default_{meta.db_table}_{f.column}"
            params[name] = f.get_db_prep_save(f.get_default(), connection)
            expr = f"%({name})s::{f.db_type(connection)}"
        elif f.null:
            expr = "NULL"
        else:
            raise RuntimeError(
                f"{meta.label}.{f.name} is required and has no default: teach "
                "bench/scale/ what to put there"
            )
        columns.append(connection.ops.quote_name(f.column))
        exprs.append(expr)
    if given:
        raise RuntimeError(f"{meta.label} has no fields {sorted(given)}")
    cur.execute(
        f"INSERT INTO {table(model)} ({', '.join(columns)}) SELECT {', '.join(exprs)} {tail}",
        params,
    )
    return cur.rowcount


def col(model, name: str) -> str:
    """The quoted column of ``model``'s field ``name``."""
    from django.db import connection

    return connection.ops.quote_name(model._meta.get_field(name).column)


def table(model) -> str:
    """The quoted table of ``model``."""
    from django.db import connection

    return connection.ops.quote_name(model._meta.db_table)


def require_columns() -> None:
    """Stop early, naming it, if a column the fill reads back was renamed."""
    from django.apps import apps

    for label, names in READ_COLUMNS.items():
        have = {f.column for f in apps.get_model(label)._meta.concrete_fields}
        missing = sorted(set(names) - have)
        if missing:
            raise RuntimeError(f"{label} has no columns {missing}: update bench/scale/")


def detach(cur, tables: list[str]) -> list[str]:
    """Drop the outgoing foreign keys, unique constraints (not primary keys) and
    secondary indexes of ``tables``; returns the statements that put them back."""
    from django.db import connection

    q = connection.ops.quote_name
    indexes, uniques, fks = [], [], []
    for name in tables:
        cur.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY contype, conname",
            [name],
        )
        for constraint, kind, definition in cur.fetchall():
            cur.execute(f"ALTER TABLE {q(name)} DROP CONSTRAINT {q(constraint)}")
            add = f"ALTER TABLE {q(name)} ADD CONSTRAINT {q(constraint)} {definition}"
            (fks if kind == "f" else uniques).append(add)
        cur.execute(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass "
            "AND NOT x.indisprimary AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conindid = x.indexrelid AND c.conrelid = x.indrelid) ORDER BY 1",
            [name],
        )
        for index, definition in cur.fetchall():
            cur.execute(f"DROP INDEX {q(index)}")
            indexes.append(definition)
    return indexes + uniques + fks  # foreign keys last: their validation is a join


def max_id(cur, model) -> int:
    """The highest primary key of ``model``'s table (0 when empty)."""
    cur.execute(f"SELECT coalesce(max({col(model, model._meta.pk.name)}), 0) FROM {table(model)}")
    return cur.fetchone()[0]


def first_id_since(cur, model, first_id: int, since) -> int:
    """The first id at or after ``first_id`` created at ``since`` or later (ids of the
    generated rows follow time, so a bisection over the primary key finds it)."""
    low, high = first_id, max_id(cur, model) + 1
    sql = f"SELECT created_at FROM {table(model)} WHERE id >= %s ORDER BY id LIMIT 1"
    while low < high:
        mid = (low + high) // 2
        cur.execute(sql, [mid])
        row = cur.fetchone()
        if row is None or row[0] >= since:
            high = mid
        else:
            low = mid + 1
    return low


def sync_sequence(cur, model) -> None:
    """Move ``model``'s identity sequence past the ids the fill wrote explicitly."""
    cur.execute(
        "SELECT pg_get_serial_sequence(%s, %s)", [model._meta.db_table, model._meta.pk.column]
    )
    sequence = cur.fetchone()[0]
    if sequence:
        highest = max_id(cur, model)
        cur.execute(f"SELECT last_value FROM {sequence}")
        if highest > cur.fetchone()[0]:
            cur.execute("SELECT setval(%s, %s)", [sequence, highest])
