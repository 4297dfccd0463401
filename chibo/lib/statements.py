"""Querysets compiled once per process and run many times with new values.

Django builds a queryset and compiles its SQL again on every run: for a short query that is
most of its cost (about a millisecond of Python against a tenth for the database). A
`Statement` is a function that builds a queryset from keyword values, with the type of each
value; it is called with those values once at its first run, each a `Param` placeholder, and
the SQL compiled then is reused with the values bound in their place. Django's own iteration
(`select_related`, converters, `Model.from_db`) still builds the objects.

Kept only where a measurement showed it to save more than a tenth of a page's CPU
(docs/performance.md). With `CHIBO_STATEMENTS` off, a statement is the same function called
with the real values: a plain queryset, built and compiled on each run.

What is not a parameter is frozen for the life of the process, so only constants may be:
compiling refuses a date or a time written into the query's conditions (today's date must
be a parameter), and a test compiles every statement on two different days and under changed
settings and finds the same SQL and values.
"""

from __future__ import annotations

import copy
import datetime
import threading
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Expression, Field, Lookup, Model, QuerySet
from django.db.models.expressions import BaseExpression
from django.db.models.sql import Query
from django.db.models.sql.compiler import SQLCompiler

M = TypeVar("M", bound=Model)

# Every statement made, for the test that nothing but constants is frozen.
ALL: list[Statement[Any]] = []


def enabled() -> bool:
    return bool(getattr(settings, "CHIBO_STATEMENTS", True))


@dataclass(frozen=True)
class _Slot:
    """Where a parameter's value goes among the compiled query's parameters."""

    name: str
    field: Field[Any, Any]


class Param(Expression):
    """A named value of a statement, given when it runs; `output_field` says how the value
    is sent to the database (as a model field of that type would send it)."""

    def __init__(self, name: str, output_field: Field[Any, Any]) -> None:
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler: Any, connection: BaseDatabaseWrapper) -> tuple[str, list[Any]]:
        return "%s", [_Slot(self.name, self.output_field)]


class FrozenValue(TypeError):
    """A statement's query holds a value that changes over time (a date) as a constant."""


@dataclass(frozen=True)
class Compiled(Generic[M]):
    queryset: QuerySet[M]
    compiler: SQLCompiler
    sql: str
    params: tuple[Any, ...]

    def fixed(self) -> tuple[Any, ...]:
        """The values compiled into the statement (all but its parameters)."""
        return tuple(p for p in self.params if not isinstance(p, _Slot))


class Statement(Generic[M]):
    """`build(**values)` returns the queryset; `params` names each value with its field.
    Calling the statement with a value for each returns its rows as model instances."""

    def __init__(self, build: Callable[..., QuerySet[M]], **params: Field[Any, Any]) -> None:
        self.build = build
        self.params = params
        self._compiled: dict[str, Compiled[M]] = {}
        # How each selected column's value is converted, per connection (Django works it
        # out again at each run, comparing every column's fields).
        self._converters: weakref.WeakKeyDictionary[BaseDatabaseWrapper, Any] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()
        ALL.append(self)

    def __call__(self, **values: Any) -> list[M]:
        if values.keys() != self.params.keys():
            raise TypeError(
                f"the statement takes {sorted(self.params)}, was given {sorted(values)}"
            )
        if not enabled():
            return list(self.build(**values))
        compiled = self._compiled.get(DEFAULT_DB_ALIAS) or self.compile()
        connection = connections[DEFAULT_DB_ALIAS]
        bound = tuple(
            p.field.get_db_prep_value(values[p.name], connection, prepared=False)
            if isinstance(p, _Slot)
            else p
            for p in compiled.params
        )
        # The compiler keeps what Django's iteration reads after compiling (the selected
        # columns, the layout of related objects); a copy per run, on this thread's
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
        return list(queryset)

    def compile(self, *, keep: bool = True) -> Compiled[M]:
        """The statement's SQL, compiled with a placeholder for each parameter (kept for the
        next runs unless `keep` is False)."""
        with self._lock:
            compiled = self._compiled.get(DEFAULT_DB_ALIAS) if keep else None
            if compiled is None:
                queryset = self.build(
                    **{name: Param(name, field) for name, field in self.params.items()}
                )
                compiler = queryset.query.get_compiler(using=DEFAULT_DB_ALIAS)
                sql, params = compiler.as_sql()
                frozen = list(_dates_in(queryset.query.where))
                if frozen:
                    raise FrozenValue(f"a statement would freeze {frozen}: make it a parameter")
                compiled = Compiled(queryset, compiler, sql, tuple(params))
                if keep:
                    self._compiled[DEFAULT_DB_ALIAS] = compiled
            return compiled


def _dates_in(node: Any, depth: int = 0) -> Iterator[Any]:
    """The dates and times written as values into a query's conditions (its subqueries'
    too): what a statement would keep for the life of the process."""
    if depth > 20:
        return
    if isinstance(node, datetime.date | datetime.time):
        yield node
    elif isinstance(node, list | tuple):
        for child in node:
            yield from _dates_in(child, depth + 1)
    elif isinstance(node, Query):
        yield from _dates_in(node.where, depth + 1)
    elif hasattr(node, "children"):  # a WhereNode
        yield from _dates_in(node.children, depth + 1)
    elif isinstance(node, Lookup):
        yield from _dates_in([node.lhs, node.rhs], depth + 1)
    elif hasattr(node, "query") and isinstance(node.query, Query):  # a subquery
        yield from _dates_in(node.query, depth + 1)
    elif isinstance(node, BaseExpression):
        yield from _dates_in(node.get_source_expressions(), depth + 1)
