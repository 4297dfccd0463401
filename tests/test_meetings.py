"""Cell meetings: planning, preparation, attendance and the vote, minutes, tasks, approval."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chibo.meetings import services
from chibo.meetings.models import (
    AttendanceStatus,
    Meeting,
    MeetingKind,
    MeetingState,
    Task,
    TaskStatus,
)
from chibo.members import services as member_services
from chibo.members.models import Member, MemberStatus
from tests.factories import MARCH_5, D, all_present, at, cell, complete, grow_cell, planned

pytestmark = pytest.mark.django_db


def test_a_planned_meeting_gets_the_agenda_of_its_kind() -> None:
    meeting = planned()
    kinds = list(meeting.items.values_list("kind", flat=True))
    assert kinds[0] == "review"  # the first item reviews the open tasks
    assert {"criticism", "hcm_study", "news", "next_tasks"} <= set(kinds)
    assert meeting.month == D(2026, 3, 1)
    with pytest.raises(ValidationError):
        services.plan_meeting(
            unit=cell(),
            kind=MeetingKind.THEMATIC,
            scheduled_at=at(D(2026, 3, 9)),
            place="x",
            by=None,
        )
    with pytest.raises(ValidationError):
        services.plan_meeting(
            unit=cell("X001"),
            kind=MeetingKind.REGULAR,
            scheduled_at=at(D(2026, 3, 9)),
            place="x",
            by=None,
        )


def test_a_year_is_scheduled_with_a_thematic_session_each_quarter() -> None:
    planned(day=D(2026, 2, 10))
    created = services.generate_schedule(
        unit=cell(), year=2026, day=5, hour=19, place="Hội trường", by=None
    ).meetings
    assert len(created) == 11  # February was planned already
    kinds = {m.scheduled_at.month: m.kind for m in created}
    assert kinds[3] == kinds[6] == kinds[9] == kinds[12] == MeetingKind.COMBINED
    assert kinds[1] == MeetingKind.REGULAR
    assert (
        services.generate_schedule(
            unit=cell(), year=2026, day=5, hour=19, place="x", by=None
        ).meetings
        == []
    )


def test_the_voting_denominator_follows_qd_24() -> None:
    meeting = planned()
    roster = [m for m, _row in services.attendance_roster(meeting)]
    officials = [m for m in roster if m.status == MemberStatus.OFFICIAL]
    assert len(officials) >= 5
    excused, unexcused, attached, exempt_absent, exempt_present = officials[:5]
    for member in (exempt_absent, exempt_present):
        member_services.exempt_member(
            member=member, on=MARCH_5, reason="Tuổi cao", decision="", by=None
        )
    Member.objects.filter(pk=attached.pk).update(attached_to=cell("X001.02"))
    roster = [m for m, _row in services.attendance_roster(meeting)]
    entries = {m.pk: (services.default_status(m, meeting), "") for m in roster}
    entries[excused.pk] = (AttendanceStatus.ABSENT_EXCUSED, "Đi công tác")
    entries[unexcused.pk] = (AttendanceStatus.ABSENT_UNEXCUSED, "")
    entries[exempt_present.pk] = (AttendanceStatus.PRESENT, "")
    services.record_attendance(meeting=meeting, entries=entries, by=None)
    counts = meeting.attendance_counts()
    probationary = sum(1 for m in roster if m.status == MemberStatus.PROBATIONARY)
    assert counts.exempted == 2
    assert counts.probationary == probationary
    # Official members, less the one attached elsewhere and the one excused; the exempted
    # member who came counts, the one who stayed away does not; probationary never do.
    assert counts.denominator == len(officials) - 5 + 1 + 1  # unexcused + exempted present
    assert counts.absent_excused == 1
    assert counts.absent_unexcused == 1


def test_an_excused_absence_needs_a_reason_and_nothing_is_half_written() -> None:
    meeting = planned()
    entries = all_present(meeting)
    first = next(iter(entries))
    entries[first] = (AttendanceStatus.ABSENT_EXCUSED, " ")
    with pytest.raises(ValidationError):
        services.record_attendance(meeting=meeting, entries=entries, by=None)
    assert not meeting.attendance.exists()
    meeting.refresh_from_db()
    assert meeting.version == 1


def test_a_first_sheet_is_written_in_a_few_statements_and_records_who() -> None:
    """A sheet is written a statement per kind (the rows, their history), not two per
    row, and each row's history names who saved it."""
    from django.contrib.auth.models import User

    secretary = User.objects.create(username="bithu-sheet")
    grow_cell("X001.01", 10)
    meeting = planned("X001.01")
    entries = all_present(meeting)
    assert len(entries) > 10
    with CaptureQueriesContext(connection) as saved:
        services.record_attendance(meeting=meeting, entries=entries, by=secretary)
    inserts = [q["sql"] for q in saved.captured_queries if q["sql"].startswith("INSERT")]
    assert len([sql for sql in inserts if "attendance" in sql]) == 2
    history = meeting.attendance.model.history
    assert history.filter(history_type="+").count() == len(entries)
    assert set(history.values_list("history_user", flat=True)) == {secretary.pk}
    assert meeting.attendance.count() == len(entries)


