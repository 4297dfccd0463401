"""Time and roles of a meeting (docs/rules.md TIME-, ROLE-, HOLIDAY-, PLAN-1): nothing of the
record before the meeting's start, approval with a chair and a minutes secretary present, the
year planner off Tết and public holidays; and the audit of stored meetings."""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from chibo.lib.audit import AuditScope
from chibo.lib.holidays import lunar_new_year, move_off_holidays, public_holidays
from chibo.meetings import audit, services
from chibo.meetings.models import (
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingRules,
    MeetingState,
)
from chibo.members.models import Member
from chibo.orgs.models import ProvinceHoliday, Unit

pytestmark = pytest.mark.django_db

D = datetime.date


def cell(code: str = "X001.01") -> Unit:
    unit: Unit = Unit.objects.select_related("kind").get(code=code)
    return unit


def meeting_at(when: datetime.datetime, code: str = "X001.01") -> Meeting:
    return services.plan_meeting(
        unit=cell(code), kind="regular", scheduled_at=when, place="Nhà văn hóa", by=None
    )


def everyone(
    meeting: Meeting, status: str = AttendanceStatus.PRESENT
) -> dict[int, tuple[str, str]]:
    return {m.pk: (status, "") for m, _row in services.attendance_roster(meeting)}


def minutes(meeting: Meeting, chair: Member, secretary: Member) -> dict[str, object]:
    start = meeting.scheduled_at
    return {
        "chair": chair,
        "minutes_secretary": secretary,
        "started_at": start,
        "ended_at": start + datetime.timedelta(minutes=100),
        "conclusion": "Kết luận",
        "resolution": "Nghị quyết",
    }


def held(meeting: Meeting, absent: list[Member] | None = None) -> tuple[Member, Member]:
    """Record the whole meeting (attendance, minutes of every item, vote) after its start."""
    entries = everyone(meeting)
    for member in absent or []:
        entries[member.pk] = (AttendanceStatus.ABSENT_UNEXCUSED, "")
    services.record_attendance(meeting=meeting, entries=entries, by=None)
    members = [m for m, _row in services.attendance_roster(meeting)]
    chair, secretary = members[0], members[1]
    services.save_minutes(
        meeting=meeting,
        data=minutes(meeting, chair, secretary),
        item_notes={item.pk: "Đã thảo luận" for item in meeting.items.all()},
        by=None,
    )
    services.record_vote(meeting=meeting, votes_for=3, against=0, abstain=0, by=None)
    return chair, secretary


# --- TIME-1: recording from the meeting's start ------------------------------------------


def test_attendance_minutes_votes_and_approval_are_refused_before_the_start() -> None:
    # The finding: minutes approved at 17:58 for a 19:00 meeting.
    meeting = meeting_at(timezone.now() + datetime.timedelta(hours=1, minutes=2))
    members = [m for m, _row in services.attendance_roster(meeting)]
    item = meeting.items.first()
    assert item is not None
    attempts: list[Callable[[], object]] = [
        lambda: services.record_attendance(meeting=meeting, entries=everyone(meeting), by=None),
        lambda: services.save_minutes(
            meeting=meeting,
            data=minutes(meeting, members[0], members[1]),
            item_notes={item.pk: "Ghi trước"},
            by=None,
        ),
        lambda: services.add_speech(item=item, member=members[0], gist="Phát biểu", by=None),
        lambda: services.record_vote(meeting=meeting, votes_for=1, against=0, abstain=0, by=None),
        lambda: services.approve_minutes(meeting=meeting, by=None),
    ]
    opens = timezone.localtime(meeting.scheduled_at).strftime("%d/%m/%Y %H:%M")
    for attempt in attempts:
        with pytest.raises(ValidationError) as error:
            attempt()
        assert opens in " ".join(error.value.messages)
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.PLANNED
    assert meeting.conclusion == ""
    assert meeting.votes_for is None
    assert not meeting.attendance.exists()
    assert not item.speeches.exists()


def test_recording_opens_at_the_start_and_check_in_keeps_its_window() -> None:
    meeting = meeting_at(timezone.now() + datetime.timedelta(minutes=20))
    member = next(m for m, _row in services.attendance_roster(meeting))
    # A member's own QR check-in still opens half an hour ahead.
    row = services.check_in(meeting=meeting, member=member, by=None)
    assert row.status == AttendanceStatus.PRESENT
    started = meeting_at(timezone.now() - datetime.timedelta(minutes=1), "X001.02")
    assert services.record_attendance(meeting=started, entries=everyone(started), by=None)


