"""The calendar page's subscribe and copy buttons, and the feed's reminders."""

from __future__ import annotations

import datetime

import icalendar
from django.utils import timezone

from chibo.meetings import services
from chibo.meetings.models import CalendarFeed
from chibo.orgs.models import Unit


def _plan(days: int) -> int:
    meeting = services.plan_meeting(
        unit=Unit.objects.select_related("kind").get(code="X001.01"),
        kind="regular",
        scheduled_at=timezone.now() + datetime.timedelta(days=days),
        place="Nhà văn hóa thôn",
        by=None,
    )
    return meeting.pk


def test_the_feed_reminds_a_day_and_an_hour_before_each_meeting(client, client_for) -> None:
    kept = _plan(10)
    cancelled = services.cancel_meeting(
        meeting=services.plan_meeting(
            unit=Unit.objects.select_related("kind").get(code="X001.01"),
            kind="regular",
            scheduled_at=timezone.now() + datetime.timedelta(days=12),
            place="Nhà văn hóa thôn",
            by=None,
        ),
        reason="Bão",
        by=None,
    )
    client_for("dangvien1").post("/calendar/")  # the addresses are made by a POST
    feed = CalendarFeed.objects.get(user__username="dangvien1")
    response = client.get(f"/calendar/{feed.token}/me.ics")
    events = {
        str(event["uid"]): event
        for event in icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    }
    alarms = events[f"meeting-{kept}@chibo"].walk("VALARM")
    assert sorted(alarm.decoded("trigger") for alarm in alarms) == [
        -datetime.timedelta(days=1),
        -datetime.timedelta(hours=1),
    ]
    assert {str(alarm["action"]) for alarm in alarms} == {"DISPLAY"}
    # A cancelled meeting reminds nobody.
    assert events[f"meeting-{cancelled.pk}@chibo"].walk("VALARM") == []


def test_the_calendar_page_subscribes_in_one_tap_and_copies(client_for) -> None:
    secretary = client_for("bithu1")
    secretary.post("/calendar/")  # the addresses are made by a POST
    response = secretary.get("/calendar/")
    feed = CalendarFeed.objects.get(user__username="bithu1")
    text = response.content.decode()
    assert f'href="webcal://testserver/calendar/{feed.token}/me.ics"' in text
    assert f'href="webcal://testserver/calendar/{feed.token}/cells/X001.01.ics"' in text
    assert 'data-copy="feed-me"' in text
    assert 'id="feed-me"' in text
    assert "<script>" not in text
    assert " style=" not in text
