"""Meetings as iCalendar (RFC 5545), for the calendar apps on people's phones."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

import icalendar
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from chibo.meetings.models import Meeting, MeetingState

# A meeting without recorded times lasts its required minimum in calendars: the province's
# setting, asked of the app that owns it (settings.CHIBO_MEETING_MINUTES).

# The phone reminds its owner of a coming meeting a day before (to arrange the evening)
# and an hour before (to set off).
REMINDERS = (datetime.timedelta(days=1), datetime.timedelta(hours=1))


def meetings_ics(meetings: Iterable[Meeting], *, name: str, base_url: str) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//chibo//sinh hoat chi bo//VI")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", timezone.get_current_timezone_name())
    meetings = list(meetings)
    path = getattr(settings, "CHIBO_MEETING_MINUTES", "")
    minimum: dict[int, int] = import_string(path)(meetings) if path else {}
    for meeting in meetings:
        event = icalendar.Event()
        event.add("uid", f"meeting-{meeting.pk}@chibo")
        start = meeting.started_at or meeting.scheduled_at
        event.add("dtstart", start)
        if meeting.ended_at:
            event.add("dtend", meeting.ended_at)
        elif meeting.pk in minimum:
            event.add("dtend", start + datetime.timedelta(minutes=minimum[meeting.pk]))
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
            for before in REMINDERS:
                event.add_component(_reminder(meeting, summary, before))
        calendar.add_component(event)
    return bytes(calendar.to_ical())


def _reminder(meeting: Meeting, summary: str, before: datetime.timedelta) -> icalendar.Alarm:
    alarm = icalendar.Alarm()
    # A stable UID per reminder, so that a calendar updating the feed keeps one of each.
    alarm.add("uid", f"meeting-{meeting.pk}-{int(before.total_seconds())}@chibo")
    alarm.add("action", "DISPLAY")
    alarm.add("description", summary)
    alarm.add("trigger", -before)
    return alarm
