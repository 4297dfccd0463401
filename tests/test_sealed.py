"""Sealed means sealed: nothing reaches minutes after they are approved, whatever the order
in which two requests arrive. Every writer takes the meeting's row lock and judges the
meeting as it is under that lock (meetings.services.lock_meeting); these tests run the
writers against an approval, with a meeting object read before the approval (as a request
reads it) and with real threads on their own database connections."""

from __future__ import annotations

import contextlib
import datetime
import io
import threading
import time
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connections
from django.utils import timezone

from chibo.meetings import seals, services
from chibo.meetings.models import (
    AgendaItem,
    Amendment,
    Attendance,
    Guest,
    Meeting,
    MeetingKind,
    Speech,
    Task,
)
from chibo.members.models import Member
from chibo.orgs.models import Unit
from chibo.supervision import services as supervision
from chibo.supervision.models import Visit

NOW_MINUS = datetime.timedelta(minutes=40)


def meeting_on_now(code: str = "X001.01", visitor: User | None = None) -> Meeting:
    """Minutes complete and ready for approval, of a meeting that is on right now (so that
    members may still check in), attended by `visitor` from the upper level."""
    start = timezone.now() - NOW_MINUS
    meeting = services.plan_meeting(
        unit=Unit.objects.get(code=code),
        kind=MeetingKind.REGULAR,
        scheduled_at=start,
        place="Nhà văn hóa thôn",
        by=None,
    )
    if visitor is not None:
        supervision.assign_visit(meeting=meeting, user=visitor, by=None)
    roster = [m for m, _row in services.attendance_roster(meeting)]
    services.record_attendance(
        meeting=meeting,
        entries={m.pk: (services.default_status(m, meeting), "") for m in roster},
        by=None,
    )
    services.save_minutes(
        meeting=meeting,
        data={
            "chair": roster[0],
            "minutes_secretary": roster[1],
            "started_at": start,
            "ended_at": start + datetime.timedelta(hours=2),
            "conclusion": "<p>Thống nhất triển khai nghị quyết</p>",
            "resolution": "<p>Nghị quyết</p>",
        },
        item_notes={item.pk: "<p>Đã thảo luận</p>" for item in meeting.items.all()},
        by=None,
    )
    # The official members present who may vote (QĐ 24-QĐ/TW 9.3.2): probationary do not.
    voters = meeting.attendance_counts().voters_present
    services.record_vote(meeting=meeting, votes_for=voters, against=0, abstain=0, by=None)
    assert meeting.missing_for_approval() == []
    return Meeting.objects.get(pk=meeting.pk)


def _member(meeting: Meeting) -> Member:
    return Member.objects.get(user__username="dangvien1", unit=meeting.unit)


# Each writer of the minutes, given a meeting object read earlier (no version: the row lock
# alone must keep approved minutes closed).
WRITERS: dict[str, Callable[[Meeting], Any]] = {
    "guest": lambda m: services.add_guest(
        meeting=m, name="Khách đến muộn", title="", is_upper_attendee=False, by=None
    ),
    "speech": lambda m: services.add_speech(
        item=m.items.order_by("order")[0],
        member=_member(m),
        gist="Phát biểu sau khi duyệt",
        by=None,
    ),
    "agenda_item": lambda m: services.add_agenda_item(
        meeting=m, title="Nội dung thêm", kind="other", by=None
    ),
    "task": lambda m: services.add_task(
        meeting=m,
        title="Việc thêm",
        deadline=timezone.localdate() + datetime.timedelta(days=30),
        owned_by_committee=True,
        by=None,
    ),
    "check_in": lambda m: services.check_in(meeting=m, member=_member(m), by=None),
}


def changed_records() -> list[str]:
    """What `chibo seals` lists as changed since it was sealed."""
    out = io.StringIO()
    with contextlib.suppress(CommandError):  # it fails when something changed
        call_command("seals", stdout=out)
    return [line.strip() for line in out.getvalue().splitlines() if "CHANGED" in line]


@pytest.mark.django_db
@pytest.mark.parametrize("writer", WRITERS)
def test_a_writer_holding_the_meeting_read_before_approval_is_refused(
    cast: dict[str, User], writer: str
) -> None:
    meeting = meeting_on_now()
    read_earlier = Meeting.objects.get(pk=meeting.pk)  # the request's copy
    services.approve_minutes(meeting=meeting, version=meeting.version, by=cast["bithu1"])
    with pytest.raises(ValidationError, match=r"(?i)approved|đã thông qua"):
        WRITERS[writer](read_earlier)
    assert seals.audit_minutes(Meeting.objects.filter(pk=meeting.pk)).broken == []


