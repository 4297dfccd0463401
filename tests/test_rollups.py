"""The rollups kept by the services equal a from-scratch computation after random edits."""

from __future__ import annotations

import datetime
import io
import random

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chibo.meetings import services
from chibo.meetings.models import AttendanceStatus, CellMonth, MeetingKind, MeetingStats
from chibo.meetings.stats import rebuild
from chibo.members.models import Member
from chibo.orgs.models import Unit
from tests.factories import D, at, complete, planned, rate_members

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
        action = rng.randrange(6)
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
        elif action == 4:
            # The texts alone: the figures stay as they are.
            services.save_minutes(
                meeting=meeting,
                data={"conclusion": f"<p>Kết luận {_step}</p>"},
                item_notes={item.pk: f"Ghi chép {_step}" for item in meeting.items.all()},
                by=None,
            )
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


def test_the_texts_of_the_minutes_leave_the_rollups_alone() -> None:
    """The texts are autosaved many times a meeting: the figures are written again only
    when what they read of the meeting changes (its state, its length)."""
    meeting = planned(day=D(2026, 3, 5))

    def save(**data: object) -> None:
        services.save_minutes(meeting=meeting, data=data, item_notes={}, by=None)

    save(conclusion="<p>Kết luận</p>")  # the first save: held, so it has figures
    assert MeetingStats.objects.get(meeting=meeting).duration_minutes is None
    assert CellMonth.objects.get(unit=meeting.unit, month=meeting.month).meetings == 1
    with CaptureQueriesContext(connection) as saving:
        save(conclusion="<p>Kết luận đã sửa</p>", resolution="<p>Nghị quyết</p>")
    rollups = ("meetings_meetingstats", "meetings_cellmonth")
    assert not [q for q in saving.captured_queries if any(t in q["sql"] for t in rollups)]
    save(started_at=at(D(2026, 3, 5), 19), ended_at=at(D(2026, 3, 5), 21))
    assert MeetingStats.objects.get(meeting=meeting).duration_minutes == 120
    kept = snapshot()
    rebuild()
    assert snapshot() == kept


def test_saves_that_leave_the_attendance_figures_leave_the_rollups_alone() -> None:
    """The attendance sheet saved again, and a member's second scan of the check-in code,
    write the rollups only when what they read of the rows changes; the rollups then equal a
    rebuild whichever way."""
    rollups = ("meetings_meetingstats", "meetings_cellmonth")

    def rollup_queries(save: object) -> int:
        with CaptureQueriesContext(connection) as saving:
            save()  # type: ignore[operator]
        return len([q for q in saving.captured_queries if any(t in q["sql"] for t in rollups)])

    meeting = complete(planned(day=D(2026, 3, 5)))
    roster = [m for m, _row in services.attendance_roster(meeting)]
    first, second = roster[0].pk, roster[1].pk

    def sheet(**changes: tuple[str, str]) -> object:
        entries = {m.pk: (str(AttendanceStatus.PRESENT), "") for m in roster}
        entries.update({int(pk[1:]): value for pk, value in changes.items()})
        return lambda: services.record_attendance(meeting=meeting, entries=entries, by=None)

    excused = str(AttendanceStatus.ABSENT_EXCUSED)
    late = str(AttendanceStatus.LATE)
    assert rollup_queries(sheet(**{f"m{first}": (excused, "Ốm")})) > 0  # one fewer present
    assert rollup_queries(sheet(**{f"m{first}": (excused, "Đi công tác")})) == 0  # the reason
    assert rollup_queries(sheet(**{f"m{first}": (excused, "Ốm"), f"m{second}": (late, "")})) == 0
    assert MeetingStats.objects.get(meeting=meeting).present == len(roster) - 1
    assert rollup_queries(sheet(**{f"m{second}": (late, "")})) > 0  # present again
    assert MeetingStats.objects.get(meeting=meeting).present == len(roster)
    kept = snapshot()
    rebuild()
    assert snapshot() == kept

    now = timezone.now()
    live = services.plan_meeting(
        unit=meeting.unit, kind=MeetingKind.EXTRAORDINARY, scheduled_at=now, place="Hội trường",
        by=None,
    )  # fmt: skip
    services.save_minutes(
        meeting=live, data={"conclusion": "<p>Đang họp</p>"}, item_notes={}, by=None
    )
    member = roster[0]
    scan = lambda: services.check_in(meeting=live, member=member, by=None)  # noqa: E731
    assert rollup_queries(scan) > 0  # a row added: one more present
    assert rollup_queries(scan) == 0  # scanned again: present still
    assert MeetingStats.objects.get(meeting=live).present == 1
    kept = snapshot()
    rebuild()
    assert snapshot() == kept


def test_a_change_of_leadership_flag_refreshes_the_figures_of_the_members_meetings() -> None:
    """The figures count leaders by the members' present flag: changing it through the
    members' service computes again those of every meeting the member is on the sheet of,
    without waiting for a save that changes the figures (saves that do not skip them)."""
    from chibo.members import services as member_services

    march = complete(planned(day=D(2026, 3, 5)))
    april = complete(planned(day=D(2026, 4, 5)))
    roster = [m for m, _row in services.attendance_roster(march)]
    member = roster[1]
    before = {
        m.pk: m.leaders_present for m in MeetingStats.objects.filter(meeting__in=[march, april])
    }
    member_services.update_member(
        member=member,
        data={"holds_leadership_post": not member.holds_leadership_post},
        by=None,
    )
    step = 1 if member.holds_leadership_post else -1
    after = {
        m.pk: m.leaders_present for m in MeetingStats.objects.filter(meeting__in=[march, april])
    }
    assert after == {pk: n + step for pk, n in before.items()}
    # A sheet saved again with only a reason and a lateness changed leaves them right.
    excused = str(AttendanceStatus.ABSENT_EXCUSED)
    entries = {m.pk: (str(AttendanceStatus.PRESENT), "") for m in roster}
    entries[roster[0].pk] = (excused, "Ốm")
    services.record_attendance(meeting=march, entries=dict(entries), by=None)
    entries[roster[0].pk] = (excused, "Đi công tác")
    entries[member.pk] = (str(AttendanceStatus.LATE), "")
    services.record_attendance(meeting=march, entries=entries, by=None)
    kept = snapshot()
    rebuild()
    assert snapshot() == kept


def test_a_member_who_speaks_on_two_items_is_one_speaker() -> None:
    """The figures count who spoke, not how often: the speeches' model ordering must not
    make each speech a distinct row (it did: 12 "speakers" where 8 members spoke)."""
    meeting = complete(planned())
    member = next(m for m, _row in services.attendance_roster(meeting))
    items = list(meeting.items.order_by("order")[:2])
    for item in items:
        services.add_speech(item=item, member=member, gist="<p>Ý kiến.</p>", by=None)
    figures = MeetingStats.objects.get(meeting=meeting)
    assert figures.speakers == 1
    assert figures.leaders_speaking == int(member.holds_leadership_post)
    assert CellMonth.objects.get(unit=meeting.unit, month=meeting.month).speakers == 1
    kept = snapshot()
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
