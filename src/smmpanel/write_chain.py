"""Writes that take values from rows written just before them, sent as one statement.

A statement costs the web process about 0.1 ms of CPU in the database driver, and the
database about half that, whatever it does (README, Performance). A write that needs
a value another write returns (the balance a debit left, a new order's id) would be a
statement of its own. ``WriteChain`` sends them together on PostgreSQL, as data-modifying
``WITH`` queries::

    WITH w0 AS (UPDATE billing_wallet SET … WHERE … RETURNING balance_micros),
         w1 AS (INSERT INTO orders_order (…) SELECT %s, … FROM w0 RETURNING id),
         w2 AS (INSERT INTO billing_ledgerentry (…, order_id, balance_after_micros)
                SELECT %s, …, w1.id, w0.balance_micros FROM w1, w0 RETURNING id)
    SELECT w1.id, w2.id, w0.* FROM w0, w1, w2

Every insert selects from the rows it takes values from, or from the first write's,
so when the first write matches no row nothing at all is written. An error in any of
the writes (a unique key, a check) fails the statement, which undoes all of them.

SQLite has no writes inside ``WITH``: there the writes run one after another, and the
caller's transaction makes them all or nothing (``WriteChain.atomic`` opens one only
where it is needed).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, router, transaction

from smmpanel.compiled_sql import RowInsert, mark_saved


@dataclass(frozen=True)
class Taken:
    """A value an insert takes from a row written before it in the chain: ``column`` of
    step ``step``'s row (the first write's returned columns, or an insert's primary
    key), put into ``template`` ("order {}") when there is one."""

    step: str
    column: str
    template: str | None = None

    def __post_init__(self) -> None:
        # The text around "{}" becomes two parameters on PostgreSQL and ``format``'s
        # arguments elsewhere: both agree only for exactly one "{}" and no other brace.
        if self.template is None:
            return
        rest = self.template.replace("{}", "", 1)
        if "{}" not in self.template or "{" in rest or "}" in rest:
            raise ValueError(f"a template holds one {{}} and no other brace: {self.template!r}")

    def value_from(self, source: Any) -> Any:
        return source if self.template is None else self.template.format(source)


@dataclass(frozen=True)
class _Write:
    name: str
    sql: str
    params: list[object]


@dataclass(frozen=True)
class _Insert:
    name: str
    inserter: RowInsert
    values: dict[str, object]
    taking: dict[str, Taken] = field(default_factory=dict)

    @property
    def pk_column(self) -> str:
        return self.inserter.model._meta.pk.column

    @property
    def own_fields(self) -> tuple:
        """The fields whose values are given, not taken from earlier rows."""
        return tuple(f for f in self.inserter.fields if f.attname not in self.taking)


# Statements built once per shape of chain (per process).
_BUILT: dict[tuple, str] = {}


class WriteChain:
    """A first write, then inserts that take values from the rows before them.

    The first step is ``write`` (an ``UPDATE … RETURNING`` that may match no row) or an
    ``insert``; each later ``insert`` names what it takes with ``Taken``. ``run`` returns
    each step's result by name (a saved instance for an insert, the returned columns
    for a write), or None when the first write matched nothing.
    """

    def __init__(self) -> None:
        self._steps: list[_Write | _Insert] = []

    def write(self, name: str, sql: str, params: list[object]) -> WriteChain:
        """Start with ``sql``, a write of at most one row ending in ``RETURNING`` the
        columns later steps take; when it returns no row, nothing after it is written."""
        if self._steps:
            raise ValueError("a raw write can only start a chain")
        self._steps.append(_Write(name, sql, params))
        return self

    def insert(
        self, name: str, inserter: RowInsert, values: dict[str, object], **taking: Taken
    ) -> WriteChain:
        """Insert one row built from ``values`` (as ``inserter`` does), with the fields
        named in ``taking`` (attribute names: ``order_id``) taken from earlier rows."""
        if any(step.name == name for step in self._steps):
            raise ValueError(f"a step is already named {name!r}")
        names = {f.attname for f in inserter.fields}
        if not set(taking) <= names:
            model = inserter.model.__name__
            raise ValueError(f"{model} has no fields {sorted(set(taking) - names)}")
        earlier = {step.name: step for step in self._steps}
        for taken in taking.values():
            source = earlier.get(taken.step)
            if source is None:
                raise ValueError(f"no earlier step {taken.step!r} to take from")
            if isinstance(source, _Insert) and taken.column != source.pk_column:
                raise ValueError(f"only the primary key of {taken.step!r} can be taken")
        self._steps.append(_Insert(name, inserter, values, taking))
        return self

    def atomic(self):
        """A transaction where the writes need one: none on PostgreSQL outside a
        transaction (one statement is its own), a savepoint inside one (so a failed
        write leaves the caller's transaction usable), a transaction elsewhere."""
        connection = connections[self._alias()]
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            return nullcontext()
        return transaction.atomic(using=self._alias())

    def run(self) -> dict[str, Any] | None:
        """Write every step; see the class. Call it inside ``atomic()`` or the caller's
        transaction (on PostgreSQL it is one statement either way)."""
        alias = self._alias()
        connection = connections[alias]
        if connection.vendor == "postgresql":
            return self._run_as_one_statement(alias)
        if not connection.in_atomic_block:
            raise RuntimeError("one write at a time needs a transaction: use atomic()")
        return self._run_one_by_one(alias)

    def _alias(self) -> str:
        first_insert = next(s for s in self._steps if isinstance(s, _Insert))
        return router.db_for_write(first_insert.inserter.model)

    def _run_one_by_one(self, alias: str) -> dict[str, Any] | None:
        written: dict[str, Any] = {}
        sources: dict[str, dict[str, object]] = {}
        for step in self._steps:
            if isinstance(step, _Write):
                with connections[alias].cursor() as cursor:
                    cursor.execute(step.sql, step.params)
                    row = cursor.fetchone()
                    if row is None:
                        return None
                    returned = [column[0] for column in cursor.description]
                written[step.name] = sources[step.name] = dict(zip(returned, row, strict=True))
                continue
            taken = {name: _value(sources, t) for name, t in step.taking.items()}
            obj = step.inserter(**step.values, **taken)
            written[step.name] = obj
            sources[step.name] = {step.pk_column: obj.pk}
        return written

    def _run_as_one_statement(self, alias: str) -> dict[str, Any] | None:
        connection = connections[alias]
        params: list[object] = []
        nulls: list[tuple[bool, ...]] = []
        objects = []
        for step in self._steps:
            if isinstance(step, _Write):
                params += step.params
                continue
            obj = step.inserter.model(**step.values)
            values = step.inserter.prepared(obj, connection, step.own_fields)
            # A None is written into the statement as NULL, not bound: psycopg parses a
            # statement once only while it has at most 50 parameters.
            nulls.append(tuple(value is None for value in values))
            params += [value for value in values if value is not None]
            params += [part for t in step.taking.values() if t.template is not None
                       for part in t.template.split("{}", 1)]  # fmt: skip
            objects.append((step, obj))
        with connection.cursor() as cursor:
            cursor.execute(self._statement(alias, tuple(nulls)), params)
            row = cursor.fetchone()
            if row is None:
                return None
            returned = [column[0] for column in cursor.description][len(objects) :]
        written: dict[str, Any] = {}
        sources: dict[str, dict[str, object]] = {}
        first = self._steps[0]
        if isinstance(first, _Write):
            written[first.name] = sources[first.name] = dict(
                zip(returned, row[len(objects) :], strict=True)
            )
        for (step, obj), pk in zip(objects, row, strict=False):
            obj.pk = pk
            for name, taken in step.taking.items():
                setattr(obj, name, _value(sources, taken))
            written[step.name] = mark_saved(obj, alias)
            sources[step.name] = {step.pk_column: pk}
        return written

    def _statement(self, alias: str, nulls: tuple[tuple[bool, ...], ...]) -> str:
        """The chain as one ``WITH`` statement, built once per shape of chain and per
        set of values that are None (NULL in the statement)."""
        key = (alias, nulls, *(_shape(step) for step in self._steps))
        sql = _BUILT.get(key)
        if sql is None:
            quote = connections[alias].ops.quote_name
            sql = _BUILT[key] = _build(quote, self._steps, iter(nulls))
        return sql


def _value(sources: dict[str, dict[str, object]], taken: Taken) -> object:
    return taken.value_from(sources[taken.step][taken.column])


def _shape(step: _Write | _Insert) -> tuple:
    if isinstance(step, _Write):
        return (step.name, step.sql)
    taking = tuple((n, t.step, t.column, t.template is not None) for n, t in step.taking.items())
    return (step.name, step.inserter.model, taking)


def _build(quote, steps: list[_Write | _Insert], nulls: Iterator[tuple[bool, ...]]) -> str:
    cte = {step.name: f"w{i}" for i, step in enumerate(steps)}
    parts, selected = [], []
    for i, step in enumerate(steps):
        if isinstance(step, _Write):
            parts.append(f"w{i} AS ({step.sql})")
            continue
        by_name = {f.attname: f for f in step.inserter.fields}
        columns = [quote(f.column) for f in step.own_fields]
        columns += [quote(by_name[name].column) for name in step.taking]
        values = ["NULL" if null else "%s" for null in next(nulls)]
        values += [_reference(quote, cte, t) for t in step.taking.values()]
        table, pk = quote(step.inserter.model._meta.db_table), quote(step.pk_column)
        selected.append(f"w{i}.{pk}")
        if i == 0:
            rows = f"VALUES ({', '.join(values)})"
        else:
            sources = list(dict.fromkeys(cte[t.step] for t in step.taking.values())) or ["w0"]
            rows = f"SELECT {', '.join(values)} FROM {', '.join(sources)}"
        parts.append(
            f"w{i} AS (INSERT INTO {table} ({', '.join(columns)}) {rows} RETURNING {table}.{pk})"
        )
    if isinstance(steps[0], _Write):
        selected.append("w0.*")
    every = ", ".join(f"w{i}" for i in range(len(steps)))
    return f"WITH {', '.join(parts)} SELECT {', '.join(selected)} FROM {every}"


def _reference(quote, cte: dict[str, str], taken: Taken) -> str:
    column = f"{cte[taken.step]}.{quote(taken.column)}"
    if taken.template is None:
        return column
    # The template's text before and after "{}" are parameters (see ``_run_as_one_statement``).
    return f"(CAST(%s AS text) || CAST({column} AS text) || CAST(%s AS text))"