@pytest.mark.django_db
def test_a_writer_sending_an_older_version_is_refused(cast: dict[str, User]) -> None:
    meeting = meeting_on_now()
    version = meeting.version
    services.add_guest(
        meeting=meeting, name="Khách A", title="", is_upper_attendee=False, by=None, version=version
    )
    with pytest.raises(ValidationError, match=r"(?i)someone else|người khác"):
        services.add_guest(
            meeting=Meeting.objects.get(pk=meeting.pk),
            name="Khách B",
            title="",
            is_upper_attendee=False,
            by=None,
            version=version,
        )
    assert list(meeting.guests.values_list("name", flat=True)) == ["Khách A"]


@pytest.mark.django_db
def test_every_form_that_changes_a_meeting_carries_its_version(client_for) -> None:
    meeting = meeting_on_now()
    secretary = client_for("bithu1")
    url = f"/meetings/{meeting.pk}/"
    hidden = f'name="version" value="{meeting.version}"'
    for form in ("speeches/new/", "guests/new/", "items/new/", "tasks/new/", "minutes/", "vote/"):
        assert hidden in secretary.get(url + form).content.decode(), form
    assert hidden in secretary.get(url).content.decode()  # approval, removing an item
    response = secretary.post(
        url + "guests/new/", {"version": meeting.version - 1, "name": "Khách muộn", "title": ""}
    )
    assert response.status_code == 200  # refused, the form shown again with what was typed
    assert "Khách muộn" in response.content.decode()
    assert not meeting.guests.exists()
    services.approve_minutes(meeting=meeting, version=meeting.version, by=None)
    hidden = f'name="version" value="{meeting.version}"'
    assert hidden in secretary.get(url + "amend/").content.decode()


@pytest.mark.django_db
def test_recording_a_visit_leaves_approved_minutes_as_approved(cast: dict[str, User]) -> None:
    meeting = meeting_on_now(visitor=cast["uyvien1"])
    services.approve_minutes(meeting=meeting, version=meeting.version, by=cast["bithu1"])
    visit = Visit.objects.get(meeting=meeting)
    supervision.record_observation(
        visit=visit,
        state="done",
        observation="Chi bộ sinh hoạt nghiêm túc.",
        guidance="",
        version=visit.version,
        by=cast["uyvien1"],
    )
    assert not meeting.guests.exists()
    assert seals.status(Meeting.objects.get(pk=meeting.pk)).intact  # type: ignore[union-attr]
    assert changed_records() == []
    # The visit itself is the record of the attendance.
    visit.refresh_from_db()
    assert visit.state == "done"


@pytest.mark.django_db
def test_a_visit_recorded_before_approval_names_the_attendee_in_the_minutes(
    cast: dict[str, User],
) -> None:
    meeting = meeting_on_now(visitor=cast["uyvien1"])
    visit = Visit.objects.get(meeting=meeting)
    supervision.record_observation(
        visit=visit, state="done", observation="Tốt.", guidance="", version=visit.version, by=None
    )
    assert meeting.guests.get().is_upper_attendee


@pytest.mark.django_db
def test_the_meeting_page_shows_a_warning_instead_of_minutes_changed_behind_its_back(
    cast: dict[str, User], client_for
) -> None:
    meeting = meeting_on_now()
    services.approve_minutes(meeting=meeting, version=meeting.version, by=cast["bithu1"])
    reader = client_for("dangvien1")
    url = f"/meetings/{meeting.pk}/"
    assert "Thống nhất triển khai nghị quyết" in reader.get(url).content.decode()  # now cached
    Meeting.objects.filter(pk=meeting.pk).update(conclusion="<p>Nội dung sửa lén</p>")
    for _view in range(2):  # the kept copy, then a new rendering: neither is shown
        page = reader.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "Thống nhất triển khai nghị quyết" not in page
        assert "Nội dung sửa lén" not in page
        assert "no longer match their seal" in page or "không còn khớp" in page
    Meeting.objects.filter(pk=meeting.pk).update(
        conclusion="<p>Thống nhất triển khai nghị quyết</p>"
    )
    assert "Thống nhất triển khai nghị quyết" in reader.get(url).content.decode()