def test_a_sheet_saved_again_writes_and_records_only_the_rows_that_changed() -> None:
    meeting = planned()
    entries = all_present(meeting)
    services.record_attendance(meeting=meeting, entries=entries, by=None)
    history = meeting.attendance.model.history
    assert history.count() == len(entries)
    changed = next(iter(entries))
    entries[changed] = (AttendanceStatus.ABSENT_UNEXCUSED, "")
    meeting.refresh_from_db()
    with CaptureQueriesContext(connection) as saved:
        services.record_attendance(meeting=meeting, entries=entries, by=None)
    assert history.count() == len(entries) + 1
    assert history.filter(member_id=changed, history_type="~").count() == 1
    updates = [
        q for q in saved.captured_queries if "UPDATE" in q["sql"] and "attendance" in q["sql"]
    ]
    assert len(updates) == 1
    row = meeting.attendance.get(member_id=changed)
    assert row.status == AttendanceStatus.ABSENT_UNEXCUSED
    # Saved once more unchanged: nothing written, nothing recorded; every row still there.
    meeting.refresh_from_db()
    rows = services.record_attendance(meeting=meeting, entries=entries, by=None)
    assert history.count() == len(entries) + 1
    assert len(rows) == len(entries) == meeting.attendance.count()


def test_a_resolution_passes_with_more_than_half() -> None:
    meeting = planned()
    services.record_attendance(meeting=meeting, entries=all_present(meeting), by=None)
    counts = meeting.attendance_counts()
    half = counts.denominator // 2
    services.record_vote(meeting=meeting, votes_for=half, against=0, abstain=0, by=None)
    assert meeting.vote_passed(counts) is (half * 2 > counts.denominator)
    services.record_vote(meeting=meeting, votes_for=half + 1, against=0, abstain=0, by=None)
    assert meeting.vote_passed(counts) is True
    with pytest.raises(ValidationError):
        services.record_vote(
            meeting=meeting, votes_for=counts.present + 1, against=0, abstain=0, by=None
        )


def test_two_people_saving_at_once_the_second_is_refused() -> None:
    meeting = planned()
    first = Meeting.objects.get(pk=meeting.pk)
    second = Meeting.objects.get(pk=meeting.pk)
    services.save_preparation(meeting=first, data={"draft_resolution": "Bản A"}, version=1, by=None)
    with pytest.raises(ValidationError, match=r"(?i)someone else|người khác"):
        services.save_preparation(
            meeting=second, data={"draft_resolution": "Bản B"}, version=1, by=None
        )
    meeting.refresh_from_db()
    assert meeting.draft_resolution == "Bản A"


def test_minutes_are_sanitised_and_approval_checks_completeness() -> None:
    meeting = planned()
    assert len(meeting.missing_for_approval()) == 8
    with pytest.raises(ValidationError):
        services.approve_minutes(meeting=meeting, by=None)
    complete(meeting)
    assert "<script>" not in meeting.conclusion
    assert meeting.state == MeetingState.HELD
    assert meeting.duration_minutes == 120
    assert meeting.missing_for_approval() == []
    services.approve_minutes(meeting=meeting, by=None)
    assert meeting.state == MeetingState.APPROVED


