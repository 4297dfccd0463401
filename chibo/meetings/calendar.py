"""Meetings as iCalendar (RFC 5545), for the calendar apps on people's phones."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

import icalendar
from django.utils import timezone

from chibo.meetings.models import Meeting, MeetingState

# A meeting without recorded times lasts this long in calendars (HD 12's minimum).
DEFAULT_LENGTH = datetime.timedelta(minutes=90)


def meetings_ics(meetings: Iterable[Meeting], *, name: str, base_url: str) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//chibo//sinh hoat chi bo//VI")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", timezone.get_current_timezone_name())
    for meeting in meetings:
        event = icalendar.Event()
        event.add("uid", f"meeting-{meeting.pk}@chibo")
        start = meeting.started_at or meeting.scheduled_at
        event.add("dtstart", start)
        event.add("dtend", meeting.ended_at or start + DEFAULT_LENGTH)
        event.add("dtstamp", timezone.now())
        summary = f"Sinh hoạt chi bộ: {meeting.unit.name}"
        if meeting.topic:
            summary += f" — {meeting.topic}"
        event.add("summary", summary)
        event.add("location", meeting.place)
        event.add("url", f"{base_url}{meeting.get_absolute_url()}")
        event.add("sequence", meeting.version)
        if meeting.state == MeetingState.CANCELLED:
            event.add("status", "CANCELLED")
        else:
            event.add("status", "CONFIRMED")
        calendar.add_component(event)
    return bytes(calendar.to_ical())