def _change_behind_the_back(meeting: Meeting, table: str) -> None:
    """A change made to one table of the minutes with plain SQL updates, not through the
    application."""
    item = AgendaItem.objects.filter(meeting=meeting).first()
    member = Attendance.objects.filter(meeting=meeting).first()
    assert item is not None
    assert member is not None
    if table == "attendance":
        Attendance.objects.filter(pk=member.pk).update(reason="sửa lén")
    elif table == "guests":
        Guest.objects.create(meeting=meeting, name="Người lạ", title="")
    elif table == "items":
        AgendaItem.objects.filter(pk=item.pk).update(notes="<p>sửa lén</p>")
    elif table == "speeches":
        Speech.objects.create(item=item, member_id=member.member_id, gist="sửa lén")
    elif table == "tasks":
        Task.objects.create(
            meeting=meeting, title="Việc thêm lén", deadline=meeting.month, owned_by_committee=True
        )
    elif table == "amendments":
        Amendment.objects.create(
            meeting=meeting, field="conclusion", before="", after="x", reason="lén", seal=""
        )


@pytest.mark.parametrize("amended", [False, True], ids=["approved", "amended"])
@pytest.mark.parametrize(
    "table", ["attendance", "guests", "items", "speeches", "tasks", "amendments"]
)
def test_a_change_to_any_table_of_approved_minutes_breaks_their_seal(
    cast: dict[str, User], table: str, amended: bool
) -> None:
    meeting = meeting_on_now()
    services.approve_minutes(meeting=meeting, version=meeting.version, by=cast["bithu1"])
    meeting.refresh_from_db()
    if amended:
        # The seal to match is then the amendment's, read back with its time and author.
        services.amend_minutes(
            meeting=meeting, field="conclusion", text="<p>Sửa đúng</p>", reason="Ghi nhầm",
            by=cast["bithu1"],
        )  # fmt: skip
        meeting.refresh_from_db()
        assert Amendment.objects.filter(meeting=meeting).exclude(seal="").exists()
    assert not seals.broken(meeting)
    _change_behind_the_back(meeting, table)
    assert seals.broken(meeting)


# --- real threads, real connections -----------------------------------------------------


@pytest.fixture
def cast_ready(transactional_db: None) -> dict[str, User]:
    from tests.conftest import CAST, build_cast

    if not Unit.objects.exists():  # an earlier transactional test flushed the cast
        build_cast()
    return {u.username: u for u in User.objects.filter(username__in=CAST)}


