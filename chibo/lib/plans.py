"""Queries planned for their own values, on PostgreSQL with prepared statements.

A kept connection prepares a query it has run `DB_PREPARE_THRESHOLD` times (settings.py),
and PostgreSQL may then run it with a generic plan, made once for any value of its
parameters. That is what a cell's page wants: its queries are small and their plans the same
for every cell, and planning was most of their time. An aggregate over a subtree and a
period is the opposite: planning is a fraction of a millisecond beside tens of milliseconds
of execution, and the right plan depends on the values. Measured on the national size, the
province dashboard's count of thematic quarters ran 81 ms with the generic plan, which
cannot know that the period's months are a thirty-fourth of the table, against 18 ms
planned for its values; on the province size two of its queries took 38 and 7 ms instead of
19 and 6 (docs/performance.md).

Inside `custom_plans()` the connection prepares nothing (`chibo.lib.postgresql` sets the
driver's threshold for each cursor it opens), so every query is planned for its values.
`chibo.lib.replica.reads_from_replica` enters it: the reads it marks are the aggregate ones
(the dashboards, the reports, the exports, the search). Elsewhere, and on SQLite, it changes
nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_custom: ContextVar[bool] = ContextVar("chibo_custom_plans", default=False)


@contextmanager
def custom_plans() -> Iterator[None]:
    """Queries run inside this block are not prepared: each is planned for its values."""
    token = _custom.set(True)
    try:
        yield
    finally:
        _custom.reset(token)


def wanted() -> bool:
    """Whether the queries run now are to be planned for their values."""
    return _custom.get()
