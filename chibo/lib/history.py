"""Readable change history from django-simple-history records, for any model."""

from __future__ import annotations

import datetime
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from chibo.lib.display import person

_KINDS = {"+": "created", "~": "changed", "-": "deleted"}

# What the changes being written came through when it was not the pages ("API", set by the
# API for its requests): the reason of every history row says so (`reason_with_source`),
# rows written one by one (the API's receiver of django-simple-history's signal) and in bulk
# (`bulk_reason`, for `bulk_*_with_history`, which sends no signal) alike.
WRITTEN_THROUGH: ContextVar[str] = ContextVar("chibo_written_through", default="")


def reason_with_source(reason: str | None) -> str | None:
    """`reason` marked with what the change came through, if not the pages."""
    source = WRITTEN_THROUGH.get()
    if not source:
        return reason
    return f"{source}: {reason}" if reason else source


def bulk_reason() -> str | None:
    """The `default_change_reason` of history rows written in bulk."""
    return reason_with_source(None)


@dataclass
class Change:
    """One field's old and new value, as shown to people."""

    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    """One recorded change to an object: who, when, what."""

    when: datetime.datetime
    who: str
    kind: str
    reason: str
    changes: list[Change] = field(default_factory=list)


def _shown(model_field: models.Field[Any, Any], value: Any) -> str:
    if value is None or value == "":
        return "—"
    choices = dict(model_field.flatchoices) if model_field.choices else {}
    return str(choices.get(value, value))


def history_entries(
    records: list[Any], *, hidden: frozenset[str] = frozenset()
) -> list[HistoryEntry]:
    """Entries for `records` (newest first, `history_user` selected), each compared with
    the record before it."""
    entries = []
    for index, newer in enumerate(records):
        older = records[index + 1] if index + 1 < len(records) else None
        who = person(newer.history_user)
        entry = HistoryEntry(
            when=newer.history_date,
            who=who,
            kind=_KINDS.get(newer.history_type, newer.history_type),
            reason=newer.history_change_reason or "",
        )
        if older is not None and newer.history_type == "~":
            delta = newer.diff_against(older)
            meta = newer.instance_type._meta
            for change in delta.changes:
                if change.field in hidden:
                    continue
                model_field = meta.get_field(change.field)
                entry.changes.append(
                    Change(
                        str(model_field.verbose_name),
                        _shown(model_field, change.old),
                        _shown(model_field, change.new),
                    )
                )
        entries.append(entry)
    return entries