def shared_cache_retry(action: Callable[[], Any]) -> Any:
    """Run `action`; on SQLite's in-memory test database, run it again while another
    connection holds the lock. That database is shared between threads through SQLite's
    shared cache, whose locks answer at once ("database table is locked") instead of waiting
    for `busy_timeout` as the file database of a real deployment does (WAL, IMMEDIATE
    transactions): the action's transaction was rolled back, so running it again is what
    the wait would have done. PostgreSQL waits on the row lock itself."""
    deadline = time.monotonic() + 10
    while True:
        try:
            return action()
        except OperationalError as error:
            if "database table is locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def race(first: Callable[[], Any], second: Callable[[], Any], *, head_start: str) -> list[str]:
    """Run `first` and `second` in two threads, each on its own connection, released at
    once (the one named by `head_start` a few milliseconds earlier); what each did: "ok" or
    the refusal."""
    results = ["", ""]
    gate = threading.Barrier(2)

    def run(n: int, action: Callable[[], Any], delay: float) -> None:
        try:
            gate.wait()
            time.sleep(delay)
            shared_cache_retry(action)
            results[n] = "ok"
        except ValidationError as error:
            results[n] = " ".join(error.messages)
        except Exception as error:  # anything else fails the test below
            results[n] = f"ERROR {type(error).__name__}: {error}"
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(0, first, 0.0 if head_start == "first" else 0.02)),
        threading.Thread(target=run, args=(1, second, 0.0 if head_start == "second" else 0.02)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("writer", WRITERS)
def test_approval_racing_a_writer_leaves_the_seal_intact(
    cast_ready: dict[str, User], writer: str
) -> None:
    approver = cast_ready["bithu1"]
    for head_start in ("first", "second", "first", "second"):
        meeting = meeting_on_now()
        version = meeting.version
        # Each request reads the meeting before the other one writes.
        for_approval = Meeting.objects.get(pk=meeting.pk)
        for_writer = Meeting.objects.get(pk=meeting.pk)
        approved, written = race(
            lambda m=for_approval, v=version: services.approve_minutes(  # type: ignore[misc]
                meeting=m, version=v, by=approver
            ),
            lambda m=for_writer: WRITERS[writer](m),  # type: ignore[misc]
            head_start=head_start,
        )
        assert not approved.startswith("ERROR"), approved
        assert not written.startswith("ERROR"), written
        # One of the two went first; the other was judged against what it left. A check-in
        # leaves the version as it is (the minutes being typed stay valid), so an approval
        # after it succeeds too, with the check-in inside the seal.
        both = writer == "check_in" and written == "ok" and approved == "ok"
        assert both or [approved, written].count("ok") == 1, (head_start, approved, written)
        assert changed_records() == []


# --- final scores and classifications -------------------------------------------------------


def scored(cast: dict[str, User]) -> Meeting:
    """Approved minutes whose score the cell proposed and the upper level confirmed."""
    from chibo.scoring import services as scoring

    meeting = meeting_on_now()
    services.approve_minutes(meeting=meeting, version=meeting.version, by=cast["bithu1"])
    scoring.propose_score(
        meeting=meeting, judged={}, members_for=5, members_against=0, by=cast["bithu1"]
    )
    scoring.confirm_score(meeting=meeting, judged={"3c": 8}, comment="Đạt", by=cast["uyvien1"])
    return Meeting.objects.get(pk=meeting.pk)


@pytest.mark.django_db
def test_a_confirmed_score_is_final_for_the_cell_and_for_the_upper_level(
    cast: dict[str, User],
) -> None:
    from chibo.scoring import services as scoring
    from chibo.scoring.models import MeetingScore

    meeting = scored(cast)
    confirmed = MeetingScore.objects.get(meeting=meeting)
    with pytest.raises(ValidationError, match=r"(?i)final|cuối cùng"):
        scoring.propose_score(
            meeting=meeting, judged={}, members_for=1, members_against=4, by=cast["bithu1"]
        )
    with pytest.raises(ValidationError, match=r"(?i)final|cuối cùng"):
        scoring.confirm_score(meeting=meeting, judged={"3c": 0}, comment="", by=cast["bantochuc"])
    score = MeetingScore.objects.get(meeting=meeting)
    assert (score.cell_points, score.upper_points, score.confirmed_by_id) == (
        confirmed.cell_points,
        confirmed.upper_points,
        cast["uyvien1"].pk,
    )
    assert changed_records() == []


@pytest.mark.django_db
def test_a_correction_of_a_confirmed_score_is_an_amendment_beside_the_original(
    cast: dict[str, User], client_for
) -> None:
    from chibo.scoring import seals as scoring_seals
    from chibo.scoring import services as scoring
    from chibo.scoring.models import MeetingScore

    meeting = scored(cast)
    original = MeetingScore.objects.get(meeting=meeting)
    with pytest.raises(ValidationError):
        scoring.amend_score(
            meeting=meeting, judged={"3c": 2}, comment="Sửa", reason=" ", by=cast["uyvien1"]
        )
    amendment = scoring.amend_score(
        meeting=meeting,
        judged={"3c": 2},
        comment="Chấm lại tiêu chí 3c",
        reason="Cộng nhầm điểm tiêu chí 3c",
        by=cast["bantochuc"],
    )
    score = MeetingScore.objects.get(meeting=meeting)
    assert amendment.before["total"] == original.upper_total
    assert amendment.after["total"] == score.upper_total == original.upper_total - 6
    assert (amendment.made_by, amendment.reason) == (
        cast["bantochuc"],
        "Cộng nhầm điểm tiêu chí 3c",
    )
    assert (score.confirmed_by_id, score.confirmed_at) == (
        original.confirmed_by_id,
        original.confirmed_at,
    )
    assert scoring_seals.score_status(score).intact  # type: ignore[union-attr]
    assert changed_records() == []
    page = client_for("bithu1").get(f"/meetings/{meeting.pk}/score/").content.decode()
    assert "Cộng nhầm điểm tiêu chí 3c" in page
    assert "Chấm lại tiêu chí 3c" in page
    assert "Đạt" in page  # the original beside it
    # Changed behind the application, amended or not, it still shows.
    MeetingScore.objects.filter(pk=score.pk).update(upper_total=99)
    assert not scoring_seals.score_status(MeetingScore.objects.get(pk=score.pk)).intact  # type: ignore[union-attr]


@pytest.mark.django_db
def test_the_score_forms_carry_the_version_and_a_stale_one_is_refused(client_for) -> None:
    from chibo.scoring.models import MeetingScore

    meeting = meeting_on_now()
    url = f"/meetings/{meeting.pk}/score/"
    secretary = client_for("bithu1")
    assert f'name="version" value="{meeting.version}"' in secretary.get(url).content.decode()
    services.add_guest(meeting=meeting, name="Khách", title="", is_upper_attendee=False, by=None)
    response = secretary.post(url, {"version": meeting.version - 1, "members_for": 6})
    assert response.status_code == 200
    assert not MeetingScore.objects.filter(meeting=meeting).exists()


@pytest.mark.django_db
def test_a_decided_classification_is_final_and_corrected_by_amendment(
    cast: dict[str, User], client_for
) -> None:
    from chibo.scoring import seals as scoring_seals
    from chibo.scoring.classification import note_discipline, rate
    from chibo.scoring.models import AnnualRating

    unit = Unit.objects.get(code="X001.01")
    from tests.factories import complete, planned

    complete(planned())  # a cell that held no meeting can only be "did not complete tasks"
    rate(unit=unit, year=2026, step="self", level="good", by=cast["bithu1"])
    rate(unit=unit, year=2026, step="verify", level="good", by=cast["bantochuc"])
    decided, _ = rate(unit=unit, year=2026, step="decide", level="good", by=cast["uyvien1"])
    with pytest.raises(ValidationError, match=r"(?i)final|cuối cùng|why|lý do"):
        rate(unit=unit, year=2026, step="decide", level="completed", by=cast["admin"])
    assert AnnualRating.objects.get(pk=decided.pk).decided_level == "good"
    rating, _ = rate(
        unit=unit,
        year=2026,
        step="decide",
        level="completed",
        reason="Kết luận kiểm tra bổ sung",
        by=cast["admin"],
    )
    assert (rating.decided_by, rating.decided_at) == (cast["uyvien1"], decided.decided_at)
    amendment = rating.amendments.get()
    assert (amendment.before["level"], amendment.after["level"]) == ("good", "completed")
    assert (amendment.made_by, amendment.reason) == (cast["admin"], "Kết luận kiểm tra bổ sung")
    note_discipline(unit=unit, year=2026, member=None, by=cast["kiemtra"])
    rating = AnnualRating.objects.get(pk=decided.pk)
    assert rating.amendments.count() == 2
    assert scoring_seals.rating_status(rating).intact  # type: ignore[union-attr]
    assert changed_records() == []
    page = (
        client_for("bantochuc")
        .get(f"/units/{unit.code}/classification/cell/?year=2026")
        .content.decode()
    )
    assert "Kết luận kiểm tra bổ sung" in page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_confirmations_sent_at_once_the_second_is_refused(
    cast_ready: dict[str, User],
) -> None:
    from chibo.scoring import services as scoring
    from chibo.scoring.models import MeetingScore

    for head_start in ("first", "second"):
        meeting = meeting_on_now()
        scoring.propose_score(
            meeting=meeting, judged={}, members_for=5, members_against=0, by=cast_ready["bithu1"]
        )
        version = Meeting.objects.get(pk=meeting.pk).version
        people = (cast_ready["uyvien1"], cast_ready["bantochuc"])
        outcome = race(
            *(
                lambda who=who, pk=meeting.pk, v=version, points=8 if who == people[0] else 0: (
                    scoring.confirm_score(
                        meeting=Meeting.objects.get(pk=pk),
                        judged={"3c": points},
                        comment=who.username,
                        version=v,
                        by=who,
                    )
                )
                for who in people
            ),
            head_start=head_start,
        )
        assert outcome.count("ok") == 1, outcome
        assert not any(o.startswith("ERROR") for o in outcome), outcome
        score = MeetingScore.objects.get(meeting=meeting)
        winner = people[outcome.index("ok")]
        assert (score.confirmed_by_id, score.upper_comment) == (winner.pk, winner.username)
        assert changed_records() == []


@pytest.mark.django_db
def test_a_check_in_does_not_refuse_the_minutes_being_typed() -> None:
    from tests.factories import planned

    meeting = planned()
    read_at = meeting.version
    member = next(m for m, _row in services.attendance_roster(meeting))
    with mock.patch.object(timezone, "now", return_value=meeting.scheduled_at):
        services.check_in(meeting=meeting, member=member, by=None)
    meeting.refresh_from_db()
    assert meeting.version == read_at
