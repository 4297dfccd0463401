"""The seal of approved minutes (chibo.lib.seal): what the minutes record, in identifiers
and values, with every amendment made since. Approval stores it on the meeting, each
amendment on itself; the latest one must match the content recomputed now.

The content has had two formats. Format 1 left out the tasks of the resolution; format 2
(every seal made since) covers them too: what was decided (the task, its owner, its
deadline), not the progress reported on it later, which is the tasks' own history. A
stored seal does not name its format, so a seal matches when the content in any format
gives it, newest first: a seal of format 2 can only be matched by format 2 (the content
names its format), so a task changed under it shows; a seal made before stays verifiable
over what it covered."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    BigIntegerField,
    BooleanField,
    DateField,
    DateTimeField,
    F,
    Field,
    IntegerField,
    Model,
    QuerySet,
    TextField,
    Value,
)
from django.db.models.functions import Cast

from chibo.lib import seal
from chibo.lib.statements import Statement
from chibo.meetings.models import (
    AgendaItem,
    Amendment,
    Attendance,
    Guest,
    Meeting,
    MeetingState,
    Speech,
    Task,
)

PREFETCH = ("attendance", "guests", "items__speeches", "amendments", "tasks")
# The formats of the content, newest first; new seals are made in the first.
FORMATS = (2, 1)


def minutes_content(meeting: Meeting, *, format: int = FORMATS[0]) -> dict[str, Any]:
    """The minutes in a canonical form: six queries, or none when the meeting comes with
    PREFETCH done (as `audit_minutes` gives them)."""
    items = list(meeting.items.all())
    return _content(
        meeting,
        attendance=list(meeting.attendance.all()),
        guests=list(meeting.guests.all()),
        items=items,
        speeches=[s for item in items for s in item.speeches.all()],
        amendments=list(meeting.amendments.all()),
        tasks=list(meeting.tasks.all()),
        format=format,
    )


def _content(
    meeting: Meeting,
    *,
    attendance: list[Attendance],
    guests: list[Guest],
    items: list[AgendaItem],
    speeches: list[Speech],
    amendments: list[Amendment],
    tasks: list[Task],
    format: int,
) -> dict[str, Any]:
    items = sorted(items, key=lambda item: (item.order, item.pk))
    amendments = sorted(amendments, key=lambda a: (a.made_at, a.pk))
    spoken: dict[int, list[Speech]] = {}
    for speech in speeches:
        spoken.setdefault(speech.item_id, []).append(speech)
    content: dict[str, Any] = {
        "meeting": meeting.pk,
        "unit": meeting.unit_id,
        "kind": meeting.kind,
        "month": meeting.month,
        "scheduled_at": meeting.scheduled_at,
        "started_at": meeting.started_at,
        "ended_at": meeting.ended_at,
        "place": meeting.place,
        "topic": meeting.topic,
        "chair": meeting.chair_id,
        "minutes_secretary": meeting.minutes_secretary_id,
        "conclusion": meeting.conclusion,
        "resolution": meeting.resolution,
        "votes": [meeting.votes_for, meeting.votes_against, meeting.votes_abstain],
        "approved_at": meeting.approved_at,
        "approved_by": meeting.approved_by_id,
        "attendance": sorted([a.member_id, a.status, a.reason] for a in attendance),
        "guests": [[g.name, g.title] for g in sorted(guests, key=lambda g: g.pk)],
        "items": [
            {
                "order": item.order,
                "kind": item.kind,
                "title": item.title,
                "notes": item.notes,
                "speeches": sorted([s.member_id, s.gist] for s in spoken.get(item.pk, [])),
            }
            for item in items
        ],
        "amendments": [
            [a.field, a.before, a.after, a.reason, a.made_by_id, a.made_at] for a in amendments
        ],
    }
    if format >= 2:
        content["format"] = format
        content["tasks"] = [
            [t.title, t.owner_id, t.owned_by_committee, t.deadline]
            for t in sorted(tasks, key=lambda t: t.pk)
        ]
    return content


def _current(stored: str, content: Callable[[int], dict[str, Any]]) -> str:
    """The digest of the content now: in the format that gives `stored` if one does, else
    in the newest format."""
    for format in FORMATS:
        value = seal.digest(content(format))
        if value == stored:
            return value
    return seal.digest(content(FORMATS[0]))


# The check reads the six tables of the content in one query, a union: each row gives its
# table's number, then each field the content reads in a column of the field's type (a
# NULL of that type where the table has no such field). One round trip instead of six.
_COLUMNS: dict[str, Field[Any, Any]] = {
    "i1": BigIntegerField(),
    "i2": BigIntegerField(),
    **{f"t{n}": TextField() for n in range(1, 6)},
    "at": DateTimeField(),
    "on": DateField(),
    "flag": BooleanField(),
}
# The tables: which rows, and which column each field is read into.
_TABLES: tuple[tuple[type[Model], str, dict[str, str]], ...] = (
    (
        Amendment,
        "meeting",
        {
            "pk": "i1",
            "made_by_id": "i2",
            "field": "t1",
            "before": "t2",
            "after": "t3",
            "reason": "t4",
            "seal": "t5",
            "made_at": "at",
        },
    ),
    (Attendance, "meeting", {"member_id": "i1", "status": "t1", "reason": "t2"}),
    (Guest, "meeting", {"pk": "i1", "name": "t1", "title": "t2"}),
    (
        AgendaItem,
        "meeting",
        {"pk": "i1", "order": "i2", "kind": "t1", "title": "t2", "notes": "t3"},
    ),
    (Speech, "item__meeting", {"item_id": "i1", "member_id": "i2", "gist": "t1"}),
    (
        Task,
        "meeting",
        {
            "pk": "i1",
            "owner_id": "i2",
            "title": "t1",
            "owned_by_committee": "flag",
            "deadline": "on",
        },
    ),
)
# A row of each table as a named tuple of its fields.
_ROW_TYPES = [namedtuple(model.__name__, fields) for model, _where, fields in _TABLES]
_POSITIONS = [[1 + list(_COLUMNS).index(c) for c in fields.values()] for _m, _w, fields in _TABLES]


def _content_rows(*, meeting: Any) -> QuerySet[Any]:
    branches = []
    for number, (model, where, fields) in enumerate(_TABLES):
        column_of = {column: field for field, column in fields.items()}
        branches.append(
            model._default_manager.filter(**{where: meeting})
            .order_by()
            .values_list(
                Value(number, output_field=IntegerField()),
                *(
                    F(column_of[column]) if column in column_of else Cast(Value(None), kind)
                    for column, kind in _COLUMNS.items()
                ),
            )
        )
    return branches[0].union(*branches[1:], all=True)


CONTENT_ROWS = Statement(_content_rows, meeting=IntegerField())


def broken(meeting: Meeting) -> bool:
    """Whether sealed minutes no longer match the seal they must match now (one query; the
    meeting row is the one given). Minutes never sealed have nothing to match (`chibo seals`
    counts them). It runs on every view of approved minutes, so it reads only the fields
    of the content, as tuples, in one compiled statement (docs/performance.md)."""
    tables: list[list[Any]] = [[] for _table in _TABLES]
    for row in CONTENT_ROWS(meeting=meeting.pk):
        number = row[0]
        tables[number].append(_ROW_TYPES[number]._make(row[i] for i in _POSITIONS[number]))
    amendments, attendance, guests, items, speeches, tasks = tables
    stored = latest(meeting, amendments)
    if not stored:
        return False

    def content(format: int) -> dict[str, Any]:
        return _content(
            meeting,
            attendance=attendance,
            guests=guests,
            items=items,
            speeches=speeches,
            amendments=amendments,
            tasks=tasks,
            format=format,
        )

    return _current(stored, content) != stored


def compute(meeting: Meeting) -> str:
    """The seal of the minutes as they are now, in the newest format."""
    return seal.digest(minutes_content(meeting))


def recompute(meeting: Meeting, stored: str) -> str:
    """The content's digest now, in the format of `stored` when it still matches."""
    return _current(stored, lambda format: minutes_content(meeting, format=format))


