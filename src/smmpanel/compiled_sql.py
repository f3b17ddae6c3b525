"""Hot-path statements built once per process instead of once per call.

Django builds a queryset's SQL anew every time it runs: filters are resolved, joins
set up and the SQL compiled, which costs 0.3-1 ms of CPU per statement. For an API
``add`` that was most of the request (``bench/request_cost.py``). Here the ORM still
writes the SQL, from the same queryset code, and Django's own column converters and
model loading read the rows. Only the rebuilding is skipped:

- ``CompiledQuery`` compiles a queryset the first time it runs, with marker values for
  its parameters. Each later call runs that SQL with the real values in the markers'
  places.

What it buys (``bench/alternate.py --cost``: ``bench/request_cost.py`` on the checkouts
with and without this module, 3 alternating rounds of 100 requests per action, CPU of
the web process and the PostgreSQL backend, client-side binding on both; indicative, on
a shared 2-core machine): without it a ``balance`` cost 1.96 ms instead of 1.02 ms,
``services`` 2.36 instead of 1.04, ``status`` (100 ids) 4.65 instead of 2.18 and ``add``
11.54 instead of 7.96: the API's hot actions pay 45-127% more CPU. It relies on the
ORM's compiler (``get_compiler``, ``as_sql``, ``klass_info``, ``get_converters``,
``get_related_populators``); ``tests/test_compiled_sql.py`` compares its rows with the
ORM's, so a Django upgrade that changes them fails there first.

Use these only where a profile shows the cost; everywhere else the ORM reads better.
Writes go through the ORM.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections
from django.db.models import Lookup, Model, QuerySet
from django.db.models.query import ModelIterable, ValuesListIterable, get_related_populators

# Marker values, one per parameter name: nothing a real query passes looks like them.
# Integers stay within 32 bits, or Django drops a comparison with a 32-bit column as
# out of range. Text holds LIKE's special characters, so a lookup that rewrites its
# value (``contains``, ``iexact`` on SQLite: escaped for LIKE) is refused at first use:
# real values bound in its place would not be rewritten.
_MARKER_INT_BASE = 2_131_000_000
_MARKER_TEXT = "\x1f%_\\{}\x1f"


def _marker(kind: type, index: int, name: str) -> object:
    if kind is int:
        return _MARKER_INT_BASE + index
    if kind is str:
        return _MARKER_TEXT.format(name)
    if kind is datetime:
        return datetime(1901, 2, 3, 4, 5, 6, index + 1, tzinfo=UTC)
    raise TypeError(f"no marker for parameter type {kind!r}")


@dataclass(frozen=True)
class _Compiled:
    alias: str
    sql: str
    params: tuple[object, ...]  # constants, and markers where a value goes
    slots: tuple[tuple[int, str], ...]  # (position in params, parameter name)
    adapters: dict[str, Callable[[object], object]]
    compiler: object  # the SQLCompiler: its select list, klass_info and converters
    converters: dict
    # (model, init_list, start, end, populators, annotation columns) or None
    model_rows: tuple | None


class CompiledQuery:
    """A queryset, compiled to SQL on first use, run again with new parameter values.

    ``build`` takes the parameters by name and returns the queryset. ``kinds`` names
    each parameter's type (``int``, ``str`` or ``datetime``), so it can be compiled with
    a marker of that type. Every parameter must reach the SQL as a bound value, as
    ``filter(field=value)`` does (not inside a slice, for example)::

        ACTIVE_KEY = CompiledQuery(
            lambda digest: ApiKey.objects.filter(key_hash=digest)[:1], digest=str
        )
        key = ACTIVE_KEY.first(digest=...)
    """

    def __init__(self, build: Callable[..., QuerySet], **kinds: type):
        self._build, self._kinds = build, kinds
        self._compiled: _Compiled | None = None
        self._lock = threading.Lock()

    def all(self, **values: object) -> list:
        """The rows: model instances for a model queryset, tuples for ``values_list``."""
        return list(self._rows(values))

    def first(self, **values: object):
        """The first row (see ``all``), or None."""
        return next(self._rows(values), None)

    def scalar(self, **values: object):
        """The first column of the first row, or None: for ``values_list`` querysets."""
        row = next(self._rows(values), None)
        return None if row is None else row[0]

    def sql_with(self, **values: object) -> tuple[str, list[object]]:
        """The compiled SQL and its parameters for these values, to use inside another
        statement (``EXISTS (…)``)."""
        compiled = self._compile()
        return compiled.sql, self._params(compiled, values)

    def _params(self, compiled: _Compiled, values: dict[str, object]) -> list[object]:
        if values.keys() != self._kinds.keys():
            raise TypeError(f"expected parameters {sorted(self._kinds)}, got {sorted(values)}")
        params = list(compiled.params)
        for position, name in compiled.slots:
            params[position] = compiled.adapters[name](values[name])
        return params

    def _rows(self, values: dict[str, object]) -> Iterator:
        compiled = self._compile()
        params = self._params(compiled, values)
        with connections[compiled.alias].cursor() as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = compiled.compiler.apply_converters(rows, compiled.converters)
        if compiled.model_rows is None:
            return map(tuple, rows)
        return _instances(compiled, rows)

    def _compile(self) -> _Compiled:
        compiled = self._compiled
        if compiled is None:
            with self._lock:
                if self._compiled is None:
                    markers = {
                        name: _marker(kind, i, name)
                        for i, (name, kind) in enumerate(self._kinds.items())
                    }
                    self._compiled = _compile_queryset(self._build(**markers), markers, self._kinds)
                compiled = self._compiled
        return compiled


def scalars(*reads: tuple[CompiledQuery, dict[str, object]]) -> tuple:
    """The first column of the first row of each ``(query, values)`` (None where it has
    no row), read in one statement: ``SELECT (first), (second), …``."""
    parts, params = [], []
    for query, values in reads:
        sql, bound = query.sql_with(**values)
        parts.append(f"({sql})")
        params += bound
    alias = reads[0][0]._compile().alias
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        return tuple(cursor.fetchone())


def _compile_queryset(queryset: QuerySet, markers: dict, kinds: dict) -> _Compiled:
    iterable = queryset._iterable_class
    if iterable not in (ModelIterable, ValuesListIterable) or queryset._prefetch_related_lookups:
        raise ValueError("only model and plain values_list querysets, without prefetches")
    alias = queryset.db
    connection = connections[alias]
    compiler = queryset.query.get_compiler(using=alias)
    try:
        sql, params = compiler.as_sql()
    except (EmptyResultSet, FullResultSet):
        # A marker made a condition always false or true, so Django left it out.
        raise ValueError(f"{list(markers)}: a condition was dropped while compiling") from None
    adapters = {
        name: (connection.ops.adapt_datetimefield_value if kinds[name] is datetime else _same)
        for name in markers
    }
    by_value = {adapters[name](marker): name for name, marker in markers.items()}
    slots = tuple((i, by_value[p]) for i, p in enumerate(params) if _hashable(p) in by_value)
    missing = set(markers) - {name for _, name in slots}
    if missing:
        raise ValueError(f"parameters {sorted(missing)} do not reach the SQL as values")
    fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
    model_rows = None
    if iterable is ModelIterable:
        info = compiler.klass_info
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        init_list = [f[0].target.attname for f in compiler.select[start:end]]
        populators = get_related_populators(info, compiler.select, alias)
        annotations = tuple(compiler.annotation_col_map.items())
        model_rows = (info["model"], init_list, start, end, tuple(populators), annotations)
    return _Compiled(
        alias=alias,
        sql=sql,
        params=tuple(params),
        slots=slots,
        adapters=adapters,
        compiler=compiler,
        converters=compiler.get_converters(fields),
        model_rows=model_rows,
    )


def _instances(compiled: _Compiled, rows) -> Iterator[Model]:
    model, init_list, start, end, populators, annotations = compiled.model_rows
    for row in rows:
        obj = model.from_db(compiled.alias, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        for name, position in annotations:
            setattr(obj, name, row[position])
        yield obj


def _same(value: object) -> object:
    return value


def _hashable(value: object) -> object:
    try:
        hash(value)
    except TypeError:
        return None
    return value


class IdListed(Lookup):
    """``IdListed(F("id"), "3,1,2")``: the column is one of the ids in a comma-separated
    text of positive integers, bound as one parameter.

    ``pk__in=[…]`` binds one parameter per id, so each list length is another statement
    (and past 50 parameters psycopg stops caching its parse of the query). With one text
    parameter the statement is the same for any number of ids, and a ``CompiledQuery``
    can hold it. The caller builds the text from integers (it is a bound value, so
    anything else fails the statement rather than changing it).
    """

    lookup_name = "id_listed"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [str(value)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        # SQLite: the text read as a JSON array.
        return f"{lhs} IN (SELECT value FROM json_each('[' || {rhs} || ']'))", [
            *lhs_params,
            *rhs_params,
        ]

    def as_postgresql(self, compiler, connection):
        # The list is parsed in a scalar subquery, which PostgreSQL runs once per
        # execution (an InitPlan). Written as a plain function of the parameter, it ran
        # again for every row wherever the plan filtered the customer's orders by it
        # instead of probing the key: 1 ms for a status of 100 ids among 150 orders.
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        ids = f"(SELECT string_to_array({rhs}, ',')::bigint[])::bigint[]"
        return f"{lhs} = ANY({ids})", [*lhs_params, *rhs_params]
