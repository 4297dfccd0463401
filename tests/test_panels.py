"""Panels (chibo.lib.panels): what scoring, supervision and content add to the pages of
meetings, members and scoring show the same links in the same places as when those pages
named the upper apps' URLs themselves, to the same readers, and cost no query of their own
(the grants are cached on the user), so a list's count does not grow with its rows."""

from __future__ import annotations

import datetime

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from chibo.members.models import Member, MemberStatus
from chibo.supervision import services as supervision
from tests.factories import complete, planned

pytestmark = pytest.mark.django_db

# The panels that only link: no query of their own.
LINKS = {slot: paths for slot, paths in settings.CHIBO_PANELS.items() if slot != "meetings.meeting"}
CONTENT_ONLY = {"meetings.meeting": settings.CHIBO_PANELS["meetings.meeting"]}


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as seen:
        assert client.get(url).status_code == 200
    return len(seen)


def test_the_meeting_page_shows_the_score_and_visit_links_where_they_were(
    cast: dict[str, User], client_for
) -> None:
    meeting = planned()
    supervision.assign_visit(meeting=meeting, user=cast["uyvien1"], by=None)
    complete(meeting)
    url = meeting.get_absolute_url()
    score = reverse("scoring:meeting", args=[meeting.pk])
    confirm = reverse("scoring:confirm", args=[meeting.pk])
    visits = reverse("supervision:meeting_visits", args=[meeting.pk])

    def page(username: str) -> str:
        text: str = client_for(username).get(url).content.decode()
        return text

    secretary, upper, member = page("bithu1"), page("uyvien1"), page("dangvien1")
    assert score in secretary
    assert confirm not in secretary
    assert confirm in upper
    assert score not in member
    assert confirm not in member
    for text in (secretary, upper, member):
        # In the upper-level attendees' line, the one paragraph of its section.
        line = text[
            text.rindex("<p>", 0, text.index(visits)) : text.index("</p>", text.index(visits))
        ]
        assert "<section" not in line
    # The score buttons in the quality section, after the attendees.
    quality = secretary.index("<h2", secretary.index(visits))
    assert quality < secretary.index(score) < secretary.index("</section>", quality)


def test_the_member_cell_and_rules_pages_keep_their_links(cast: dict[str, User], client_for):
    member = Member.objects.filter(unit__code="X001.01", status=MemberStatus.OFFICIAL).first()
    assert member is not None
    page = client_for("bithu1").get(member.get_absolute_url()).content.decode()
    assert reverse("scoring:rate_member", args=[member.pk]) in page
    Member.objects.filter(pk=member.pk).update(status=MemberStatus.LEFT)
    page = client_for("bithu1").get(member.get_absolute_url()).content.decode()
    assert reverse("scoring:rate_member", args=[member.pk]) not in page
    cell = client_for("dangvien1").get("/units/X001.01/meetings/").content.decode()
    assert reverse("scoring:scorecard", args=["X001.01"]) in cell
    rules = client_for("admin").get(reverse("scoring:rules")).content.decode()
    assert reverse("supervision:rules") in rules


def test_the_link_panels_cost_no_query(cast: dict[str, User], client_for) -> None:
    meeting = planned()
    supervision.assign_visit(meeting=meeting, user=cast["uyvien1"], by=None)
    complete(meeting)
    member = Member.objects.filter(unit__code="X001.01").first()
    assert member is not None
    pages = [
        ("bithu1", meeting.get_absolute_url()),
        ("uyvien1", meeting.get_absolute_url()),
        ("bithu1", "/units/X001.01/meetings/"),
        ("bithu1", member.get_absolute_url()),
        ("admin", reverse("scoring:rules")),
    ]
    for username, url in pages:
        client = client_for(username)
        queries(client, url)  # warm the caches
        with override_settings(CHIBO_PANELS=CONTENT_ONLY):
            without = queries(client, url)
        with override_settings(CHIBO_PANELS={**CONTENT_ONLY, **LINKS}):
            with_links = queries(client, url)
        assert with_links == without, (username, url)


def test_the_cell_meeting_list_does_not_grow_with_its_meetings(client_for) -> None:
    client = client_for("bithu1")
    url = "/units/X001.01/meetings/"
    planned()
    queries(client, url)
    few = queries(client, url)
    for day in range(6, 12):
        planned(day=datetime.date(2026, 3, day))
    assert queries(client, url) == few
