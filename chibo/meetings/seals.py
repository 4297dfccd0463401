"""The seal of approved minutes (chibo.lib.seal): what the minutes record, in identifiers
and values, with every amendment made since. Approval stores it on the meeting, each
amendment on itself; the latest one must match the content recomputed now."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from chibo.lib import seal
from chibo.meetings.models import (
    AgendaItem,
    Amendment,
    Attendance,
    Guest,
    Meeting,
    MeetingState,
    Speech,
)

PREFETCH = ("attendance", "guests", "items__speeches", "amendments")


def minutes_content(meeting: Meeting) -> dict[str, Any]:
    """The minutes in a canonical form: five queries, or none when the meeting comes with
    PREFETCH done (as `sealed_meetings` gives them)."""
    items = list(meeting.items.all())
    return _content(
        meeting,
        attendance=list(meeting.attendance.all()),
        guests=list(meeting.guests.all()),
        items=items,
        speeches=[s for item in items for s in item.speeches.all()],
        amendments=list(meeting.amendments.all()),
    )


def _content(
    meeting: Meeting,
    *,
    attendance: list[Attendance],
    guests: list[Guest],
    items: list[AgendaItem],
    speeches: list[Speech],
    amendments: list[Amendment],
) -> dict[str, Any]:
    items = sorted(items, key=lambda item: (item.order, item.pk))
    amendments = sorted(amendments, key=lambda a: (a.made_at, a.pk))
    spoken: dict[int, list[Speech]] = {}
    for speech in speeches:
        spoken.setdefault(speech.item_id, []).append(speech)
    return {
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


def broken(meeting: Meeting) -> bool:
    """Whether sealed minutes no longer match the seal they must match now (five queries;
    the meeting row is the one given). Minutes never sealed have nothing to match (`chibo
    seals` counts them)."""
    amendments = list(Amendment.objects.filter(meeting=meeting))
    stored = latest(meeting, amendments)
    content = _content(
        meeting,
        attendance=list(Attendance.objects.filter(meeting=meeting)),
        guests=list(Guest.objects.filter(meeting=meeting)),
        items=list(AgendaItem.objects.filter(meeting=meeting)),
        speeches=list(Speech.objects.filter(item__meeting=meeting)),
        amendments=amendments,
    )
    return bool(stored) and seal.digest(content) != stored


def compute(meeting: Meeting) -> str:
    return seal.digest(minutes_content(meeting))


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
    return seal.Status(stored, compute(meeting) if stored else None)


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
        elif compute(meeting) == stored:
            found.intact += 1
        else:
            found.broken.append(f"{meeting.unit.code} {meeting.get_absolute_url()}")
    return found
