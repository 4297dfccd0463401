"""Reminder e-mails: coming meetings for their members, overdue tasks for their owners."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from chibo.meetings.models import Meeting, MeetingState, Task
from chibo.meetings.services import attendance_roster


@dataclass
class ReminderCounts:
    meetings: int = 0
    meeting_mails: int = 0
    task_mails: int = 0
    # Mails of the other reminder sources (settings.CHIBO_REMINDER_SOURCES), by what they are.
    other: dict[str, int] = field(default_factory=dict)


# A reminder source: today → the mails to send and how many of what they are.
ReminderSource = Callable[[datetime.date], tuple[list[EmailMessage], dict[str, int]]]


def _link(path: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def reminder_messages(
    *, days_ahead: int, today: datetime.date | None = None
) -> tuple[list[EmailMessage], ReminderCounts]:
    """The messages to send today: one per member of each meeting held `days_ahead` days
    from today (so that a daily run reminds once), one per owner of overdue tasks."""
    today = today or timezone.localdate()
    day = today + datetime.timedelta(days=days_ahead)
    counts = ReminderCounts()
    messages: list[EmailMessage] = []
    meetings = (
        Meeting.objects.filter(
            state__in=[MeetingState.PLANNED, MeetingState.POSTPONED], scheduled_at__date=day
        )
        .select_related("unit")
        .prefetch_related("items", "visitors")
    )
    for meeting in meetings:
        counts.meetings += 1
        local = timezone.localtime(meeting.scheduled_at)
        body = render_to_string(
            "meetings/email/meeting_reminder.txt",
            {
                "meeting": meeting,
                "kind": meeting.get_kind_display().lower(),
                "local": local,
                "items": list(meeting.items.all()),
                "link": _link(meeting.get_absolute_url()),
            },
        )
        subject = _("Party cell meeting on %(day)s") % {"day": f"{local:%d/%m/%Y}"}
        roster = [member for member, _row in attendance_roster(meeting)]
        # The members' addresses in one query, in the roster's order.
        address = dict(
            get_user_model()
            .objects.filter(pk__in=[m.user_id for m in roster if m.user_id])
            .values_list("pk", "email")
        )
        emails = [address.get(member.user_id or 0, "") for member in roster]
        # The upper-level members expected at the meeting are notified with the members.
        emails += [visitor.email for visitor in meeting.visitors.all()]
        for email in dict.fromkeys(e for e in emails if e):
            messages.append(EmailMessage(subject, body, to=[email]))
            counts.meeting_mails += 1
    overdue: dict[str, list[Task]] = {}
    for task in (
        Task.objects.still_open()
        .filter(deadline__lt=today, owner__user__isnull=False)
        .select_related("owner__user", "meeting__unit")
        .order_by("deadline")
    ):
        email = task.owner.user.email if task.owner and task.owner.user else ""
        if email:
            overdue.setdefault(email, []).append(task)
    for email, tasks in overdue.items():
        body = render_to_string(
            "meetings/email/overdue_tasks.txt", {"tasks": tasks, "link": _link("/tasks/mine/")}
        )
        messages.append(EmailMessage(_("Overdue tasks"), body, to=[email]))
        counts.task_mails += 1
    return messages, counts


def send_reminders(*, days_ahead: int, dry_run: bool = False) -> ReminderCounts:
    messages, counts = reminder_messages(days_ahead=days_ahead)
    # The apps above meetings add their own reminders through the setting (meetings does
    # not import them).
    today = timezone.localdate()
    for path in getattr(settings, "CHIBO_REMINDER_SOURCES", []):
        source: ReminderSource = import_string(path)
        extra, extra_counts = source(today)
        messages.extend(extra)
        for what, n in extra_counts.items():
            counts.other[what] = counts.other.get(what, 0) + n
    if not dry_run and messages:
        with get_connection() as connection:
            connection.send_messages(messages)
    return counts
