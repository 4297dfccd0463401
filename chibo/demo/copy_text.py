"""COPY text into SQLite: the rows the national generator writes for PostgreSQL's COPY,
inserted with `executemany` as they come.

The generator writes each row as one line of PostgreSQL's COPY text format: fields
separated by tabs, `\\N` for NULL, `t`/`f` for booleans, timestamps with their offset
(`2025-03-05 08:00:00+07`) and backslashes doubled. SQLite has no COPY, and converting
every field in Python would cost more than the insert itself (tens of millions of
fields), so each field is bound as the text it is and converted by SQLite in C, in the
INSERT statement: `NULLIF(?, '\\N')` for a nullable column, a CASE for a boolean,
`datetime()` (which understands the offset) for a timestamp, which Django keeps as naive
UTC text on SQLite. Integers, dates and decimals need nothing: text bound to a column of
INTEGER or NUMERIC affinity is stored as the number it spells, and a date is its ISO text.

A batch in which a backslash escapes anything (a backslash in a JSON document, say) is
parsed exactly in Python instead and inserted with the statement that converts only
booleans and timestamps.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache
from itertools import repeat
from typing import Any

from django.db import connection, models

NULL = "\\N"
ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def _unescape(match: re.Match[str]) -> str:
    try:
        return ESCAPES[match.group(1)]
    except KeyError:
        raise ValueError(f"COPY text escape not understood: \\{match.group(1)}") from None


def _field(text: str) -> str | None:
    if text == NULL:
        return None
    return ESCAPE.sub(_unescape, text) if "\\" in text else text


@cache
def statement(model: type[models.Model], columns: tuple[str, ...], exact: bool) -> str:
    """The INSERT of `columns` of `model` from COPY fields bound as text: with `exact`, for
    fields already unescaped (NULL bound as None), else for the raw fields."""
    qn = connection.ops.quote_name
    by_column = {f.column: f for f in model._meta.concrete_fields}
    values = []
    for column in columns:
        field = by_column[column]
        value = "%s" if exact or not field.null else f"NULLIF(%s, '{NULL}')"
        kind = field.get_internal_type()
        if kind == "BooleanField":
            value = f"CASE {value} WHEN 't' THEN 1 WHEN 'f' THEN 0 END"
        elif kind == "DateTimeField":
            # `+07` becomes `+07:00`, the offset SQLite's date functions read; the result
            # is UTC, as Django stores it.
            value = f"datetime({value} || ':00')"
        values.append(value)
    names = ", ".join(qn(c) for c in columns)
    # Names of the project's own table and columns, quoted; the values are bound.
    return f"INSERT INTO {qn(model._meta.db_table)} ({names}) VALUES ({', '.join(values)})"  # noqa: S608


def rows(text: str) -> tuple[Iterable[Sequence[Any]], bool]:
    """The rows of COPY `text` (complete lines) and whether they are exact (unescaped, NULL
    as None) or raw fields for the converting statement."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if "\\" not in text.replace(NULL, ""):
        return map(str.split, lines, repeat("\t")), False
    return ([_field(f) for f in line.split("\t")] for line in lines), True


def insert(cursor: Any, model: type[models.Model], columns: Sequence[str], text: str) -> None:
    """Insert the rows of COPY `text` of `columns` into `model`'s table."""
    found, exact = rows(text)
    cursor.executemany(statement(model, tuple(columns), exact), found)
