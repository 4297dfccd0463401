"""Writes are POSTs and happen once (issue 21, item 8): the same form submitted four times
plans one meeting; personal pages and files are not kept by caches; a UTF-16 roster gets a
message that says so."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from chibo.meetings.models import Meeting

pytestmark = pytest.mark.django_db

NEW = "/units/X001.01/meetings/new/"


def test_four_fast_submits_of_one_form_plan_one_meeting(client_for) -> None:
    secretary = client_for("bithu1")
    page = secretary.get(NEW)
    token = page.context["form"]["submission"].value()
    assert f'value="{token}"' in page.content.decode()
    data = {
        "kind": "regular",
        "scheduled_at": "2026-12-05T19:00",
        "place": "Nhà văn hóa thôn",
        "submission": str(token),
    }
    answers = [secretary.post(NEW, data) for _ in range(4)]
    assert {a.status_code for a in answers} == {302}
    assert Meeting.objects.filter(unit__code="X001.01").count() == 1
    meeting = Meeting.objects.get(unit__code="X001.01")
    assert {a["Location"] for a in answers} == {meeting.get_absolute_url()}
    # Another submission of the same page (a new token) is another meeting.
    fresh = secretary.get(NEW).context["form"]["submission"].value()
    assert fresh != token
    secretary.post(NEW, {**data, "submission": str(fresh), "scheduled_at": "2026-12-20T19:00"})
    assert Meeting.objects.filter(unit__code="X001.01").count() == 2


def test_the_plan_form_carries_its_submission_token(client_for) -> None:
    page = client_for("bithu1").get(NEW).content.decode()
    assert 'type="hidden" name="submission"' in page


def test_every_page_and_file_of_a_logged_in_user_is_kept_by_no_cache(client_for) -> None:
    from django.test import Client
    from django.urls import reverse

    from tests.access_cases import CASES, token_headers

    seen = 0
    for case in CASES:
        if case.method != "get" or case.ok != 200 or not case.allowed:
            continue
        if case.url_name in ("health", "portal:service_worker", "otp_webauthn:js-i18n-catalog"):
            continue  # public and the same for everyone: the health check (below), the
            # phone's service worker script (tests/test_offline.py), the passkey script's
            # translations (open between the password and the second factor)
        url = reverse(case.url_name, args=case.args())
        first = sorted(case.allowed)[0]
        if case.bearer:  # the API: the user's token instead of a session
            url = f"{url}?{case.query}" if case.query else url
            response = Client(headers=token_headers(first)).get(url)
        else:
            response = client_for(first).get(url)
        assert response.status_code == 200, url
        control = response.get("Cache-Control", "")
        assert {"private", "no-store"} <= {part.strip() for part in control.split(",")}, url
        seen += 1
    assert seen > 100


def test_a_calendar_feed_is_kept_by_no_cache(client, client_for) -> None:
    from chibo.meetings.models import CalendarFeed

    client_for("dangvien1").post("/calendar/")
    feed = CalendarFeed.objects.get(user__username="dangvien1")
    response = client.get(f"/calendar/{feed.token}/me.ics")
    assert "no-store" in response["Cache-Control"]


def test_the_public_health_check_stays_cacheable(client, client_for) -> None:
    for asking in (client, client_for("bithu1")):  # with a session cookie sent along too
        response = asking.get("/health/")
        assert response.status_code == 200
        assert "no-store" not in response.get("Cache-Control", "")


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only (as in CI): the tests' in-memory SQLite locks whole tables",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_four_simultaneous_submits_of_one_form_plan_one_meeting() -> None:
    """The same four posts at once, each on its own thread and database connection."""
    import threading
    import uuid

    from django.contrib.auth.models import User
    from django.test import Client

    from chibo.orgs.models import Unit
    from tests.conftest import build_cast

    if not Unit.objects.exists():  # an earlier transactional test flushed the cast
        build_cast()
    user = User.objects.get(username="bithu1")
    data = {
        "kind": "regular",
        "scheduled_at": "2026-12-05T19:00",
        "place": "Nhà văn hóa thôn",
        "submission": str(uuid.uuid4()),
    }
    start = threading.Barrier(4)
    answers: list[int] = []

    def submit() -> None:
        client = Client()
        client.force_login(user)
        try:
            start.wait()
            answers.append(client.post(NEW, data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [302] * 4
    assert Meeting.objects.filter(unit__code="X001.01").count() == 1


# --- every form that creates a record ---------------------------------------------------


def _meeting() -> Meeting:
    from tests.factories import planned

    return planned()


def _approved() -> Meeting:
    from chibo.meetings import services
    from tests.factories import complete, planned

    meeting = complete(planned())
    services.approve_minutes(meeting=meeting, by=None)
    return meeting


def _inspection() -> object:
    import datetime

    from chibo.orgs.models import Unit
    from chibo.supervision import services

    return services.add_inspection(
        unit=Unit.objects.get(code="X001"), year=2026, kind="inspection",
        target=Unit.objects.get(code="X001.01"), subject="Thu nộp đảng phí",
        starts_on=datetime.date(2026, 10, 1), ends_on=datetime.date(2026, 10, 15), by=None,
    )  # fmt: skip


def _count(model: str, **where: object) -> int:
    from django.apps import apps

    count: int = apps.get_model(model).objects.filter(**where).count()
    return count


FIRST = "<the first option offered>"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf() -> object:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("van-ban.pdf", PDF, content_type="application/pdf")


# name: (user, page (from what the set-up made), fields filled in, the form's own field
# that tells it from the page's other forms, the model created).
CREATE_FORMS: dict[str, tuple[str, Any, dict[str, Any], str, str]] = {
    "material": (
        "admin",
        lambda: "/units/LV/materials/",
        {"kind": "meeting", "title": "Hướng dẫn sinh hoạt", "month": "2026-12", "file": pdf},
        "all_cells",
        "content.Material",
    ),
    "regulations": (
        "bithu1",
        lambda: "/units/X001.01/regulations/",
        {"adopted_on": "2026-11-01", "file": pdf},
        "adopted_on",
        "content.Regulation",
    ),
    "course": (
        "admin",
        lambda: "/units/X001/training/",
        {
            "kind": FIRST,
            "title": "Lớp bồi dưỡng",
            "starts_on": "2026-11-01",
            "ends_on": "2026-11-03",
        },
        "participants",
        "content.Course",
    ),
    "rubric version": (
        "admin",
        lambda: "/rules/rubrics/HD12-100/new/",
        {"name": "Thang điểm 2027"},
        "name",
        "scoring.Rubric",
    ),
    "meeting": (
        "bithu1",
        lambda: NEW,
        {"kind": "regular", "scheduled_at": "2026-12-05T19:00", "place": "Nhà văn hóa"},
        "kind",
        "meetings.Meeting",
    ),
    "task": (
        "bithu1",
        lambda: f"/meetings/{_meeting().pk}/tasks/new/",
        {"title": "Vận động hội viên", "owned_by_committee": "on", "deadline": "2026-12-28"},
        "title",
        "meetings.Task",
    ),
    "guest": (
        "bithu1",
        lambda: f"/meetings/{_meeting().pk}/guests/new/",
        {"name": "Nguyễn Văn Khách", "title": "Đoàn xã"},
        "name",
        "meetings.Guest",
    ),
    "agenda item": (
        "bithu1",
        lambda: f"/meetings/{_meeting().pk}/items/new/",
        {"title": "Bàn việc làm đường", "kind": "other"},
        "title",
        "meetings.AgendaItem",
    ),
    "speech": (
        "bithu1",
        lambda: f"/meetings/{_meeting().pk}/speeches/new/",
        {"gist": "Đồng ý với dự thảo", "item": FIRST, "member": FIRST},
        "gist",
        "meetings.Speech",
    ),
    "amendment": (
        "bithu1",
        lambda: f"/meetings/{_approved().pk}/amend/",
        {"field": "conclusion", "text": "Kết luận đã sửa", "reason": "Ghi sót"},
        "reason",
        "meetings.Amendment",
    ),
    "candidate": (
        "bithu1",
        lambda: "/units/X001.01/candidates/",
        {
            "full_name": "Lê Thị Quần Chúng",
            "birth_date": "2000-01-01",
            "listed_on": "2026-11-01",
            "gender": FIRST,
        },
        "full_name",
        "development.Candidate",
    ),
    "visit": (
        "admin",
        lambda: f"/meetings/{_meeting().pk}/visits/",
        {"username": "uyvien1"},
        "username",
        "supervision.Visit",
    ),
    "working group": (
        "bantochuc",
        lambda: "/units/LV/working-groups/",
        {
            "name": "Tổ công tác số 9",
            "leader": "uyvien1",
            "units": "X001",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "decision": "9-QĐ/TU",
        },
        "leader",
        "supervision.WorkingGroup",
    ),
    "inspection": (
        "kiemtra",
        lambda: "/units/X001/inspections/?year=2026",
        {
            "kind": "inspection",
            "target_code": "X001.01",
            "subject": "Sinh hoạt chi bộ",
            "starts_on": "2026-03-01",
            "ends_on": "2026-03-31",
        },
        "target_code",
        "supervision.InspectionItem",
    ),
    "finding": (
        "kiemtra",
        lambda: _inspection().get_absolute_url(),  # type: ignore[attr-defined]
        {"kind": "shortcoming", "text": "Chậm nộp đảng phí"},
        "text",
        "supervision.Finding",
    ),
    "sanction": (
        "kiemtra",
        lambda: _inspection().get_absolute_url(),  # type: ignore[attr-defined]
        {"kind": "commendation", "form": "Giấy khen", "decided_on": "2026-10-20"},
        "card_number",
        "supervision.Sanction",
    ),
    "topic": (
        "admin",
        lambda: "/units/LV/topics/?year=2026",
        {"title": "Học tập và làm theo tư tưởng Hồ Chí Minh"},
        "guidance",
        "content.ThematicTopic",
    ),
    "member": (
        "bithu1",
        lambda: "/units/X001.01/members/new/",
        {
            "full_name": "Trần Văn Mới",
            "gender": "male",
            "birth_date": "1990-01-01",
            "admitted_on": "2020-01-01",
            "card_number": "99000111",
        },
        "arrival",
        "members.Member",
    ),
}


@pytest.mark.parametrize("name", list(CREATE_FORMS))
def test_every_create_form_sent_twice_creates_one_record(name: str, client_for) -> None:
    """Each form that creates a record carries its token; the same submission posted
    twice (a double click, a resent request) creates one record, and another showing of
    the form (a new token) creates another."""
    from tests.html_forms import forms_of

    username, page_of, filled, marker, model = CREATE_FORMS[name]
    client = client_for(username)
    url = page_of()

    def form_data() -> tuple[str, dict[str, Any]]:
        page = client.get(url)
        assert page.status_code == 200, url
        form = next(
            f
            for f in forms_of(page.content.decode())
            if f.method == "post" and any(field.name == marker for field in f.fields)
        )
        offered = {field.name: [o for o in field.options if o] for field in form.fields}
        data: dict[str, Any] = {
            **form.data(),
            **{k: offered[k][0] if v == FIRST else v for k, v in filled.items()},
        }
        assert data.get("submission"), f"the {name} form carries no token"
        return form.action or url, data

    before = _count(model)
    action, data = form_data()

    def post() -> Any:
        # A file is sent anew each time (a callable gives a fresh one).
        return client.post(action, {k: v() if callable(v) else v for k, v in data.items()})

    first = post()
    assert first.status_code == 302, name
    again = post()
    assert _count(model) == before + 1, name
    # The second answer leads where the first did; a form that checks uniqueness itself
    # (a member's card number) answers with its message instead, having made nothing.
    assert again.status_code in (200, 302), name
    if name != "member":
        assert again.status_code == 302, name
    # The same form shown again is another submission.
    _action, shown = form_data()
    assert shown["submission"] != data["submission"]


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only (as in CI): the tests' in-memory SQLite locks whole tables",
)
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_four_simultaneous_sends_of_one_task_form_add_one_task() -> None:
    """The mechanism on another form: four threads, each on its own connection, send the
    same task form (one token) at once; one task is added, and every thread gets it."""
    import datetime
    import threading
    import uuid

    from chibo.meetings import services
    from chibo.meetings.models import Task
    from chibo.orgs.models import Unit
    from tests.conftest import build_cast
    from tests.factories import planned

    if not Unit.objects.exists():  # an earlier transactional test flushed the cast
        build_cast()
    meeting = planned()
    token = uuid.uuid4()
    start = threading.Barrier(4)
    made: list[int] = []

    def send() -> None:
        try:
            start.wait()
            task = services.add_task(
                meeting=Meeting.objects.get(pk=meeting.pk),
                title="Vận động hội viên",
                deadline=datetime.date(2026, 12, 28),
                owned_by_committee=True,
                submission=token,
                by=None,
            )
            made.append(task.pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Task.objects.filter(meeting=meeting).count() == 1
    assert len(made) == 4
    assert len(set(made)) == 1