def test_the_pages_say_when_recording_opens(client_for) -> None:
    meeting = meeting_at(timezone.now() + datetime.timedelta(days=2))
    opens = timezone.localtime(meeting.scheduled_at).strftime("%d/%m/%Y %H:%M")
    secretary = client_for("bithu1")
    for page in ("", "attendance/", "minutes/", "vote/"):
        body = secretary.get(f"/meetings/{meeting.pk}/{page}").content.decode()
        assert opens in body, page
        assert "từ khi cuộc họp bắt đầu" in body, page
    response = secretary.post(
        f"/meetings/{meeting.pk}/vote/",
        {"version": meeting.version, "votes_for": 1, "votes_against": 0, "votes_abstain": 0},
    )
    assert response.status_code == 200
    assert "Biểu quyết chỉ được ghi từ khi cuộc họp bắt đầu" in response.content.decode()


# --- ROLE-1: a chair and a minutes secretary present --------------------------------------


def test_approval_needs_a_chair_and_a_minutes_secretary_recorded_present() -> None:
    meeting = meeting_at(timezone.now() - datetime.timedelta(days=1))
    members = [m for m, _row in services.attendance_roster(meeting)]
    held(meeting, absent=members[:2])
    with pytest.raises(ValidationError) as error:
        services.approve_minutes(meeting=meeting, by=None)
    text = " ".join(error.value.messages)
    assert "chủ trì có mặt" in text
    assert "thư ký ghi biên bản có mặt" in text
    assert meeting.state == MeetingState.HELD
    services.record_attendance(meeting=meeting, entries=everyone(meeting), by=None)
    assert services.approve_minutes(meeting=meeting, by=None).state == MeetingState.APPROVED


# --- the year planner: Tết and public holidays ---------------------------------------------


def test_the_public_holidays_come_from_the_vietnamese_lunar_calendar() -> None:
    assert lunar_new_year(2027) == D(2027, 2, 6)
    assert lunar_new_year(2007) == D(2007, 2, 17)  # a day before China's: Vietnam is UTC+7
    days = public_holidays(2027)
    assert {D(2027, 2, 5), D(2027, 2, 6), D(2027, 2, 9)} <= set(days)  # eve to mùng 4
    assert D(2027, 2, 10) not in days
    assert D(2027, 4, 16) in days  # Giỗ Tổ Hùng Vương, 10/3 lunar
    assert {D(2027, 1, 1), D(2027, 4, 30), D(2027, 5, 1), D(2027, 9, 2)} <= set(days)
    assert {D(2027, 9, 1), D(2027, 9, 3)} <= set(days)  # the day beside 2/9 is decided yearly
    assert move_off_holidays(D(2027, 2, 6), days) == (D(2027, 2, 10), days[D(2027, 2, 6)])
    assert move_off_holidays(D(2027, 2, 11), days) == (D(2027, 2, 11), "")


def test_the_year_planner_keeps_the_first_day_of_tet_free_and_says_why() -> None:
    # The finding: a meeting on 06/02/2027, the first day of Tết.
    made = services.generate_schedule(unit=cell(), year=2027, day=6, hour=19, place="x", by=None)
    days = {timezone.localtime(m.scheduled_at).date() for m in made.meetings}
    assert D(2027, 2, 6) not in days
    assert D(2027, 2, 10) in days
    assert len(made.meetings) == 12
    [move] = [m for m in made.moves if m.asked == D(2027, 2, 6)]
    assert "Tết" in move.reason
    assert timezone.localtime(move.meeting.scheduled_at).date() == D(2027, 2, 10)
    assert move.meeting.month == D(2027, 2, 1)
    assert any("06/02/2027" in line and "10/02/2027" in line for line in made.move_lines())
    # 06/09/2027 is no holiday: nothing else moved.
    assert [m.asked for m in made.moves] == [D(2027, 2, 6)]


def test_the_span_of_tet_is_the_provinces_setting() -> None:
    """HOLIDAY-1: the province may keep a longer Tết free (meetings.MeetingRules); by
    default 06/02/2027 (mùng 1) moves to 10/02/2027 (mùng 5)."""
    MeetingRules.objects.create(unit=Unit.objects.get(code="LV"), tet_days_after=6)
    made = services.generate_schedule(unit=cell(), year=2027, day=6, hour=19, place="x", by=None)
    [move] = [m for m in made.moves if m.asked == D(2027, 2, 6)]
    assert timezone.localtime(move.meeting.scheduled_at).date() == D(2027, 2, 13)
    assert public_holidays(2027, tet_days_after=6).keys() > public_holidays(2027).keys()


def test_the_year_planner_skips_the_provinces_extra_days(client_for) -> None:
    ProvinceHoliday.objects.create(
        unit=Unit.objects.get(code="LV"), on=D(2027, 3, 5), name="Kỷ niệm ngày giải phóng tỉnh"
    )
    response = client_for("bithu1").post(
        "/units/X001.01/meetings/schedule/",
        {"year": 2027, "day": 5, "hour": 19, "place": "Hội trường"},
        follow=True,
    )
    body = response.content.decode()
    march = Meeting.objects.get(unit__code="X001.01", month=D(2027, 3, 1))
    assert timezone.localtime(march.scheduled_at).date() == D(2027, 3, 6)
    assert "Kỷ niệm ngày giải phóng tỉnh" in body
    february = Meeting.objects.get(unit__code="X001.01", month=D(2027, 2, 1))
    assert timezone.localtime(february.scheduled_at).date() == D(2027, 2, 10)  # 5/2 is the eve


