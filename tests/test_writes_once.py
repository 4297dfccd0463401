"""Writes are POSTs and happen once (issue 21, item 8): the same form submitted four times
plans one meeting; personal pages and files are not kept by caches; a UTF-16 roster gets a
message that says so."""

from __future__ import annotations

import pytest
from django.db import connection

from chibo.meetings.models import Meeting

pytestmark = pytest.mark.django_db

NEW = "/units/X001.01/meetings/new/"


def test_four_fast_submits_of_one_form_plan_one_meeting(client_for) -> None:
    secretary = client_for("bithu1")
    page = secretary.get(NEW)
    token = page.context["form"].initial["submission"]
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
    fresh = secretary.get(NEW).context["form"].initial["submission"]
    assert fresh != token
    secretary.post(NEW, {**data, "submission": str(fresh), "scheduled_at": "2026-12-20T19:00"})
    assert Meeting.objects.filter(unit__code="X001.01").count() == 2


def test_the_plan_form_carries_its_submission_token(client_for) -> None:
    page = client_for("bithu1").get(NEW).content.decode()
    assert 'type="hidden" name="submission"' in page


def test_every_page_and_file_of_a_logged_in_user_is_kept_by_no_cache(client_for) -> None:
    from django.urls import reverse

    from tests.test_access_matrix import CASES

    seen = 0
    for case in CASES:
        if case.method != "get" or case.ok != 200 or not case.allowed:
            continue
        if case.url_name in ("health", "portal:service_worker"):
            continue  # public and the same for everyone: the health check (below), the
            # phone's service worker script (tests/test_offline.py)
        url = reverse(case.url_name, args=case.args())
        response = client_for(sorted(case.allowed)[0]).get(url)
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
