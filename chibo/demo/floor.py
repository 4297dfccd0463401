"""The floor of a seed: the seconds a plain bulk load of the same rows takes, into tables of
the same columns with no index, constraint, trigger or default. No seed of those rows can be
faster, so `chibo bench` reports the seed as a multiple of it (issue: seed within 3×).

PostgreSQL: each table's rows are first written to a file with `COPY … TO` (not timed),
then loaded with `COPY … FROM` (timed), as a restore would. SQLite: read in batches (not
timed) and inserted with `executemany` in one transaction (timed, with its commit), the
fastest load its Python driver offers."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import connection, transaction

BATCH = 50_000


def copy_into_scratch(cursor: Any, table: str, columns: Sequence[str], path: Path) -> float:
    """Seconds to COPY the rows in `path` (COPY text of `columns`) into a new table shaped as
    `table` without its indexes (PostgreSQL); the scratch table is dropped after."""
    qn = connection.ops.quote_name
    scratch = qn(f"floor_{table}"[:63])
    cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
    # LIKE without INCLUDING copies the columns and their NOT NULL only.
    cursor.execute(f"CREATE TABLE {scratch} (LIKE {qn(table)})")
    start = time.perf_counter()
    with (
        transaction.atomic(),
        path.open() as source,
        cursor.cursor.copy(
            f"COPY {scratch} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
        ) as copy,
    ):
        while chunk := source.read(1 << 20):
            copy.write(chunk)
    elapsed = time.perf_counter() - start
    cursor.execute(f"DROP TABLE {scratch}")
    return elapsed


def _tables() -> list[tuple[str, list[str]]]:
    """Every table of the project's models (many-to-many tables included), with its columns."""
    seen: set[str] = set()
    tables = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if not meta.managed or meta.proxy or meta.db_table in seen:
            continue
        seen.add(meta.db_table)
        tables.append((meta.db_table, [f.column for f in meta.concrete_fields]))
    return tables


def copy_table_into_scratch(table: str, columns: Sequence[str], folder: Path) -> tuple[int, float]:
    """The rows of `columns` of `table` and the seconds a plain COPY of them takes into a
    scratch table (`copy_into_scratch`), written to a file in `folder` first (not timed)."""
    qn = connection.ops.quote_name
    path = folder / "rows.copy"
    rows = 0
    with connection.cursor() as cursor:
        with (
            path.open("w") as out,
            cursor.cursor.copy(
                f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) TO STDOUT"
            ) as copy,
        ):
            for data in copy:
                text = bytes(data).decode()
                rows += text.count("\n")
                out.write(text)
        if not rows:
            return 0, 0.0
        return rows, copy_into_scratch(cursor, table, columns, path)


def _sqlite(table: str, columns: list[str]) -> tuple[int, float]:
    qn = connection.ops.quote_name
    scratch = qn(f"floor_{table}")
    names = ", ".join(qn(c) for c in columns)
    seconds = 0.0
    rows = 0
    with connection.cursor() as cursor, connection.cursor() as writer:
        writer.execute(f"DROP TABLE IF EXISTS {scratch}")
        # CREATE TABLE … AS copies the columns only: no key, index or constraint.
        # Names of the project's own tables and columns, quoted.
        create = f"CREATE TABLE {scratch} AS SELECT {names} FROM {qn(table)} WHERE 0"  # noqa: S608
        writer.execute(create)
        values = ", ".join("%s" for _ in columns)
        insert = f"INSERT INTO {scratch} ({names}) VALUES ({values})"  # noqa: S608
        with transaction.atomic():
            cursor.execute(f"SELECT {names} FROM {qn(table)}")  # noqa: S608
            while batch := cursor.fetchmany(BATCH):
                start = time.perf_counter()
                writer.executemany(insert, batch)
                seconds += time.perf_counter() - start
                rows += len(batch)
            committing = time.perf_counter()
        # The commit is timed, as on PostgreSQL: a load is done when it is durable.
        seconds += time.perf_counter() - committing
        writer.execute(f"DROP TABLE {scratch}")
    return rows, seconds


def plain_load(progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """The rows of every table of the database and the seconds a plain bulk load of them
    takes (`seconds`), the tables over a second named in `slowest`."""
    total = 0.0
    rows = 0
    slowest: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="chibo-floor-") as folder:
        for table, columns in _tables():
            if connection.vendor == "postgresql":
                count, seconds = copy_table_into_scratch(table, columns, Path(folder))
            else:
                count, seconds = _sqlite(table, columns)
            total += seconds
            rows += count
            if seconds >= 1:
                slowest[table] = round(seconds, 1)
                progress(f"plain load of {table}: {count} rows, {seconds:.1f} s")
    # Milliseconds kept: a small seed's rows load in a few.
    return {"seconds": round(total, 4), "rows": rows, "slowest": slowest}
