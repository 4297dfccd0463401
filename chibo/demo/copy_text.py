"""COPY text into SQLite: the rows the national generator writes for PostgreSQL's COPY,
inserted as they come, a thousand rows per INSERT.

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
import sqlite3
from collections.abc import Sequence
from functools import lru_cache

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


@lru_cache(maxsize=64)
def statement(
    model: type[models.Model], columns: tuple[str, ...], exact: bool, rows: int = 1
) -> str:
    """The INSERT of `rows` rows of `columns` of `model` from COPY fields bound as text
    (`?` placeholders, for the driver itself): with `exact`, for fields already unescaped
    (NULL bound as None), else for the raw fields."""
    qn = connection.ops.quote_name
    by_column = {f.column: f for f in model._meta.concrete_fields}
    values = []
    for column in columns:
        field = by_column[column]
        value = "?" if exact or not field.null else f"NULLIF(?, '{NULL}')"
        kind = field.get_internal_type()
        if kind == "BooleanField":
            value = f"CASE {value} WHEN 't' THEN 1 WHEN 'f' THEN 0 END"
        elif kind == "DateTimeField":
            # `+07` becomes `+07:00`, the offset SQLite's date functions read; the result
            # is UTC, as Django stores it.
            value = f"datetime({value} || ':00')"
        values.append(value)
    names = ", ".join(qn(c) for c in columns)
    row = f"({', '.join(values)})"
    # Names of the project's own table and columns, quoted; the values are bound.
    return f"INSERT INTO {qn(model._meta.db_table)} ({names}) VALUES {', '.join([row] * rows)}"  # noqa: S608


def exact_rows(text: str) -> list[list[str | None]]:
    """The rows of COPY `text` (complete lines), unescaped, NULL as None."""
    if text and not text.endswith("\n"):
        raise ValueError("COPY text must end with a complete line")
    return [[_field(f) for f in line.split("\t")] for line in text.split("\n")[:-1]]


def raw_fields(text: str, width: int) -> list[str] | None:
    """The fields of COPY `text` (complete lines of `width` fields) one after another, as
    written, or None if a backslash in it escapes anything but a NULL."""
    if "\\" in text.replace(NULL, ""):
        return None
    if not text:
        return []
    lines = text.count("\n")
    # One split of the whole text: no list per row.
    fields = text[:-1].replace("\n", "\t").split("\t")
    if not text.endswith("\n") or len(fields) != lines * width:
        raise ValueError(
            f"COPY text of {width} columns expected: {len(fields)} fields in {lines} lines"
        )
    return fields


# Rows per INSERT: a statement per row cost SQLite more than the rows' own writing (and
# each updates the AUTOINCREMENT counter); a thousand halve the attendance's insert.
ROWS_PER_STATEMENT = 1000


def insert(model: type[models.Model], columns: Sequence[str], text: str) -> None:
    """Insert the rows of COPY `text` (complete lines) of `columns` into `model`'s table,
    in the connection's transaction. The driver's connection is used directly: Django's
    cursor would log each statement of a thousand rows, their values interpolated, when
    DEBUG is on; errors still come out as Django's."""
    columns = tuple(columns)
    width = len(columns)
    fields = raw_fields(text, width)
    driver = connection.connection
    with connection.wrap_database_errors:
        if fields is None:
            driver.executemany(statement(model, columns, True), exact_rows(text))
            return
        limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        per = max(1, min(ROWS_PER_STATEMENT, limit // width))
        step = per * width
        whole = len(fields) // step * step
        if whole:
            driver.executemany(
                statement(model, columns, False, per),
                (fields[at : at + step] for at in range(0, whole, step)),
            )
        if whole < len(fields):
            rest = fields[whole:]
            driver.execute(statement(model, columns, False, len(rest) // width), rest)