def test_approved_minutes_are_read_only_and_amendments_keep_the_original(cast) -> None:
    meeting = complete(planned())
    services.approve_minutes(meeting=meeting, by=None)
    with pytest.raises(ValidationError):
        services.save_minutes(meeting=meeting, data={"conclusion": "khác"}, item_notes={}, by=None)
    with pytest.raises(ValidationError):
        services.record_attendance(meeting=meeting, entries=all_present(meeting), by=None)
    amendment = services.amend_minutes(
        meeting=meeting,
        field="resolution",
        text="<p>Nghị quyết đã sửa</p>",
        reason="Sai số liệu",
        by=cast["bithu1"],
    )
    assert amendment.before == "<p>Nghị quyết tháng 3</p>"
    meeting.refresh_from_db()
    assert meeting.resolution == "<p>Nghị quyết đã sửa</p>"
    assert meeting.history.filter(history_user=cast["bithu1"]).exists()


def test_open_tasks_carry_to_the_next_meeting(client_for) -> None:
    first = planned(day=D(2026, 2, 5))
    owner = Member.objects.get(user__username="dangvien1")
    task = services.add_task(
        meeting=first, title="Thu đảng phí", deadline=D(2026, 2, 28), owner=owner, by=None
    )
    second = planned(day=D(2026, 3, 5))
    html = client_for("bithu1").get(f"/meetings/{second.pk}/").content.decode()
    assert "Thu đảng phí" in html
    services.update_task(task=task, status=TaskStatus.DONE, progress="Đã thu đủ", by=None)
    html = client_for("bithu1").get(f"/meetings/{second.pk}/").content.decode()
    assert "Thu đảng phí" not in html


def test_the_whole_meeting_through_the_pages(client_for) -> None:
    secretary = client_for("bithu1")
    response = secretary.post(
        "/units/X001.01/meetings/new/",
        {"kind": "regular", "scheduled_at": "2026-11-05T19:00", "place": "Nhà văn hóa thôn"},
    )
    assert response.status_code == 302
    meeting = Meeting.objects.get(unit__code="X001.01")
    url = f"/meetings/{meeting.pk}/"
    members = [m for m, _row in services.attendance_roster(meeting)]
    drafter = members[0]
    response = secretary.post(
        url + "preparation/",
        {
            "version": 1,
            "drafter": drafter.pk,
            "committee_met_on": "2026-11-01",
            "notified_on": "2026-11-02",
            "materials_published_on": "2026-11-03",
            "draft_resolution": "Dự thảo",
        },
    )
    assert response.status_code == 302
    attendance: dict[str, object] = {"version": 2}
    for m in members:
        attendance[f"status_{m.pk}"] = "present"
        attendance[f"reason_{m.pk}"] = ""
    attendance[f"status_{members[-1].pk}"] = "absent_excused"
    attendance[f"reason_{members[-1].pk}"] = "Ốm"
    assert secretary.post(url + "attendance/", attendance).status_code == 302
    minutes = {
        "version": 3,
        "chair": drafter.pk,
        "minutes_secretary": members[1].pk,
        "started_at": "2026-11-05T19:00",
        "ended_at": "2026-11-05T20:45",
        "conclusion": "Kết luận",
        "resolution": "Nghị quyết",
    }
    for item in meeting.items.all():
        minutes[f"item_{item.pk}"] = f"Ghi chép {item.order}"
    assert secretary.post(url + "minutes/", minutes).status_code == 302
    item = meeting.items.get(kind="criticism")
    assert (
        secretary.post(
            url + "speeches/new/",
            {"version": 4, "item": item.pk, "member": members[2].pk, "gist": "Tự phê bình"},
        ).status_code
        == 302
    )
    owner = Member.objects.get(user__username="dangvien1")
    assert (
        secretary.post(
            url + "tasks/new/",
            {
                "version": 5,
                "title": "Vận động đoàn viên",
                "owner": owner.pk,
                "deadline": "2026-12-31",
            },
        ).status_code
        == 302
    )
    assert (
        secretary.post(
            url + "vote/",
            {
                "version": 6,
                "votes_for": meeting.attendance_counts().voters_present - 1,
                "votes_against": 0,
                "votes_abstain": 0,
            },
        ).status_code
        == 302
    )
    response = secretary.post(url + "approve/", {"version": 7})
    meeting.refresh_from_db()
    assert meeting.state == MeetingState.APPROVED, [str(m) for m in response.wsgi_request._messages]
    page = secretary.get(url).content.decode()
    assert "Tự phê bình" in page
    # Approved: the forms send the secretary back to the meeting.
    assert secretary.get(url + "minutes/").status_code == 302
    member_page = client_for("dangvien1").get(url).content.decode()
    assert "Vận động đoàn viên" in member_page
    assert "Vận động đoàn viên" in client_for("dangvien1").get("/todo/").content.decode()


