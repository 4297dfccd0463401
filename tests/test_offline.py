"""The server's side of the phone without signal (issue 22): the service worker's script and
settings, the pages it keeps for whom, the headers its queue reads, compressed pages, and
logging out clearing what the browser kept. The worker itself is driven in
tests/browser/test_offline_flow.py."""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.test import Client
from django.utils import timezone

from chibo.meetings import services
from chibo.meetings.models import MeetingKind
from chibo.orgs.models import Unit
from tests.factories import HX

pytestmark = pytest.mark.django_db


def soon(code: str = "X001.01", days: int = 3) -> int:
    meeting = services.plan_meeting(
        unit=Unit.objects.get(code=code),
        kind=MeetingKind.REGULAR,
        scheduled_at=timezone.now() + datetime.timedelta(days=days),
        place="Nhà văn hóa",
        by=None,
    )
    return meeting.pk


def test_the_worker_is_served_at_the_root_to_everyone_with_its_settings() -> None:
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    config = json.loads(re.search(r"self.CHIBO_SW = (\{.*\});", body).group(1))  # type: ignore[union-attr]
    assert "importScripts(" in body
    assert "chibo/sw.js" in body
    assert config["pages"] == "/offline/pages.json"
    assert re.match(config["queued"][0], "/meetings/12/live/text/")
    assert any(re.match(p, "/meetings/12/attendance/") for p in config["queued"])
    assert not any(re.match(p, "/meetings/12/approve/") for p in config["queued"])
    assert config["pageMaxAge"] == 12 * 60 * 60


def test_the_pages_kept_are_the_current_and_next_meetings_the_user_may_see(client_for) -> None:
    near, far = soon(days=3), soon(days=90)
    secretary = client_for("bithu1").get("/offline/pages.json").json()
    assert f"/meetings/{near}/live/" in secretary["pages"]
    assert f"/meetings/{near}/attendance/" in secretary["pages"]
    assert not any(f"/meetings/{far}/" in page for page in secretary["pages"])
    member = client_for("dangvien1").get("/offline/pages.json").json()
    # A member keeps the meeting's page, not its record keepers' forms.
    assert member["pages"] == [f"/meetings/{near}/"]
    assert member["user"]
    assert member["user"] != secretary["user"]
    other = client_for("bithu2").get("/offline/pages.json").json()
    assert not any(f"/meetings/{near}/" in page for page in other["pages"])


def test_the_page_names_its_user_to_the_worker_without_saying_who(client_for) -> None:
    html = client_for("bithu1").get("/").content.decode()
    key = re.search(r'data-user="([0-9a-f]+)"', html).group(1)  # type: ignore[union-attr]
    assert key == client_for("bithu1").get("/offline/pages.json").json()["user"]
    assert "bithu1" not in key
    assert 'rel="manifest"' in html
    assert "chibo/offline.js" in html
    login = Client().get("/accounts/login/").content.decode()
    assert 'data-user=""' in login


def test_saves_tell_the_queue_the_new_version_and_refusals(client_for) -> None:
    pk = soon(days=0)  # held now: its minutes may be written
    client = client_for("bithu1")
    url = f"/meetings/{pk}/live/text/"
    saved = client.post(url, {"field": "conclusion", "text": "Một", "version": 1}, **HX)
    assert saved["X-Chibo-Version"] == "2"
    assert not saved.has_header("X-Chibo-Refused")
    stale = client.post(url, {"field": "conclusion", "text": "Hai", "version": 1}, **HX)
    assert stale["X-Chibo-Refused"] == "stale"
    speech = client.post(f"/meetings/{pk}/live/speech/", {"item": "0", "version": 2}, **HX)
    assert speech.status_code == 404
    task = client.post(f"/meetings/{pk}/live/task/", {"title": "", "version": 2}, **HX)
    assert task["X-Chibo-Refused"] == "invalid"


def test_pages_are_compressed_for_a_browser_that_asks() -> None:
    response = Client().get("/accounts/login/", HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"


def test_logging_out_tells_the_browser_to_drop_what_it_kept(client_for) -> None:
    response = client_for("bithu1").post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"storage"'


def test_the_list_of_kept_pages_costs_the_same_queries_for_more_meetings(client_for) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("uyvien1")
    soon("X001.01", days=1)
    client.get("/offline/pages.json")
    with CaptureQueriesContext(connection) as one:
        client.get("/offline/pages.json")
    for days in (2, 3, 4, 5):
        soon("X001.01", days=days)
    with CaptureQueriesContext(connection) as more:
        assert len(client.get("/offline/pages.json").json()["pages"]) >= 4
    assert len(more) == len(one)
