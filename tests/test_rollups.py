"""The rollups kept by the services equal a from-scratch computation after random edits."""

from __future__ import annotations

import datetime
import io
import random

import pytest
from django.core.management import call_command

from chibo.meetings import services
from chibo.meetings.models import AttendanceStatus, CellMonth, MeetingKind, MeetingStats
from chibo.meetings.stats import rebuild
from chibo.members.models import Member
from chibo.orgs.models import Unit
from tests.factories import D, complete, planned, rate_members

pytestmark = pytest.mark.django_db

STATUSES = [
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.LEFT_EARLY,
    AttendanceStatus.ABSENT_EXCUSED,
    AttendanceStatus.ABSENT_UNEXCUSED,
]


def snapshot() -> tuple[list[object], list[object]]:
    stats: list[object] = list(MeetingStats.objects.order_by("meeting_id").values_list())
    months: list[object] = list(
        CellMonth.objects.order_by("unit_id", "month").values_list(
            *[f.attname for f in CellMonth._meta.concrete_fields if f.attname != "id"]
        )
    )
    return stats, months


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollups_equal_a_rebuild_after_random_edits(seed: int) -> None:
    rng = random.Random(seed)
    Member.objects.filter(pk__in=Member.objects.order_by("?").values("pk")[:8]).update(
        holds_leadership_post=True
    )
    meetings = []
    for code in ("X001.01", "X001.02", "X002.01"):
        for month in (3, 4):
            kind = rng.choice([MeetingKind.REGULAR, MeetingKind.COMBINED, MeetingKind.THEMATIC])
            meeting = planned(code=code, kind=kind, day=D(2026, month, rng.randint(2, 20)))
            meetings.append(complete(meeting))
    for _step in range(40):
        meeting = rng.choice(meetings)
        action = rng.randrange(5)
        if action == 0:
            entries = {
                m.pk: (str(rng.choice(STATUSES)), "Ốm")
                for m, _row in services.attendance_roster(meeting)
            }
            services.record_attendance(meeting=meeting, entries=entries, by=None)
        elif action == 1:
            item = rng.choice(list(meeting.items.all()))
            member = rng.choice(list(Member.objects.filter(unit=meeting.unit)))
            services.add_speech(item=item, member=member, gist="Ý kiến", by=None)
        elif action == 2:
            services.set_quality_level(
                meeting=meeting, level=rng.choice(["tot", "kha", "trung_binh", "kem", ""])
            )
        elif action == 3:
            services.add_guest(
                meeting=meeting, name="Đ/c Trần Văn Bình", title="Đảng ủy xã",
                is_upper_attendee=rng.random() < 0.5, by=None,
            )  # fmt: skip
        else:
            start = datetime.datetime.combine(meeting.month, datetime.time(19), tzinfo=datetime.UTC)
            services.save_minutes(
                meeting=meeting,
                data={
                    "chair": meeting.chair,
                    "minutes_secretary": meeting.minutes_secretary,
                    "started_at": start,
                    "ended_at": start + datetime.timedelta(minutes=rng.randint(45, 150)),
                    "conclusion": meeting.conclusion,
                    "resolution": meeting.resolution,
                },
                item_notes={},
                by=None,
            )
        meeting.refresh_from_db()
    kept = snapshot()
    assert kept[0]
    assert kept[1]
    rebuild()
    assert snapshot() == kept


def test_rebuild_rollups_command() -> None:
    complete(planned())
    MeetingStats.objects.all().delete()
    CellMonth.objects.all().delete()
    call_command("rebuild_rollups", stdout=io.StringIO())
    row = CellMonth.objects.get()
    assert row.regular_held
    assert row.present == row.expected > 0


def test_classification_tallies_equal_a_rebuild(cast: dict[str, object]) -> None:
    from chibo.scoring.classification import rate, rebuild_tallies
    from chibo.scoring.models import RatingTally

    cell = Unit.objects.get(code="X001.01")
    complete(planned())  # a cell that held no meeting can only be "did not complete tasks"
    rate(unit=cell, year=2026, step="self", level="good", by=None)
    rate_members(cell, ["good", "completed", "good"])
    kept = list(
        RatingTally.objects.values_list("unit_id", "year", "cell_level", "good", "completed")
    )
    assert kept == [(cell.pk, 2026, "good", 2, 1)]
    rebuild_tallies()
    assert (
        list(RatingTally.objects.values_list("unit_id", "year", "cell_level", "good", "completed"))
        == kept
    )