# --- the audit of stored meetings ---------------------------------------------------------


def rules_broken(code: str = "X001") -> list[tuple[str, str]]:
    scope = AuditScope(path=Unit.objects.get(code=code).path)
    return [(v.rule, v.url) for check in audit.CHECKS for v in check(scope)]


def test_the_audit_lists_minutes_approved_before_the_start_and_with_roles_absent() -> None:
    good = meeting_at(timezone.now() - datetime.timedelta(days=2))
    held(good)
    services.approve_minutes(meeting=good, by=None)
    early = meeting_at(timezone.now() - datetime.timedelta(days=3), "X001.02")
    chair, _secretary = held(early)
    services.approve_minutes(meeting=early, by=None)
    # Stored before the rules held: approved at 17:58 for 19:00, the chair marked absent.
    Meeting.objects.filter(pk=early.pk).update(
        approved_at=early.scheduled_at - datetime.timedelta(minutes=62)
    )
    Attendance.objects.filter(meeting=early, member=chair).update(
        status=AttendanceStatus.ABSENT_UNEXCUSED
    )
    found = rules_broken()
    assert ("TIME-1", early.get_absolute_url()) in found
    assert ("ROLE-1", early.get_absolute_url()) in found
    assert all(url != good.get_absolute_url() for _rule, url in found)


def test_the_audit_lists_attendance_written_before_the_start_but_not_check_ins() -> None:
    ahead = meeting_at(timezone.now() + datetime.timedelta(minutes=20))
    member = next(m for m, _row in services.attendance_roster(ahead))
    services.check_in(meeting=ahead, member=member, by=None)
    assert rules_broken() == []
    # A row written past the service (an import, the shell) before the meeting.
    later = meeting_at(timezone.now() + datetime.timedelta(days=1), "X001.02")
    other = next(m for m, _row in services.attendance_roster(later))
    Attendance(
        meeting=later, member=other, status=AttendanceStatus.PRESENT, member_status=other.status
    ).save()
    assert rules_broken() == [("TIME-1", later.get_absolute_url())]


def test_the_audit_reads_the_stored_times_of_records_loaded_without_history() -> None:
    """Records written past the services and their history (an import, a restore, the
    shell) are judged on their stored fields: held with attendance before the start came,
    an end before the start, a check-in stamped before check-in opened."""
    now = timezone.now()
    ahead = meeting_at(now + datetime.timedelta(days=2))
    ended = meeting_at(now - datetime.timedelta(days=2), "X001.02")
    stamped = meeting_at(now - datetime.timedelta(days=3), "X001.03")
    fine = meeting_at(now - datetime.timedelta(days=4), "X001.04")
    assert rules_broken() == []
    Meeting.objects.filter(pk=ahead.pk).update(state=MeetingState.HELD)
    Meeting.objects.filter(pk=ended.pk).update(
        started_at=ended.scheduled_at - datetime.timedelta(hours=3),
        ended_at=ended.scheduled_at - datetime.timedelta(hours=1),
    )
    member = next(m for m, _row in services.attendance_roster(stamped))
    in_time = next(m for m, _row in services.attendance_roster(fine))
    Attendance.objects.bulk_create(
        [
            Attendance(
                meeting=stamped,
                member=member,
                status=AttendanceStatus.PRESENT,
                member_status=member.status,
                checked_in_at=stamped.scheduled_at - datetime.timedelta(hours=2),
            ),
            Attendance(
                meeting=fine,
                member=in_time,
                status=AttendanceStatus.PRESENT,
                member_status=in_time.status,
                checked_in_at=fine.scheduled_at - datetime.timedelta(minutes=20),
            ),
        ]
    )
    assert not Attendance.history.filter(meeting__in=[stamped, fine]).exists()
    assert sorted(rules_broken()) == sorted(
        ("TIME-1", m.get_absolute_url()) for m in (ahead, ended, stamped)
    )


def test_the_demo_history_passes_the_time_and_role_rules() -> None:
    from chibo.demo.history import seed_history
    from chibo.demo.seed import create_committees
    from chibo.supervision import audit as supervision_audit

    units = {u.code: u for u in Unit.objects.all()}
    since = D(2025, 12, 1)
    visitors = create_committees(units, since=since)
    counts = seed_history(
        members=list(Member.objects.all()),
        weak_cells={units["X001.02"].pk},
        visitors=visitors,
        end_month=D(2026, 12, 1),
        months=12,
        rng=random.Random(3),
    )
    assert counts["visits"] > 0
    assert Meeting.objects.filter(state=MeetingState.APPROVED).count() > 50
    scope = AuditScope()
    checks = (*audit.CHECKS, *supervision_audit.CHECKS)
    assert [v for check in checks for v in check(scope)] == []
