"""Keys sent to the database in pieces. A query's parameters are bounded (PostgreSQL's
protocol takes at most 65,535 in one statement) and a province holds more records than
that: a check that reads the rows of every approved meeting asks for them a batch of keys
at a time."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import TypeVar

T = TypeVar("T")

BATCH = 10_000


def batches(values: Iterable[T], size: int | None = None) -> Iterator[list[T]]:
    """`values` in lists of at most `size` (BATCH), in their order."""
    size = size or BATCH
    items = iter(values)
    while batch := list(islice(items, size)):
        yield batch
