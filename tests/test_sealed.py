"""Sealed means sealed: nothing reaches minutes after they are approved, whatever the order
in which two requests arrive. Every writer takes the meeting's row lock and judges the
meeting as it is under that lock (meetings.services.lock_meeting); these tests run the
writers against an approval, with a meeting object read before the approval (as a request
reads it) and with real threads on their own database connections."""

from __future__ import annotations

import datetime
import io
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connections
from django.utils import timezone

from chibo.meetings import seals, services
from chibo.meetings.models import Meeting, MeetingKind
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
    services.record_vote(meeting=meeting, votes_for=len(roster), against=0, abstain=0, by=None)
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
        item=m.items.order_by("order").first(),
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
    try:
        call_command("seals", stdout=out)
    except CommandError:
        pass
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
        assert not approved.startswith("ERROR") and not written.startswith("ERROR"), (
            approved,
            written,
        )
        # One of the two went first; the other was judged against what it left.
        assert [approved, written].count("ok") == 1, (head_start, approved, written)
        assert changed_records() == []