def test_a_stale_attendance_form_is_refused_and_keeps_what_was_typed(client_for) -> None:
    meeting = planned()
    secretary = client_for("bithu1")
    members = [m for m, _row in services.attendance_roster(meeting)]
    services.save_preparation(meeting=meeting, data={"draft_resolution": "x"}, by=None)  # version 2
    data: dict[str, object] = {"version": 1}
    for m in members:
        data[f"status_{m.pk}"] = "present"
        data[f"reason_{m.pk}"] = ""
    data[f"reason_{members[0].pk}"] = "giữ lại chữ này"
    data[f"status_{members[0].pk}"] = "absent_excused"
    response = secretary.post(f"/meetings/{meeting.pk}/attendance/", data)
    assert response.status_code == 200
    assert "giữ lại chữ này" in response.content.decode()
    assert not meeting.attendance.exists()


@pytest.mark.parametrize("page", ["", "attendance/", "minutes/"])
def test_meeting_pages_use_the_same_queries_whatever_the_cell_size(client_for, page: str) -> None:
    meeting = complete(planned(day=D(2026, 3, 5)))
    client = client_for("bithu1")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/meetings/{meeting.pk}/{page}").status_code == 200
        return len(captured)

    before = queries()
    grow_cell("X001.01", 15)
    services.record_attendance(meeting=meeting, entries=all_present(meeting), by=None)
    owner = Member.objects.get(user__username="dangvien1")
    for i in range(5):
        services.add_task(
            meeting=meeting, title=f"Việc {i}", deadline=D(2026, 4, 1), owner=owner, by=None
        )
    assert queries() == before


def test_the_todo_list_uses_the_same_queries_however_many_tasks(client_for) -> None:
    meeting = planned()
    owner = Member.objects.get(user__username="dangvien1")
    client = client_for("dangvien1")
    services.add_task(
        meeting=meeting, title="Việc đầu", deadline=D(2026, 4, 1), owner=owner, by=None
    )
    with CaptureQueriesContext(connection) as first:
        client.get("/todo/")
    for i in range(10):
        services.add_task(
            meeting=meeting, title=f"Việc {i}", deadline=D(2026, 4, 1), owner=owner, by=None
        )
    with CaptureQueriesContext(connection) as second:
        client.get("/todo/")
    assert len(first) == len(second)
    assert Task.objects.filter(owner=owner).count() == 11


def test_calendar_feeds_follow_the_token_and_its_owners_rights(client, client_for) -> None:
    import icalendar

    from chibo.meetings.models import CalendarFeed

    meeting = planned(day=timezone.localdate() + datetime.timedelta(days=10))
    planned(code="X002.01", day=timezone.localdate() + datetime.timedelta(days=10))
    client_for("dangvien1").get("/calendar/")
    assert not CalendarFeed.objects.filter(user__username="dangvien1").exists()  # a GET
    client_for("dangvien1").post("/calendar/")
    feed = CalendarFeed.objects.get(user__username="dangvien1")
    response = client.get(f"/calendar/{feed.token}/me.ics")  # no login: the token is the key
    assert response["Content-Type"].startswith("text/calendar")
    events = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [f"meeting-{meeting.pk}@chibo"]
    assert str(events[0]["location"]) == "Nhà văn hóa thôn"
    assert client.get(f"/calendar/{feed.token}/cells/X002.01.ics").status_code == 404
    old = feed.token
    client_for("dangvien1").post("/calendar/")
    assert client.get(f"/calendar/{old}/me.ics").status_code == 404


