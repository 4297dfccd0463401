"""Querysets built and compiled once, run many times with new values.

Django builds a queryset and compiles its SQL again on every run. For the few queries made
on nearly every request (the user with their grants, a meeting by its number, what a
meeting page lists) that is most of their cost: half a millisecond each, against a tenth
for the database to answer. A `Statement` is such a queryset written once, with `Param`
where a value changes from run to run. Its SQL is compiled on first use on each database
alias; a run binds the values in place of the parameters and goes on through Django's own
iteration (`select_related`, converters, `Model.from_db`), so it returns what the same
queryset built with those values returns.

Only querysets whose SQL does not depend on the values belong here: no `__in` lists that
grow, no filters added or left out by a value (a statement per shape then, as
`content.panels.materials_of_month` has one per depth of the tree). Anything else stays an
ordinary queryset. Everything in `build()` that is not a `Param` is fixed at the first run
for the life of the process: today's date, a setting, a user must be parameters.

A page that needs several statements whose values it knows at once (a meeting, its tasks,
its visitors) binds each (`Statement.bind`) and runs them with `run_together`: on
PostgreSQL they travel to the server and back in one round trip instead of one each.
"""

from __future__ import annotations

import copy
import functools
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Expression, Field, Model, QuerySet
from django.db.models.sql.compiler import SQLCompiler, cursor_iter
from django.db.models.sql.constants import GET_ITERATOR_CHUNK_SIZE

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class _Slot:
    """Where a parameter's value goes among the compiled query's parameters."""

    name: str
    field: Field[Any, Any]


class Param(Expression):
    """A named value of a statement, given when it runs; `output_field` says how the
    value is sent to the database (as a model field of that type would send it)."""

    def __init__(self, name: str, output_field: Field[Any, Any]) -> None:
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler: Any, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
        return "%s", [_Slot(self.name, self.output_field)]


@dataclass(frozen=True)
class _Compiled(Generic[M]):
    queryset: QuerySet[M]
    compiler: SQLCompiler
    sql: str
    params: tuple[Any, ...]
    names: frozenset[str]


class Statement(Generic[M]):
    """`build()` returns the queryset, with `Param` for what changes; calling the statement
    with a value for each parameter returns its rows as a list of model instances."""

    def __init__(self, build: Callable[[], QuerySet[M]], *, using: str = DEFAULT_DB_ALIAS):
        self.build = build
        self.using = using
        self._compiled: dict[str, _Compiled[M]] = {}
        # How each selected column's value is converted, per connection (Django works it
        # out again at each run, comparing every column's fields: a fifth of a run's time).
        self._converters: weakref.WeakKeyDictionary[BaseDatabaseWrapper, Any] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()

    def __call__(self, **values: Any) -> list[M]:
        return self.bind(**values).run()

    def bind(self, **values: Any) -> Run[M]:
        """A run of the statement with these values, to be made by `run()` or, with other
        runs, by `run_together()`."""
        compiled = self._compiled.get(self.using) or self._compile()
        if values.keys() != compiled.names:
            raise TypeError(
                f"the statement takes {sorted(compiled.names)}, was given {sorted(values)}"
            )
        connection = connections[self.using]
        bound = tuple(
            _bind(param, values, connection) if isinstance(param, _Slot) else param
            for param in compiled.params
        )
        # The compiler keeps what Django's iteration reads after compiling (the selected
        # columns, how the related objects are laid out); a copy per run, on this thread's
        # connection, answers with the compiled SQL instead of compiling again.
        compiler = copy.copy(compiled.compiler)
        compiler.connection = connection
        sql = compiled.sql
        compiler.as_sql = lambda *args, **kwargs: (sql, bound)  # type: ignore[method-assign]
        converters = self._converters.get(connection)
        if converters is None:
            columns = [column[0] for column in compiler.select[: compiler.col_count]]
            converters = self._converters.setdefault(connection, compiler.get_converters(columns))
        compiler.get_converters = lambda expressions: converters  # type: ignore[method-assign]
        queryset = compiled.queryset.all()
        queryset.query.get_compiler = lambda *args, **kwargs: compiler  # type: ignore[method-assign]
        return Run(queryset, compiler, sql, bound)

    def _compile(self) -> _Compiled[M]:
        with self._lock:
            compiled = self._compiled.get(self.using)
            if compiled is None:
                queryset = self.build().using(self.using)
                compiler = queryset.query.get_compiler(using=self.using)
                sql, params = compiler.as_sql()
                names = frozenset(p.name for p in params if isinstance(p, _Slot))
                compiled = _Compiled(queryset, compiler, sql, tuple(params), names)
                self._compiled[self.using] = compiled
            return compiled


def _bind(slot: _Slot, values: Mapping[str, Any], connection: BaseDatabaseWrapper) -> Any:
    return slot.field.get_db_prep_value(values[slot.name], connection, prepared=False)


@dataclass(frozen=True)
class Run(Generic[M]):
    """A statement bound to its values (`Statement.bind`), not yet run."""

    queryset: QuerySet[M]
    compiler: SQLCompiler
    sql: str
    params: tuple[Any, ...]

    def run(self) -> list[M]:
        return list(self.queryset)

    def _run_on(self, rows: list[Any]) -> list[M]:
        """The run's objects, built by Django's iteration from `rows`, fetched already in
        the shape `execute_sql` returns them (chunks of rows)."""
        self.compiler.execute_sql = lambda *args, **kwargs: rows  # type: ignore[method-assign,assignment]
        return list(self.queryset)


def run_together(*runs: Run[Any]) -> list[list[Any]]:
    """The objects of each run, as `run()` returns them, with the queries sent to the
    database at once: on PostgreSQL one round trip for all of them (psycopg's pipeline
    mode), where one after another would wait for each answer in turn, and as one implicit
    transaction, so they see the same state. Elsewhere, or for a single run, they run one
    after another, as separate calls would. The runs are on one database."""
    aliases = {run.queryset.db for run in runs}
    if len(aliases) > 1:
        raise ValueError(f"runs on several databases: {sorted(aliases)}")
    if len(runs) < 2:
        return [run.run() for run in runs]
    connection = connections[aliases.pop()]
    if connection.vendor != "postgresql" or not _pipelines():
        return [run.run() for run in runs]
    # Django's cursors (its checks, error wrapping and query log), opened before the
    # pipeline so that a connection is made or checked outside it.
    cursors = [connection.cursor() for _ in runs]
    try:
        with connection.wrap_database_errors:
            # Leaving the pipeline sends the queries with one Sync and reads all the
            # answers into the cursors: a single round trip.
            with connection.connection.pipeline():
                for cursor, run in zip(cursors, runs, strict=True):
                    cursor.execute(run.sql, run.params)
            # What execute_sql returns for a list of rows, from each cursor in turn.
            fetched = [
                list(
                    cursor_iter(
                        cursor,
                        connection.features.empty_fetchmany_value,
                        run.compiler.col_count if run.compiler.has_extra_select else None,
                        GET_ITERATOR_CHUNK_SIZE,
                    )
                )
                for cursor, run in zip(cursors, runs, strict=True)
            ]
    finally:
        for cursor in cursors:
            cursor.close()
    return [run._run_on(rows) for run, rows in zip(runs, fetched, strict=True)]


@functools.cache
def _pipelines() -> bool:
    import psycopg

    return bool(psycopg.Pipeline.is_supported())


__all__: Sequence[str] = ["Param", "Run", "Statement", "run_together"]
