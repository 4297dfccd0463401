"""What waits on a person among supervision's records (chibo.lib.todo): visits to attend or
to record, weak-cell decisions and quarterly reviews, working-group reports to write, to
correct or to review. Each provider reads through chibo.supervision.access and names its
query budget."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.orgs.permissions import Perm
from chibo.supervision.access import groups_of, reports_to_review
from chibo.supervision.models import (
    WRITABLE,
    GroupReport,
    ReportState,
    SupervisionRules,
    Visit,
    VisitState,
    WeakCell,
    WeakState,
)
from chibo.supervision.services import reports_due, weak_reviews_due

if TYPE_CHECKING:
    from chibo.lib.todo import TodoItem
    from chibo.orgs.access import AnyUser

LIMIT = 50  # items per provider: the page shows the first ones, the count stays bounded
SOON = datetime.timedelta(days=7)


def _item(**kwargs: object) -> TodoItem:
    from chibo.lib.todo import TodoItem

    return TodoItem(**kwargs)  # type: ignore[arg-type]


def visits_due(user: AnyUser, today: datetime.date) -> Iterable[TodoItem]:
    """The user's planned visits (their working group's among them): meetings of the coming
    week to attend, and those held whose observation is not recorded. One query."""
    if not user.is_authenticated:
        return []
    until = timezone.make_aware(datetime.datetime.combine(today + SOON, datetime.time()))
    visits = (
        Visit.objects.filter(user_id=user.pk, state=VisitState.PLANNED)
        .filter(meeting__scheduled_at__lt=until)
        .select_related("meeting__unit", "group")
        .order_by("meeting__scheduled_at")[:LIMIT]
    )
    items = []
    for visit in visits:
        day = timezone.localtime(visit.meeting.scheduled_at).date()
        held = day < today
        title = (
            _("Record what you observed at the meeting of %(cell)s")
            if held
            else _("Attend the meeting of %(cell)s")
        ) % {"cell": visit.meeting.unit.name}
        if visit.group is not None:
            title += f" ({visit.group.name})"
        items.append(
            _item(
                key=f"supervision.visit:{visit.pk}",
                kind="supervision.visit",
                title=title,
                url=visit.get_absolute_url(),
                unit=visit.meeting.unit.name,
                due=day,
                overdue=held,
            )
        )
    return items


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
        .filter(state=WeakState.PROPOSED)
        .select_related("unit")
        .order_by("proposed_at")[:LIMIT]
    ]
    listed = list(
        (
            WeakCell.objects.visible_to(user, Perm.MANAGE_SUPERVISION)
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
        .select_related("group__unit")
        .order_by("submitted_at")[:LIMIT]
    ]
    return items


PROVIDERS = (visits_due, weak_cells_due, group_reports_due)