def test_members_check_in_with_the_qr_code_only_while_the_meeting_is_on(client_for) -> None:
    now = timezone.localtime()
    meeting = services.plan_meeting(
        unit=cell(),
        kind=MeetingKind.REGULAR,
        scheduled_at=now - datetime.timedelta(minutes=20),
        place="Hội trường",
        by=None,
    )
    assert client_for("bithu1").get(f"/meetings/{meeting.pk}/qr.svg").content.startswith(b"<?xml")
    member_client = client_for("dangvien1")
    url = f"/meetings/{meeting.pk}/checkin/{meeting.checkin_code}/"
    # Scanning the code opens a confirm page and checks in nobody (a GET changes nothing).
    response = member_client.get(url)
    assert response.status_code == 200
    assert 'method="post"' in response.content.decode()
    assert not meeting.attendance.filter(member__user__username="dangvien1").exists()
    response = member_client.post(url)
    assert response.status_code == 302
    row = meeting.attendance.get(member__user__username="dangvien1")
    assert row.status == AttendanceStatus.LATE  # 20 minutes after the start
    assert row.checked_in_at is not None
    assert member_client.get(f"/meetings/{meeting.pk}/checkin/wrong-code/").status_code == 404
    later = planned(day=timezone.localdate() + datetime.timedelta(days=5))
    member_client.post(f"/meetings/{later.pk}/checkin/{later.checkin_code}/")
    assert not later.attendance.exists()  # not open yet


def test_reminders_go_once_to_members_and_to_owners_of_overdue_tasks(mailoutbox) -> None:
    import io

    from django.core.management import call_command

    today = timezone.localdate()
    meeting = planned(day=today + datetime.timedelta(days=2))
    planned(day=today + datetime.timedelta(days=3))  # not today's turn
    owner = Member.objects.get(user__username="dangvien1")
    services.add_task(
        meeting=meeting,
        title="Báo cáo quý",
        deadline=today - datetime.timedelta(days=1),
        owner=owner,
        by=None,
    )
    out = io.StringIO()
    call_command("send_reminders", "--days", "2", stdout=out)
    with_mail = {m.user.email for m, _row in services.attendance_roster(meeting) if m.user}
    meeting_mails = [m for m in mailoutbox if m.subject.startswith("Sinh hoạt chi bộ ngày")]
    assert {m.to[0] for m in meeting_mails} == with_mail
    assert "Nhà văn hóa thôn" in meeting_mails[0].body
    task_mails = [m for m in mailoutbox if m.subject == "Nhiệm vụ quá hạn"]
    assert "quá hạn" in task_mails[0].body
    assert [m.to for m in task_mails] == [["dangvien1@example.invalid"]]
    assert "Báo cáo quý" in task_mails[0].body
    assert "Sent" in out.getvalue()
    mailoutbox.clear()
    call_command("send_reminders", "--days", "2", "--dry-run", stdout=out)
    assert mailoutbox == []


def test_meeting_reminders_read_a_fixed_number_of_queries_whatever_the_roster() -> None:
    from django.contrib.auth import get_user_model

    from chibo.meetings.reminders import reminder_messages

    today = timezone.localdate()
    planned(day=today + datetime.timedelta(days=2))

    def reminded() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            _messages, counts = reminder_messages(days_ahead=2, today=today)
        return len(queries), counts.meeting_mails

    before, mails = reminded()
    grow_cell("X001.01", 4)
    for i, member in enumerate(Member.objects.filter(unit__code="X001.01", user__isnull=True)):
        account = get_user_model().objects.create(
            username=f"nhac{i}", email=f"nhac{i}@example.invalid"
        )
        Member.objects.filter(pk=member.pk).update(user=account)
    after, more_mails = reminded()
    assert more_mails >= mails + 4
    assert after == before


