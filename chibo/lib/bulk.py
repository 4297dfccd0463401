"""Fast inserts for loads of many rows (imports, the demo seed).

`QuerySet.bulk_create` compiles every value through the ORM, which costs more than the
database itself at 100,000 rows. Here each column gets one adapter, chosen once, and the
rows go to the driver: PostgreSQL's COPY (one stream instead of a statement per row: a
150,000-member import spent most of its time in row-by-row INSERTs), `executemany`
elsewhere. No signals, no history: callers record the load themselves.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models


def _adapter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    ops = connection.ops
    if isinstance(field, models.DateField) and connection.vendor == "postgresql":
        return None  # psycopg sends dates and datetimes as they are (so does Django there)
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(field, models.UUIDField | models.JSONField | models.DecimalField):
        return lambda value: field.get_db_prep_save(value, connection)
    return None


def insert_objects(objs: Sequence[models.Model], *, batch_size: int = 5000) -> None:
    """INSERT unsaved instances of one model with automatic primary keys. The keys are
    not read back: find the rows again by a unique field when you need them."""
    if not objs:
        return
    meta = type(objs[0])._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    # One C call reads every column of an object; only the columns that need it are adapted.
    names = [f.attname for f in fields]
    values_of = (
        operator.attrgetter(*names) if len(names) > 1 else lambda obj: (getattr(obj, names[0]),)
    )
    adapters = [(i, adapt) for i, f in enumerate(fields) if (adapt := _adapter(f)) is not None]
    with connection.cursor() as cursor:
        for start in range(0, len(objs), batch_size):
            rows: list[Any] = []
            for obj in objs[start : start + batch_size]:
                row = values_of(obj)
                if adapters:
                    adapted = list(row)
                    for i, adapt in adapters:
                        if adapted[i] is not None:
                            adapted[i] = adapt(adapted[i])
                    row = tuple(adapted)
                rows.append(row)
            _write(cursor, sql, rows)


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """INSERT plain tuples into `model`'s table: `fields` are attribute names (`unit_id`),
    values must already be what the driver takes (dates as ISO text on SQLite)."""
    if not rows:
        return
    meta = model._meta
    qn = connection.ops.quote_name
    by_attname = {f.attname: f.column for f in meta.concrete_fields}
    columns = ", ".join(qn(by_attname[name]) for name in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {qn(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        _write(cursor, sql, rows)


def _write(cursor: Any, insert: str, rows: Sequence[Sequence[Any]]) -> None:
    """Send `rows` for the INSERT statement `insert`: as one COPY on PostgreSQL (the same
    table and columns), through `executemany` elsewhere. Driver errors come out as Django's
    (IntegrityError and the others), as from any query."""
    if connection.vendor != "postgresql":
        cursor.executemany(insert, rows)
        return
    copy_sql = insert.replace("INSERT INTO", "COPY", 1).split(" VALUES ", 1)[0] + " FROM STDIN"  # noqa: S608 (quoted names from the model)
    with connection.wrap_database_errors, cursor.cursor.copy(copy_sql) as copy:
        for row in rows:
            copy.write_row(row)


def reset_sequences(*models_: type[models.Model]) -> None:
    """After inserting explicit primary keys, let the database's counters continue."""
    from django.core.management.color import no_style

    statements = connection.ops.sequence_reset_sql(no_style(), list(models_))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
