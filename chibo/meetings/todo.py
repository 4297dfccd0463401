"""What waits on a person among meetings (chibo.lib.todo): for a cell's record keepers, the
month's meeting to plan, a coming meeting to prepare, attendance and minutes to record after
the meeting, minutes to approve; for everyone, the tasks of resolutions they own."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.lib.dates import add_months
from chibo.lib.todo import TodoItem
from chibo.meetings.models import Meeting, MeetingKind, MeetingState, Task
from chibo.orgs.access import duty_filter, duty_grants
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm

if TYPE_CHECKING:
    from chibo.orgs.access import AnyUser

# A meeting's minutes are nudged as overdue this many days after the meeting (a reminder of
# the to-do list, not a rule of docs/rules.md: the approval itself has no deadline there).
MINUTES_GRACE_DAYS = 7
# Coming meetings are listed to prepare from this many days ahead.
PREPARE_DAYS_AHEAD = 14


def cell_meetings(user: AnyUser, today: datetime.date) -> Iterator[TodoItem]:
    """The cell's record keepers (MANAGE_MEETINGS held on the cell itself): this month's
    regular meeting to plan, coming meetings to prepare, held meetings to record and
    minutes to approve. Budget: 2 queries (the cells, the meetings); none without such a
    grant."""
    if not any(g.unit.is_cell for g in duty_grants(user, Perm.MANAGE_MEETINGS)):
        return
    month = today.replace(day=1)
    month_end = add_months(month, 1) - datetime.timedelta(days=1)
    regular = Meeting.objects.filter(
        unit=OuterRef("pk"), month=month, kind__in=[MeetingKind.REGULAR, MeetingKind.COMBINED]
    ).exclude(state=MeetingState.CANCELLED)
    cells = (
        Unit.objects.visible_to(user, Perm.MANAGE_MEETINGS)
        .cells()
        .filter(duty_filter(user, Perm.MANAGE_MEETINGS, cells_only=True))
        .filter(~Exists(regular))
        .order_by("path")
    )
    for cell in cells:
        yield TodoItem(
            key=f"meetings.plan:{cell.pk}:{month:%Y-%m}",
            kind="meetings.plan",
            title=_("Plan the regular meeting of %(month)s") % {"month": f"{month:%m/%Y}"},
            url=reverse("meetings:new", args=[cell.code]),
            unit=cell.name,
            due=month_end,
            overdue=month_end < today,
        )
    now = timezone.now()
    meetings = (
        Meeting.objects.visible_to(user, Perm.MANAGE_MEETINGS)
        .filter(duty_filter(user, Perm.MANAGE_MEETINGS, through="unit__", cells_only=True))
        .filter(
            state__in=[MeetingState.PLANNED, MeetingState.POSTPONED, MeetingState.HELD],
            scheduled_at__lte=now + datetime.timedelta(days=PREPARE_DAYS_AHEAD),
        )
        .select_related("unit")
        .order_by("scheduled_at")
    )
    for meeting in meetings:
        day = timezone.localtime(meeting.scheduled_at).date()
        label = f"{meeting.get_kind_display()} {day:%d/%m/%Y}"
        if meeting.state == MeetingState.HELD:
            due = day + datetime.timedelta(days=MINUTES_GRACE_DAYS)
            yield TodoItem(
                key=f"meetings.approve:{meeting.pk}",
                kind="meetings.approve",
                title=_("Complete and approve the minutes: %(meeting)s") % {"meeting": label},
                url=reverse("meetings:minutes", args=[meeting.pk]),
                unit=meeting.unit.name,
                due=due,
                overdue=due < today,
            )
        elif meeting.scheduled_at <= now:
            yield TodoItem(
                key=f"meetings.record:{meeting.pk}",
                kind="meetings.record",
                title=_("Record the attendance and minutes: %(meeting)s") % {"meeting": label},
                url=reverse("meetings:attendance", args=[meeting.pk]),
                unit=meeting.unit.name,
                due=day,
                overdue=day < today,
            )
        elif not all(done for _step, done in meeting.preparation_steps()):
            due = day - datetime.timedelta(days=1)
            yield TodoItem(
                key=f"meetings.prepare:{meeting.pk}",
                kind="meetings.prepare",
                title=_("Prepare the meeting: %(meeting)s") % {"meeting": label},
                url=reverse("meetings:preparation", args=[meeting.pk]),
                unit=meeting.unit.name,
                due=due,
                overdue=due < today,
            )


def own_tasks(user: AnyUser, today: datetime.date) -> Iterator[TodoItem]:
    """The open tasks of meeting resolutions the person owns, overdue ones flagged.
    Budget: 1 query."""
    if not user.is_authenticated:
        return
    tasks = (
        Task.objects.visible_to(user)
        .filter(owner__user_id=user.pk)
        .still_open()
        .select_related("meeting__unit")
        .order_by("deadline", "pk")
    )
    for task in tasks:
        yield TodoItem(
            key=f"meetings.task:{task.pk}",
            kind="meetings.task",
            title=task.title,
            url=reverse("meetings:task_update", args=[task.pk]),
            unit=task.meeting.unit.name,
            due=task.deadline,
            overdue=task.deadline < today,
        )


PROVIDERS = (cell_meetings, own_tasks)