def test_the_demo_history_is_consistent() -> None:
    import random

    from chibo.demo.history import seed_history

    members = list(Member.objects.all())
    weak = {cell("X001.02").pk}
    counts = seed_history(
        members=members, weak_cells=weak, end_month=D(2026, 12, 1), months=3, rng=random.Random(5)
    )
    assert counts["meetings"] == Meeting.objects.count()
    assert counts["attendance_rows"] > counts["meetings"] * 5
    approved = Meeting.objects.filter(state=MeetingState.APPROVED)
    assert approved.exists()
    assert Meeting.objects.filter(state=MeetingState.PLANNED, month=D(2026, 12, 1)).exists()
    for meeting in approved.filter(unit__code="X001.01"):
        assert meeting.missing_for_approval() == []
        assert meeting.vote_passed(meeting.attendance_counts()) is True
    # New rows get keys after the seeded ones.
    assert planned(day=D(2027, 1, 5)).pk > counts["meetings"]


def test_the_agenda_is_adjusted_per_meeting_and_guests_are_recorded(client_for) -> None:
    meeting = planned()
    secretary = client_for("bithu1")
    url = f"/meetings/{meeting.pk}/"
    assert (
        secretary.post(
            url + "items/new/", {"version": 1, "title": "Bầu bổ sung chi ủy", "kind": "other"}
        ).status_code
        == 302
    )
    added = meeting.items.get(title="Bầu bổ sung chi ủy")
    assert added.order == meeting.items.count()
    secretary.post(url + f"items/{added.pk}/remove/", {"version": 2})
    assert not meeting.items.filter(pk=added.pk).exists()
    response = secretary.post(
        url + "guests/new/",
        {
            "version": 3,
            "name": "Trần Văn Khách",
            "title": "Đảng ủy viên xã",
            "is_upper_attendee": "on",
        },
    )
    assert response.status_code == 302
    assert meeting.guests.get().is_upper_attendee
    assert "Trần Văn Khách" in secretary.get(url).content.decode()


def test_a_member_sees_their_own_attendance_on_the_home_page(client_for) -> None:
    meeting = planned()
    entries = all_present(meeting)
    member = Member.objects.get(user__username="dangvien1")
    entries[member.pk] = (AttendanceStatus.ABSENT_EXCUSED, "Đi viện")
    services.record_attendance(meeting=meeting, entries=entries, by=None)
    html = client_for("dangvien1").get("/").content.decode()
    assert "Đi viện" in html


def test_a_planned_meeting_is_edited_and_a_stale_edit_refused(client_for) -> None:
    meeting = planned()
    client = client_for("bithu1")
    data = {
        "version": 1,
        "kind": "regular",
        "scheduled_at": "2026-03-07T08:00",
        "place": "Nhà bí thư",
        "topic": "",
    }
    assert client.post(f"/meetings/{meeting.pk}/edit/", data).status_code == 302
    meeting.refresh_from_db()
    assert (meeting.place, timezone.localtime(meeting.scheduled_at).day) == ("Nhà bí thư", 7)
    assert meeting.state == MeetingState.PLANNED
    response = client.post(
        f"/meetings/{meeting.pk}/edit/", {**data, "place": "Cũ"}
    )  # version 1 again
    assert response.status_code == 200
    meeting.refresh_from_db()
    assert meeting.place == "Nhà bí thư"


def test_exports_and_lists_use_the_same_queries_whatever_the_size(client_for) -> None:
    from chibo.meetings.models import CalendarFeed

    client = client_for("bithu1")
    client.post("/calendar/")
    token = CalendarFeed.objects.get(user__username="bithu1").token
    today = timezone.localdate()
    meeting = planned(day=today + datetime.timedelta(days=3))
    member = Member.objects.get(user__username="dangvien1")
    urls = [
        f"/calendar/{token}/me.ics",
        f"/calendar/{token}/cells/X001.01.ics",
        f"/meetings/{meeting.pk}/attendance-sheet/",
        f"/members/{member.pk}/",
        f"/meetings/{meeting.pk}/minutes.docx",
    ]

    def counts() -> list[int]:
        result = []
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200, url
            result.append(len(captured))
        return result

    before = counts()
    grow_cell("X001.01", 8)
    for n in range(1, 4):
        planned(day=today + datetime.timedelta(days=3 + n))
    member_services.transfer_member(
        member=member, to_unit=cell("X001.02"), on=today, reason="", by=None
    )
    member_services.transfer_member(
        member=member, to_unit=cell("X001.01"), on=today, reason="", by=None
    )
    assert counts() == before


