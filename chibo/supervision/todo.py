"""What waits on a person among supervision's records (chibo.lib.todo): visits to attend or
to record, corrections an inspection requires (for the inspected cell's leaders; overdue
ones for the inspecting staff), weak-cell decisions and quarterly reviews, working-group
reports to write, to correct or to review. Each provider reads through
chibo.supervision.access and names its query budget."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.lib.todo import TodoItem
from chibo.meetings.models import MeetingState
from chibo.orgs.access import duty_filter, duty_grants
from chibo.orgs.permissions import Perm
from chibo.supervision.access import groups_of, reports_to_review
from chibo.supervision.models import (
    WRITABLE,
    Finding,
    FindingKind,
    GroupReport,
    InspectionItem,
    ReportState,
    SupervisionRules,
    Visit,
    VisitState,
    WeakCell,
    WeakState,
)
from chibo.supervision.services import reports_due, weak_reviews_due

if TYPE_CHECKING:
    from chibo.orgs.access import AnyUser

LIMIT = 50  # items per provider: the page shows the first ones, the count stays bounded
# Visits are listed from this many days before the meeting.
VISIT_DAYS_AHEAD = 14


def _item(**kwargs: object) -> TodoItem:
    return TodoItem(**kwargs)  # type: ignore[arg-type]


def visits_due(user: AnyUser, today: datetime.date) -> Iterator[TodoItem]:
    """The person's planned visits (their working group's among them): coming meetings to
    attend, and past ones whose observation is still to be recorded. Budget: 1 query."""
    if not user.is_authenticated:
        return
    now = timezone.now()
    visits = (
        Visit.objects.visible_to(user)
        .filter(user_id=user.pk, state=VisitState.PLANNED)
        .filter(meeting__scheduled_at__lte=now + datetime.timedelta(days=VISIT_DAYS_AHEAD))
        .exclude(meeting__state=MeetingState.CANCELLED)
        .select_related("meeting__unit", "group")
        .order_by("meeting__scheduled_at", "pk")
    )
    for visit in visits:
        meeting = visit.meeting
        day = timezone.localtime(meeting.scheduled_at).date()
        past = meeting.scheduled_at <= now
        title = (
            _("Record what you saw at the meeting of %(day)s")
            if past
            else _("Attend the meeting of %(day)s")
        )
        shown = title % {"day": f"{day:%d/%m/%Y}"}
        if visit.group is not None:
            shown += f" ({visit.group.name})"
        yield TodoItem(
            key=f"supervision.visit:{visit.pk}",
            kind="supervision.visit",
            title=shown,
            url=reverse("supervision:visit", args=[visit.pk]),
            unit=meeting.unit.name,
            due=day,
            overdue=day < today,
        )


def weak_cells_due(user: AnyUser, today: datetime.date) -> Iterable[TodoItem]:
    """Proposals for the list of weak cells to decide, and the quarterly reviews due of the
    cells the user helps or decides on. Three queries."""
    if not user.is_authenticated:
        return []
    items = [
        _item(
            key=f"supervision.weak_decide:{case.pk}",
            kind="supervision.weak_decide",
            title=_("Decide whether %(cell)s goes on the list of weak cells")
            % {"cell": case.unit.name},
            url=case.get_absolute_url(),
            unit=case.unit.name,
        )
        for case in WeakCell.objects.visible_to(user, Perm.MANAGE_SUPERVISION)
        .filter(duty_filter(user, Perm.MANAGE_SUPERVISION, through="unit__"))
        .filter(state=WeakState.PROPOSED)
        .select_related("unit")
        .order_by("proposed_at")[:LIMIT]
    ]
    listed = list(
        (
            WeakCell.objects.visible_to(user, Perm.MANAGE_SUPERVISION).filter(
                duty_filter(user, Perm.MANAGE_SUPERVISION, through="unit__")
            )
            | WeakCell.objects.filter(helper_id=user.pk)
        )
        .filter(state=WeakState.LISTED)
        .select_related("unit")
        .order_by("unit__path")[:LIMIT]
    )
    quarter_start = datetime.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    items += [
        _item(
            key=f"supervision.weak_review:{case.pk}:{quarter_start:%Y-%m}",
            kind="supervision.weak_review",
            title=_("Review the improvement plan of %(cell)s for last quarter")
            % {"cell": case.unit.name},
            url=case.get_absolute_url(),
            unit=case.unit.name,
            due=quarter_start,
            overdue=True,
        )
        for case in weak_reviews_due(listed, today)
    ]
    return items


def group_reports_due(user: AnyUser, today: datetime.date) -> Iterable[TodoItem]:
    """The reports of the user's working groups to write (due within a month or late) or
    to correct (returned), and the submitted reports they review. Three queries (and one
    per province of their groups for its due dates)."""
    if not user.is_authenticated:
        return []
    groups = list(
        groups_of(user)
        .filter(ends_on__gte=today - datetime.timedelta(days=60))
        .select_related("unit")
    )
    rules: dict[str, SupervisionRules] = {}
    states = {
        (r.group_id, r.year, r.half): r.state
        for r in GroupReport.objects.filter(group__in=groups).only(
            "group_id", "year", "half", "state"
        )
    }
    items = []
    for group in groups:
        root = group.unit.path[: group.unit.steplen]
        if root not in rules:
            rules[root] = SupervisionRules.for_unit(group.unit)
        for due in reports_due(group, rules[root]):
            state = states.get((group.pk, due.year, due.half), ReportState.DRAFT)
            if state not in WRITABLE or due.due_on > today + datetime.timedelta(days=30):
                continue
            returned = state == ReportState.RETURNED
            items.append(
                _item(
                    key=f"supervision.group_report:{group.pk}:{due.period}",
                    kind="supervision.group_report",
                    title=(
                        _("Correct the returned report %(period)s of %(group)s")
                        if returned
                        else _("Write the report %(period)s of %(group)s")
                    )
                    % {"period": due.period, "group": group.name},
                    url=reverse("supervision:report", args=[group.pk, due.period]),
                    due=due.due_on,
                    overdue=returned or due.due_on < today,
                )
            )
    items += [
        _item(
            key=f"supervision.group_report_review:{report.pk}",
            kind="supervision.group_report_review",
            title=_("Review the report %(period)s of %(group)s")
            % {"period": report.period, "group": report.group.name},
            url=report.get_absolute_url(),
            unit=report.group.unit.name,
            due=report.submitted_at.date() if report.submitted_at else None,
        )
        for report in reports_to_review(user)
        .filter(duty_filter(user, Perm.MANAGE_SUPERVISION, through="group__unit__"))
        .select_related("group__unit")
        .order_by("submitted_at")[:LIMIT]
    ]
    return items


def corrections_due(user: AnyUser, today: datetime.date) -> Iterator[TodoItem]:
    """Corrections required by inspections and not yet made: for the leaders of the
    inspected cell (MANAGE_MEETINGS held on it), all; for the inspecting staff
    (MANAGE_INSPECTION over the inspecting unit), those past their deadline. Budget: 1
    query."""
    leads = any(g.unit.is_cell for g in duty_grants(user, Perm.MANAGE_MEETINGS))
    inspects = bool(duty_grants(user, Perm.MANAGE_INSPECTION))
    if not (leads or inspects):
        return
    mine = duty_filter(user, Perm.MANAGE_MEETINGS, through="item__target__", cells_only=True)
    followed = duty_filter(user, Perm.MANAGE_INSPECTION, through="item__unit__") & Q(
        deadline__lt=today
    )
    findings = (
        Finding.objects.filter(item__in=InspectionItem.objects.visible_to(user).values("pk"))
        .exclude(kind=FindingKind.GOOD_PRACTICE)
        .exclude(correction="")
        .filter(corrected_on__isnull=True)
        .filter(mine | followed)
        .select_related("item__target")
        .order_by("deadline", "pk")
    )
    for finding in findings:
        yield TodoItem(
            key=f"supervision.correction:{finding.pk}",
            kind="supervision.correction",
            title=_("Correct: %(text)s") % {"text": finding.correction[:120]},
            url=reverse("supervision:inspection", args=[finding.item_id]),
            unit=finding.item.target.name,
            due=finding.deadline,
            overdue=finding.is_overdue(today),
        )


PROVIDERS = (visits_due, corrections_due, weak_cells_due, group_reports_due)