def seal_minutes(meeting: Meeting, amendment: Amendment | None = None) -> str:
    """Store the seal of the minutes as they are now: on the meeting at approval, on the
    amendment afterwards."""
    value = compute(meeting)
    if amendment is None:
        Meeting.objects.filter(pk=meeting.pk).update(minutes_seal=value)
        meeting.minutes_seal = value
    else:
        Amendment.objects.filter(pk=amendment.pk).update(seal=value)
        amendment.seal = value
    return value


def latest(meeting: Meeting, amendments: list[Amendment] | None = None) -> str:
    """The seal the minutes must match now: the last amendment's, or the approval's (pass
    the meeting's `amendments` when already read)."""
    if amendments is None:
        amendments = list(meeting.amendments.all())
    sealed = [a for a in amendments if a.seal]
    return max(sealed, key=lambda a: (a.made_at, a.pk)).seal if sealed else meeting.minutes_seal


def status(meeting: Meeting) -> seal.Status | None:
    """None for minutes not approved; otherwise whether they still match their seal."""
    if not meeting.is_locked:
        return None
    stored = latest(meeting)
    return seal.Status(stored, recompute(meeting, stored) if stored else None)


@dataclass
class Audit:
    """What checking the seals of many records found."""

    intact: int = 0
    sealed_now: int = 0
    unsealed: int = 0
    broken: list[str] = field(default_factory=list)


def audit_minutes(meetings: QuerySet[Meeting], *, seal_missing: bool = False) -> Audit:
    """Check the seal of every approved meeting among `meetings` (a fixed number of queries
    per 500); with `seal_missing`, seal those approved before seals were kept."""
    found = Audit()
    approved = (
        meetings.filter(state=MeetingState.APPROVED)
        .select_related("unit")
        .prefetch_related(*PREFETCH)
        .order_by("pk")
    )
    for meeting in approved.iterator(chunk_size=500):
        stored = latest(meeting)
        if not stored:
            if seal_missing:
                seal_minutes(meeting)
                found.sealed_now += 1
            else:
                found.unsealed += 1
        elif recompute(meeting, stored) == stored:
            found.intact += 1
        else:
            found.broken.append(f"{meeting.unit.code} {meeting.get_absolute_url()}")
    return found