def test_the_meeting_chokepoint_follows_the_grants(cast) -> None:
    mine = planned()
    other = planned(code="X002.01")
    visible = set(Meeting.objects.visible_to(cast["bithu1"]).values_list("pk", flat=True))
    assert mine.pk in visible
    assert other.pk not in visible
    assert not Meeting.objects.visible_to(cast["outsider"]).exists()
    assert Meeting.objects.visible_to(cast["bantochuc"]).count() == 2


def test_approved_minutes_are_rendered_once_for_every_reader(cast, client_for) -> None:
    import re

    from django.test.utils import CaptureQueriesContext

    meeting = complete(planned())
    services.approve_minutes(meeting=meeting, by=None)
    url = f"/meetings/{meeting.pk}/"

    def page(user: str, address: str = url) -> tuple[str, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client_for(user).get(address)
        assert response.status_code == 200
        return response.content.decode(), len(queries)

    first, cold = page("bithu1")
    again, warm = page("bithu1")
    assert warm <= cold - 6  # people, attendance, items, speeches, guests, amendments
    token = re.compile(r"[A-Za-z0-9]{64}")  # the CSRF token, new on every request
    assert token.sub("", again) == token.sub("", first)
    # Another reader gets the same minutes, with their own rights around them.
    other, _n = page("dangvien1")
    assert "Nghị quyết tháng 3" in other
    assert f"/meetings/{meeting.pk}/amend/" in first
    assert f"/meetings/{meeting.pk}/amend/" not in other
    # An amendment is a new version of the minutes: shown at once.
    services.amend_minutes(
        meeting=meeting, field="resolution", text="<p>Nghị quyết đã sửa</p>", reason="Sai",
        by=cast["bithu1"],
    )  # fmt: skip
    amended, _n = page("dangvien1")
    assert "Nghị quyết đã sửa" in amended
    # Minutes still being written are never kept: a change shows at once.
    held = complete(planned(day=D(2026, 4, 2)))
    page("bithu1", f"/meetings/{held.pk}/")
    services.save_minutes(meeting=held, data={"conclusion": "<p>Kết luận mới</p>"},
                          item_notes={}, by=None)  # fmt: skip
    assert "Kết luận mới" in page("bithu1", f"/meetings/{held.pk}/")[0]


@pytest.mark.django_db
def test_the_migrations_leave_the_attendance_and_member_indexes_the_models_say() -> None:
    """The migrations leave the indexes the models say: the attendance has `attendance_once`
    (meeting, member) and an index of the meeting alone (dropped by 0013, back with 0014),
    and the members' card number, citizen ID and sort key have no LIKE (pattern-ops) twin;
    their folded name (`search_name`), which no index serves, has none (members 0011)."""

    with connection.cursor() as cursor:
        attendance = connection.introspection.get_constraints(cursor, "meetings_attendance")
        members = connection.introspection.get_constraints(cursor, "members_member")
    indexed = [c for c in attendance.values() if c["index"] or c["unique"]]
    led_by_meeting = [c["columns"] for c in indexed if c["columns"][0] == "meeting_id"]
    assert sorted(led_by_meeting) == [["meeting_id"], ["meeting_id", "member_id"]]
    assert attendance["attendance_once"]["unique"]
    by_column: dict[str, list[str]] = {}
    for name, c in members.items():
        if (c["index"] or c["unique"]) and len(c["columns"]) == 1:
            by_column.setdefault(c["columns"][0], []).append(name)
    for column in ("card_number", "citizen_id", "sort_key"):
        assert len(by_column[column]) == 1, by_column[column]
    assert "search_name" not in by_column
    with connection.cursor() as cursor:
        history = connection.introspection.get_constraints(cursor, "members_historicalmember")
    assert not [c for c in history.values() if "search_name" in c["columns"]]
    assert members["member_card_number_unique"]["unique"]
    assert members["member_citizen_id_unique"]["unique"]
