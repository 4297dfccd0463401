"""The rules of a meeting's time and roles (docs/rules.md, "Time and roles of a meeting").

Each rule is one function on plain values, so that the services that record a meeting, its
pages and the record audit (`meetings.audit`) call the same code.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from chibo.meetings.models import Meeting


def recording_opens_at(scheduled_at: datetime.datetime) -> datetime.datetime:
    """TIME-1: attendance, minutes, votes and approval are recorded from the meeting's
    scheduled start (a postponed meeting's new time), never before: what is written before
    the meeting happened cannot be its record. Members' own QR check-in keeps its window
    (half an hour before the start), which is a different act: a member saying "I am here"."""
    return scheduled_at


def recorded_too_early(recorded_at: datetime.datetime, scheduled_at: datetime.datetime) -> bool:
    """TIME-1: whether something recorded at `recorded_at` was recorded before the meeting
    scheduled at `scheduled_at` opened for recording."""
    return recorded_at < recording_opens_at(scheduled_at)


# Members may check themselves in from half an hour before the meeting (TIME-1 leaves the
# check-in its own window).
CHECKIN_OPENS = datetime.timedelta(minutes=30)


def check_in_opens_at(start: datetime.datetime) -> datetime.datetime:
    """TIME-1: when members' own QR check-in opens for a meeting starting at `start`."""
    return start - CHECKIN_OPENS


def check_recording_open(meeting: Meeting, what: Any, now: datetime.datetime | None = None) -> None:
    """TIME-1, as the services apply it: refuse to record `what` before the meeting's start,
    saying when recording opens."""
    now = now or timezone.now()
    if recorded_too_early(now, meeting.scheduled_at):
        opens = timezone.localtime(recording_opens_at(meeting.scheduled_at))
        raise ValidationError(
            _(
                "%(what)s can be recorded only from the meeting's start: %(time)s. "
                "Recording opens then."
            )
            % {
                "what": str(what)[:1].upper() + str(what)[1:],
                "time": date_format(opens, "d/m/Y H:i"),
            }
        )


CHAIR = gettext_lazy("a chair recorded present at the meeting")
MINUTES_SECRETARY = gettext_lazy("a minutes secretary recorded present at the meeting")


def absent_roles(
    chair_id: int | None, minutes_secretary_id: int | None, present_ids: Collection[int]
) -> list[Any]:
    """ROLE-1: the minutes are approved only with a chair and a minutes secretary who were
    recorded present (HD 12: the chair opens and leads, the minutes secretary is appointed at
    the opening and writes the minutes; neither can do it absent). Returns what is lacking:
    the roles set to someone not recorded present (a role not set at all is reported by
    `Meeting.missing_for_approval` as missing)."""
    lacking: list[Any] = []
    if chair_id is not None and chair_id not in present_ids:
        lacking.append(CHAIR)
    if minutes_secretary_id is not None and minutes_secretary_id not in present_ids:
        lacking.append(MINUTES_SECRETARY)
    return lacking


def opens_later(meeting: Meeting, now: datetime.datetime | None = None) -> datetime.datetime | None:
    """When recording opens (TIME-1), for the pages to say so, if it is not open yet."""
    if recorded_too_early(now or timezone.now(), meeting.scheduled_at):
        return timezone.localtime(recording_opens_at(meeting.scheduled_at))
    return None
