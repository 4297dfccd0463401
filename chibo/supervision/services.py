"""Supervision: working groups and their grants, the visit plan, observations."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from chibo.lib.history import bulk_reason
from chibo.lib.locking import claim
from chibo.lib.submissions import once_per_submission
from chibo.meetings.models import Meeting, MeetingKind, MeetingState
from chibo.meetings.services import note_upper_attendee
from chibo.members.models import Member
from chibo.orgs.models import CellType, RoleGrant, Unit, VisitRule
from chibo.orgs.permissions import Role, Scope
from chibo.scoring.classification import note_discipline
from chibo.scoring.models import Level
from chibo.supervision.models import (
    WEAK_OPEN,
    WRITABLE,
    Finding,
    GroupAssignment,
    GroupReport,
    InspectionItem,
    ProgrammeKind,
    ReportState,
    Sanction,
    SanctionKind,
    SupervisionRules,
    Visit,
    VisitSource,
    VisitState,
    WeakCell,
    WeakCellReview,
    WeakSource,
    WeakState,
    WorkingGroup,
)
from chibo.supervision.planner import (
    Assignee,
    Gap,
    Plan,
    Slot,
    plan_covers,
    plan_group,
    plan_monthly,
    plan_quota,
)

Actor = User | None
REGULAR = (MeetingKind.REGULAR, MeetingKind.COMBINED)
OPEN = (MeetingState.PLANNED, MeetingState.POSTPONED)
RESIDENTIAL = (CellType.VILLAGE, CellType.RESIDENTIAL)


def display_name(user: User) -> str:
    return user.get_full_name() or user.username


def committee_members(unit: Unit, on: datetime.date | None = None) -> list[User]:
    """The members of `unit`'s committee: users holding the upper-level committee role
    on the unit itself today."""
    ids = (
        RoleGrant.objects.active(on).filter(unit=unit, role=Role.UPPER_COMMITTEE).values("user_id")
    )
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("username"))


# --- working groups ---------------------------------------------------------------------


def _sync_grants(group: WorkingGroup) -> None:
    """Give each member of the group a working-group grant over each assigned unit, valid
    for the group's period (and nothing more)."""
    old = list(group.grants.all())
    group.grants.clear()
    RoleGrant.objects.filter(pk__in=[g.pk for g in old]).delete()
    members = set(group.members.all()) | {group.leader}
    grants = [
        RoleGrant.objects.create(
            user=user,
            unit=unit,
            role=Role.WORKING_GROUP,
            scope=Scope.SUBTREE,
            valid_from=group.starts_on,
            valid_until=group.ends_on,
            note=_("Working group: %(name)s") % {"name": group.name},
        )
        for user in sorted(members, key=lambda u: u.pk)
        for unit in group.units.all()
    ]
    group.grants.add(*grants)


@transaction.atomic
@once_per_submission
def save_group(
    *,
    group: WorkingGroup | None = None,
    unit: Unit,
    name: str,
    leader: User,
    members: list[User],
    units: list[Unit],
    starts_on: datetime.date,
    ends_on: datetime.date,
    decision: str = "",
    by: Actor,
    version: int | None = None,
    submission: uuid.UUID | None = None,
) -> WorkingGroup:
    """Create or change a working group; its members' grants follow. A change is refused if
    the group was saved since `version` (the one the form was read at)."""
    if ends_on < starts_on:
        raise ValidationError(_("The period ends before it starts."))
    outside = [u.code for u in units if not u.path.startswith(unit.path) or u.pk == unit.pk]
    if outside:
        raise ValidationError(
            _("Units outside the committee's tree: %(codes)s.") % {"codes": ", ".join(outside)}
        )
    if not units:
        raise ValidationError(_("Assign at least one unit."))
    if group is not None:
        claim(group, version)
    group = group or WorkingGroup(unit=unit)
    group.name, group.leader, group.decision = name, leader, decision
    group.starts_on, group.ends_on = starts_on, ends_on
    group._history_user = by  # type: ignore[attr-defined]
    group.save()
    group.members.set(members)
    group.units.set(units)
    _sync_grants(group)
    return group


def group_cells(group: WorkingGroup) -> Any:
    """The active cells under the group's assigned units."""
    q = Q()
    for path in group.units.values_list("path", flat=True):
        q |= Q(path__startswith=path)
    return Unit.objects.cells().active().filter(q) if q else Unit.objects.none()


def group_of_visit(user: User, cell: Unit, day: datetime.date) -> WorkingGroup | None:
    """The working group in whose name `user` attends a meeting of `cell` on `day`: a group
    they lead or belong to, in its period, with the cell among its units (one query)."""
    ancestors = [cell.path[:end] for end in range(cell.steplen, len(cell.path) + 1, cell.steplen)]
    return (
        WorkingGroup.objects.filter(
            Q(leader=user) | Q(members=user),
            units__path__in=ancestors,
            starts_on__lte=day,
            ends_on__gte=day,
        )
        .order_by("pk")
        .first()
    )


@transaction.atomic
def assign_charge(*, group: WorkingGroup, unit: Unit, user: User | None, by: Actor) -> None:
    """The leader charges `user` (a member of the group, or the leader) with the meetings
    of `unit`, a commune or cell among the group's units; None takes the charge back."""
    paths = list(group.units.values_list("path", flat=True))
    if not any(unit.path.startswith(path) for path in paths):
        raise ValidationError(_("%(unit)s is not among the group's units.") % {"unit": unit.name})
    current = GroupAssignment.objects.filter(group=group, unit=unit).first()
    if current is not None:
        current._history_user = by  # type: ignore[attr-defined]
        current.delete()
    if user is None:
        return
    people = {group.leader_id, *group.members.values_list("pk", flat=True)}
    if user.pk not in people:
        raise ValidationError(
            _("%(name)s is not in the working group.") % {"name": display_name(user)}
        )
    assignment = GroupAssignment(group=group, unit=unit, user=user)
    assignment._history_user = by  # type: ignore[attr-defined]
    assignment.save()


# --- visits -----------------------------------------------------------------------------


def _day(meeting: Meeting) -> datetime.date:
    return timezone.localtime(meeting.scheduled_at).date()


@transaction.atomic
@once_per_submission
def assign_visit(
    *,
    meeting: Meeting,
    user: User,
    by: Actor,
    group: WorkingGroup | None = None,
    submission: uuid.UUID | None = None,
) -> Visit:
    """Assign `user` to attend `meeting` (refused if they attend another meeting that day)."""
    if meeting.state not in OPEN:
        raise ValidationError(_("Only a meeting still to be held can be given an attendee."))
    day = _day(meeting)
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    clash = (
        Visit.objects.filter(
            user=user,
            meeting__scheduled_at__gte=start,
            meeting__scheduled_at__lt=start + datetime.timedelta(days=1),
        )
        .exclude(meeting=meeting)
        .select_related("meeting__unit")
        .first()
    )
    if clash is not None:
        raise ValidationError(
            _("%(name)s already attends the meeting of %(cell)s that day.")
            % {"name": display_name(user), "cell": clash.meeting.unit.name}
        )
    if Visit.objects.filter(meeting=meeting, user=user).exists():
        raise ValidationError(_("%(name)s is already assigned.") % {"name": display_name(user)})
    group = group or group_of_visit(user, meeting.unit, day)
    visit = Visit(meeting=meeting, user=user, group=group, source=VisitSource.MANUAL)
    visit._history_user = by  # type: ignore[attr-defined]
    visit.save()
    meeting.visitors.add(user)
    return visit


@transaction.atomic
def remove_visit(*, visit: Visit, by: Actor) -> None:
    if visit.state != VisitState.PLANNED:
        raise ValidationError(_("A visit already recorded stays."))
    visit.meeting.visitors.remove(visit.user)
    visit._history_user = by  # type: ignore[attr-defined]
    visit.delete()


@transaction.atomic
def record_observation(
    *,
    visit: Visit,
    state: str,
    observation: str,
    guidance: str,
    version: int,
    by: Actor,
) -> Visit:
    """What the attendee saw and the guidance given (with optimistic locking)."""
    locked = Visit.objects.select_for_update().get(pk=visit.pk)
    if locked.version != version:
        raise ValidationError(
            _("Someone else saved this visit meanwhile. Reload the page and try again.")
        )
    if state not in (VisitState.DONE, VisitState.MISSED):
        raise ValidationError(_("Say whether the meeting was attended."))
    if state == VisitState.DONE and not observation.strip():
        raise ValidationError(_("Write what you observed."))
    if state == VisitState.DONE and locked.meeting.scheduled_at > timezone.now():
        raise ValidationError(_("The meeting has not taken place yet."))
    if state == VisitState.DONE:
        note_upper_attendee(
            meeting=locked.meeting, name=display_name(locked.user), title=_("Upper-level committee")
        )
    locked.state, locked.observation, locked.guidance = state, observation, guidance
    locked.recorded_at = timezone.now()
    locked.version += 1
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save()
    return locked


# --- the yearly plan ----------------------------------------------------------------------


@dataclass
class PlanReport:
    """A plan as people read it."""

    unit: Unit
    year: int
    plan: Plan
    people: dict[int, User] = field(default_factory=dict)
    created: int = 0

    def gap_lines(self) -> list[str]:
        lines = []
        for gap in self.plan.gaps:
            lines.append(gap_text(gap, self.people))
        return lines


def gap_text(gap: Gap, people: dict[int, User]) -> str:
    values = {"cell": gap.cell_code, "month": gap.month}
    if gap.reason == "no_meeting":
        return _("%(cell)s, month %(month)s: no meeting scheduled") % values
    if gap.reason == "all_busy":
        return _("%(cell)s, month %(month)s: every committee member is busy that day") % values
    if gap.reason == "no_assignee":
        return _("%(cell)s, month %(month)s: the committee has no member to assign") % values
    user = people.get(gap.user_id or 0)
    return _("%(name)s: not enough meetings to reach the yearly quota") % {
        "name": display_name(user) if user else "?"
    }


def plan_visits(
    *,
    unit: Unit,
    year: int,
    by: Actor,
    dry_run: bool = False,
    today: datetime.date | None = None,
) -> PlanReport:
    """Plan the visits of `unit`'s committee for the rest of `year` (see planner)."""
    rule = unit.kind.visit_rule
    if unit.is_cell or rule == VisitRule.NONE:
        raise ValidationError(
            _("Visits are planned by a committee whose kind has an attendance plan.")
        )
    today = today or timezone.localdate()
    if year < today.year:
        raise ValidationError(_("That year is over."))
    rules = SupervisionRules.for_unit(unit)
    first_month = today.month if year == today.year else 1
    months = list(range(first_month, 13))
    committees = set(
        Unit.objects.active()
        .filter(path__startswith=unit.path, kind__holds_meetings=False)
        .exclude(kind__visit_rule=VisitRule.NONE)
        .values_list("path", flat=True)
    )
    cells = [
        cell
        for cell in Unit.objects.cells()
        .active()
        .filter(path__startswith=unit.path)
        .order_by("path")
        .only("pk", "code", "cell_type", "is_weak", "path", "depth")
        if plan_covers(rule, unit.path, cell.path, committees)
    ]
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time()))
    meetings = list(
        Meeting.objects.filter(
            unit__in=[c.pk for c in cells],
            month__year=year,
            kind__in=REGULAR,
            state__in=OPEN,
            scheduled_at__gte=start,
        ).values_list("pk", "unit_id", "scheduled_at")
    )
    by_pk = {c.pk: c for c in cells}
    slots = [
        Slot(
            meeting_id=pk,
            cell_id=cell_id,
            cell_code=by_pk[cell_id].code,
            day=timezone.localtime(at).date(),
            residential=by_pk[cell_id].cell_type in RESIDENTIAL,
            weak=by_pk[cell_id].is_weak,
        )
        for pk, cell_id, at in meetings
    ]
    people = committee_members(unit, today)
    assignees = [Assignee(u.pk, display_name(u)) for u in people]
    busy: dict[int, set[datetime.date]] = {}
    before: dict[int, int] = {}  # visits of the year before today
    for user_id, at in Visit.objects.filter(
        user__in=people, meeting__scheduled_at__year=year
    ).values_list("user_id", "meeting__scheduled_at"):
        busy.setdefault(user_id, set()).add(timezone.localtime(at).date())
        if at < start:
            before[user_id] = before.get(user_id, 0) + 1
    existing: dict[int, set[int]] = {}
    for meeting_id, user_id in Visit.objects.filter(
        meeting_id__in=[s.meeting_id for s in slots]
    ).values_list("meeting_id", "user_id"):
        existing.setdefault(meeting_id, set()).add(user_id)
    if rule in (VisitRule.PROVINCE_QUOTA, VisitRule.DISTRICT_QUOTA):
        province = rule == VisitRule.PROVINCE_QUOTA
        plan = plan_quota(
            slots=slots,
            assignees=assignees,
            per_person=rules.province_visits_per_year
            if province
            else rules.commune_visits_per_year,
            busy=busy,
            existing=existing,
            residential_only=province,
        )
    else:
        plan = plan_monthly(
            cells=[(c.pk, c.code) for c in cells] if rules.basic_monthly else [],
            months=months,
            slots=slots,
            assignees=assignees,
            busy=busy,
            existing=existing,
        )
        plan.gaps.extend(
            Gap("", 0, "quota", a.user_id)
            for a in assignees
            if plan.load[a.user_id] + before.get(a.user_id, 0) < rules.commune_visits_per_year
        )
    report = PlanReport(unit, year, plan, {u.pk: u for u in people})
    if not dry_run and plan.assignments:
        with transaction.atomic():
            now = timezone.now()
            bulk_create_with_history(
                [
                    Visit(
                        meeting_id=meeting_id,
                        user_id=user_id,
                        source=VisitSource.PLAN,
                        planned_at=now,
                    )
                    for meeting_id, user_id in plan.assignments
                ],
                Visit,
                default_user=by,
                default_change_reason=bulk_reason(),
            )
            Through = Meeting.visitors.through
            Through.objects.bulk_create(
                Through(meeting_id=meeting_id, user_id=user_id)
                for meeting_id, user_id in plan.assignments
            )
        report.created = len(plan.assignments)
    return report


def plan_group_visits(
    *,
    group: WorkingGroup,
    year: int,
    by: Actor,
    dry_run: bool = False,
    today: datetime.date | None = None,
) -> PlanReport:
    """Plan the visits of the group's people for the rest of `year` within its period,
    under the group's own rule (planner.plan_group); each visit is the group's."""
    today = today or timezone.localdate()
    if year < today.year:
        raise ValidationError(_("That year is over."))
    start_day = max(today, group.starts_on, datetime.date(year, 1, 1))
    end_day = min(group.ends_on, datetime.date(year, 12, 31))
    people = sorted({group.leader, *group.members.filter(is_active=True)}, key=lambda u: u.username)
    report = PlanReport(group.unit, year, Plan(), {u.pk: u for u in people})
    if end_day < start_day:
        return report
    cells = list(
        group_cells(group).order_by("path").only("pk", "code", "cell_type", "is_weak", "path")
    )
    charges: dict[int, set[int]] = {}
    for user_id, path in GroupAssignment.objects.filter(group=group).values_list(
        "user_id", "unit__path"
    ):
        charges.setdefault(user_id, set()).update(c.pk for c in cells if c.path.startswith(path))
    start = timezone.make_aware(datetime.datetime.combine(start_day, datetime.time()))
    end = timezone.make_aware(
        datetime.datetime.combine(end_day + datetime.timedelta(days=1), datetime.time())
    )
    by_pk = {c.pk: c for c in cells}
    slots = [
        Slot(
            meeting_id=pk,
            cell_id=cell_id,
            cell_code=by_pk[cell_id].code,
            day=timezone.localtime(at).date(),
            residential=by_pk[cell_id].cell_type in RESIDENTIAL,
            weak=by_pk[cell_id].is_weak,
        )
        for pk, cell_id, at in Meeting.objects.filter(
            unit__in=list(by_pk),
            kind__in=REGULAR,
            state__in=OPEN,
            scheduled_at__gte=start,
            scheduled_at__lt=end,
        ).values_list("pk", "unit_id", "scheduled_at")
    ]
    busy: dict[int, set[datetime.date]] = {}
    for user_id, at in Visit.objects.filter(
        user__in=people, meeting__scheduled_at__year=year
    ).values_list("user_id", "meeting__scheduled_at"):
        busy.setdefault(user_id, set()).add(timezone.localtime(at).date())
    existing: dict[int, set[int]] = {}
    for meeting_id, user_id in Visit.objects.filter(
        meeting_id__in=[s.meeting_id for s in slots]
    ).values_list("meeting_id", "user_id"):
        existing.setdefault(meeting_id, set()).add(user_id)
    report.plan = plan_group(
        rule=group.visit_rule,
        cells=[(c.pk, c.code) for c in cells],
        charges=charges,
        months=list(range(start_day.month, end_day.month + 1)),
        slots=slots,
        assignees=[Assignee(u.pk, display_name(u)) for u in people],
        per_person=group.visits_per_member,
        busy=busy,
        existing=existing,
    )
    if not dry_run and report.plan.assignments:
        with transaction.atomic():
            now = timezone.now()
            bulk_create_with_history(
                [
                    Visit(
                        meeting_id=meeting_id,
                        user_id=user_id,
                        group=group,
                        source=VisitSource.PLAN,
                        planned_at=now,
                    )
                    for meeting_id, user_id in report.plan.assignments
                ],
                Visit,
                default_user=by,
                default_change_reason=bulk_reason(),
            )
            Through = Meeting.visitors.through
            Through.objects.bulk_create(
                (
                    Through(meeting_id=meeting_id, user_id=user_id)
                    for meeting_id, user_id in report.plan.assignments
                ),
                ignore_conflicts=True,
            )
        report.created = len(report.plan.assignments)
    return report


# --- working-group reports -----------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    """A report a group owes."""

    year: int
    half: bool
    due_on: datetime.date

    @property
    def period(self) -> str:
        return f"{self.year}-H1" if self.half else str(self.year)


def reports_due(group: WorkingGroup, rules: SupervisionRules | None = None) -> list[Due]:
    """The reports `group` owes: each due date (15/6, 31/12 by default) in its period."""
    rules = rules or SupervisionRules.for_unit(group.unit)
    dues = []
    for year in range(group.starts_on.year, group.ends_on.year + 1):
        for half, month, day in (
            (True, rules.mid_report_month, rules.mid_report_day),
            (False, rules.year_report_month, rules.year_report_day),
        ):
            due_on = datetime.date(year, month, day)
            if group.starts_on <= due_on <= group.ends_on:
                dues.append(Due(year, half, due_on))
    return dues


def group_visits(group: WorkingGroup, start: datetime.date, end: datetime.date) -> Any:
    """The visits of the group between two dates: those made in its name, and those of its
    people to its cells in its period (before visits carried their group)."""
    cells = Q()
    for path in group.units.values_list("path", flat=True):
        cells |= Q(meeting__unit__path__startswith=path)
    people = [group.leader_id, *group.members.values_list("pk", flat=True)]
    own = Q(group=group)
    if cells:
        own |= cells & Q(user_id__in=people, group__isnull=True)
    return Visit.objects.filter(
        own,
        meeting__scheduled_at__date__gte=max(start, group.starts_on),
        meeting__scheduled_at__date__lte=min(end, group.ends_on),
    )


def report_visits(report: GroupReport) -> list[Visit]:
    """The visits a report covers, in date order (one query)."""
    end = datetime.date.fromisoformat(report.figures.get("to") or report.due_on.isoformat())
    return list(
        group_visits(report.group, datetime.date(report.year, 1, 1), end)
        .select_related("meeting__unit", "user")
        .order_by("meeting__scheduled_at", "pk")
    )


def report_figures(group: WorkingGroup, year: int, half: bool) -> dict[str, Any]:
    """The figures of a group's report, from its visits in the period."""
    due = next((d for d in reports_due(group) if d.year == year and d.half == half), None)
    end = due.due_on if due else datetime.date(year, 12, 31)
    start = datetime.date(year, 1, 1)
    visits = group_visits(group, start, end)
    states = dict(visits.values_list("state").annotate(n=Count("pk")).values_list("state", "n"))
    levels = dict(
        visits.filter(state=VisitState.DONE)
        .exclude(meeting__quality_level="")
        .values_list("meeting__quality_level")
        .annotate(n=Count("pk"))
        .values_list("meeting__quality_level", "n")
    )
    cell_q = Q()
    for unit in group.units.all():
        cell_q |= Q(path__startswith=unit.path)
    cells = Unit.objects.cells().filter(cell_q).count() if group.units.exists() else 0
    visited = visits.filter(state=VisitState.DONE).values("meeting__unit").distinct().count()
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "visits_planned": sum(states.values()),
        "visits_done": states.get(VisitState.DONE, 0),
        "visits_missed": states.get(VisitState.MISSED, 0),
        "cells_assigned": cells,
        "cells_visited": visited,
        "levels": {level: levels.get(level, 0) for level in ("tot", "kha", "trung_binh", "kem")},
    }


def _draft_results(group: WorkingGroup, year: int, half: bool, figures: dict[str, Any]) -> str:
    lines = [
        _(
            "The group attended %(done)s of the %(planned)s planned meetings, in %(visited)s of "
            "its %(cells)s cells."
        )
        % {
            "done": figures["visits_done"],
            "planned": figures["visits_planned"],
            "visited": figures["cells_visited"],
            "cells": figures["cells_assigned"],
        }
    ]
    start = datetime.date.fromisoformat(figures["from"])
    end = datetime.date.fromisoformat(figures["to"])
    for visit in (
        group_visits(group, start, end)
        .filter(state=VisitState.DONE)
        .select_related("meeting__unit")
        .order_by("meeting__scheduled_at")
    ):
        day = timezone.localtime(visit.meeting.scheduled_at).strftime("%d/%m/%Y")
        lines.append(f"- {visit.meeting.unit.name} ({day}): {visit.observation.strip()}")
    return "\n".join(lines)


def draft_report(group: WorkingGroup, year: int, half: bool) -> GroupReport:
    """The group's report for the period as it stands, written nowhere (a page that shows
    it is a GET, which changes no data): the stored report, its figures current while it
    is a draft; or, before anyone saved it, a draft from the visits that `save_report`
    stores."""
    due = next((d for d in reports_due(group) if d.year == year and d.half == half), None)
    if due is None:
        raise ValidationError(_("The group owes no report for this period."))
    report = GroupReport.objects.filter(group=group, year=year, half=half).first()
    if report is not None and report.state not in WRITABLE:
        return report
    figures = report_figures(group, year, half)
    if report is None:
        return GroupReport(
            group=group,
            year=year,
            half=half,
            due_on=due.due_on,
            figures=figures,
            results=_draft_results(group, year, half, figures),
        )
    report.figures = figures
    return report


@transaction.atomic
def save_report(
    *,
    report: GroupReport,
    results: str,
    shortcomings: str,
    proposals: str,
    submit: bool,
    version: int,
    by: Actor,
) -> GroupReport:
    # The first save stores the draft (`draft_report`); its figures are those of now.
    GroupReport.objects.get_or_create(
        group=report.group,
        year=report.year,
        half=report.half,
        defaults={"due_on": report.due_on, "figures": report.figures},
    )
    locked = GroupReport.objects.select_for_update().get(
        group=report.group, year=report.year, half=report.half
    )
    if locked.version != version:
        raise ValidationError(
            _("Someone else saved this report meanwhile. Reload the page and try again.")
        )
    if locked.state not in WRITABLE:
        raise ValidationError(_("The report is submitted; it can no longer be changed."))
    locked.figures = report_figures(locked.group, locked.year, locked.half)
    if submit and not results.strip():
        raise ValidationError(_("Write the results before submitting."))
    locked.results, locked.shortcomings, locked.proposals = results, shortcomings, proposals
    if submit:
        locked.state = ReportState.SUBMITTED
        locked.submitted_by, locked.submitted_at = by, timezone.now()
    locked.version += 1
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save()
    return locked


@transaction.atomic
def evaluate_report(
    *, report: GroupReport, level: str, evaluation: str, version: int, by: Actor
) -> GroupReport:
    """The Organisation Commission's evaluation of the group, on its submitted report."""
    locked = GroupReport.objects.select_for_update().get(pk=report.pk)
    if locked.version != version:
        raise ValidationError(
            _("Someone else saved this report meanwhile. Reload the page and try again.")
        )
    if locked.state != ReportState.SUBMITTED:
        raise ValidationError(_("Only a submitted report can be accepted or returned."))
    if level not in Level.values:
        raise ValidationError(_("Choose a level."))
    locked.evaluation_level, locked.evaluation = level, evaluation
    locked.state = ReportState.EVALUATED
    locked.evaluated_by, locked.evaluated_at = by, timezone.now()
    locked.version += 1
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save()
    return locked


@transaction.atomic
def return_report(*, report: GroupReport, reason: str, version: int, by: Actor) -> GroupReport:
    """The level that set the group up sends its submitted report back for correction,
    saying why; the group corrects it and submits it again."""
    locked = GroupReport.objects.select_for_update().get(pk=report.pk)
    if locked.version != version:
        raise ValidationError(
            _("Someone else saved this report meanwhile. Reload the page and try again.")
        )
    if locked.state != ReportState.SUBMITTED:
        raise ValidationError(_("Only a submitted report can be accepted or returned."))
    if not reason.strip():
        raise ValidationError(_("Say why the report is returned."))
    locked.state = ReportState.RETURNED
    locked.returned_reason = reason.strip()
    locked.returned_by, locked.returned_at = by, timezone.now()
    locked.version += 1
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save()
    return locked


def report_transitions(report: GroupReport) -> list[dict[str, Any]]:
    """Each change of state of the report, oldest first: when, who, to what, and the reason
    of a return (from its history, one query)."""
    if report.pk is None:
        return []
    rows = []
    previous = None
    for record in report.history.select_related("history_user").order_by("history_date", "pk"):
        if record.state != previous:
            rows.append(
                {
                    "at": record.history_date,
                    "by": display_name(record.history_user) if record.history_user else "",
                    "state": ReportState(record.state).label,
                    "reason": record.returned_reason
                    if record.state == ReportState.RETURNED
                    else "",
                }
            )
            previous = record.state
    return rows


def overdue_reports(
    groups: Any, today: datetime.date | None = None
) -> list[tuple[WorkingGroup, Due]]:
    """The reports past their due date and not submitted, of `groups`."""
    today = today or timezone.localdate()
    groups = list(groups.select_related("unit", "leader"))
    submitted = set(
        GroupReport.objects.filter(group__in=groups)
        .exclude(state__in=WRITABLE)
        .values_list("group_id", "year", "half")
    )
    rules: dict[str, SupervisionRules] = {}  # one query per province, not per group
    overdue = []
    for group in groups:
        root = group.unit.path[: group.unit.steplen]
        if root not in rules:
            rules[root] = SupervisionRules.for_unit(group.unit)
        overdue += [
            (group, due)
            for due in reports_due(group, rules[root])
            if due.due_on < today and (group.pk, due.year, due.half) not in submitted
        ]
    return overdue


# --- inspection and supervision programme ----------------------------------------------------


@transaction.atomic
@once_per_submission
def add_inspection(
    *,
    unit: Unit,
    year: int,
    kind: str,
    target: Unit,
    subject: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    by: Actor,
    submission: uuid.UUID | None = None,
) -> InspectionItem:
    """Put `target` into `unit`'s programme of `year`."""
    if target.pk == unit.pk or not target.path.startswith(unit.path):
        raise ValidationError(_("A committee inspects the units below it."))
    if ends_on < starts_on:
        raise ValidationError(_("The period ends before it starts."))
    if starts_on.year != year:
        raise ValidationError(_("The inspection starts in another year than the programme's."))
    item = InspectionItem(
        unit=unit,
        year=year,
        kind=kind,
        target=target,
        subject=subject.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
    )
    item._history_user = by  # type: ignore[attr-defined]
    item.full_clean()
    item.save()
    return item


@transaction.atomic
def conclude_inspection(
    *, item: InspectionItem, conclusion: str, concluded_on: datetime.date, version: int, by: Actor
) -> InspectionItem:
    locked = InspectionItem.objects.select_for_update().get(pk=item.pk)
    if locked.version != version:
        raise ValidationError(
            _("Someone else saved this inspection meanwhile. Reload the page and try again.")
        )
    if not conclusion.strip():
        raise ValidationError(_("Write the conclusion."))
    if concluded_on < locked.starts_on:
        raise ValidationError(_("The conclusion comes after the inspection starts."))
    locked.done, locked.conclusion, locked.concluded_on = True, conclusion, concluded_on
    locked.version += 1
    locked._history_user = by  # type: ignore[attr-defined]
    locked.save()
    return locked


@transaction.atomic
@once_per_submission
def add_finding(
    *, item: InspectionItem, data: dict[str, Any], by: Actor, submission: uuid.UUID | None = None
) -> Finding:
    if data.get("correction") and not data.get("deadline"):
        raise ValidationError(_("A required correction needs a deadline."))
    finding = Finding(item=item, **data)
    finding._history_user = by  # type: ignore[attr-defined]
    finding.full_clean()
    finding.save()
    return finding


def record_correction(
    *, finding: Finding, corrected_on: datetime.date | None, follow_up: str, by: Actor
) -> Finding:
    finding.corrected_on, finding.follow_up = corrected_on, follow_up
    finding._history_user = by  # type: ignore[attr-defined]
    finding.save()
    return finding


@transaction.atomic
@once_per_submission
def add_sanction(
    *,
    kind: str,
    unit: Unit,
    member: Member | None,
    form: str,
    decided_on: datetime.date,
    decision: str = "",
    reason: str = "",
    finding: Finding | None = None,
    by: Actor,
    submission: uuid.UUID | None = None,
) -> Sanction:
    """Record a discipline or a commendation. Discipline is carried into the annual
    classification of its year (the member's, or the cell's)."""
    if member is not None and not member.unit.path.startswith(unit.path):
        raise ValidationError(_("The member is not in this unit."))
    if not form.strip():
        raise ValidationError(_("Say the form of the discipline or commendation."))
    sanction = Sanction(
        kind=kind,
        unit=member.unit if member else unit,
        member=member,
        form=form.strip(),
        decided_on=decided_on,
        decision=decision,
        reason=reason,
        finding=finding,
    )
    sanction._history_user = by  # type: ignore[attr-defined]
    sanction.save()
    rated = member.unit if member else unit
    if kind == SanctionKind.DISCIPLINE and rated.is_cell:
        note_discipline(unit=rated, year=decided_on.year, member=member, by=by)
    return sanction


@dataclass
class ProgrammeCheck:
    """What the programme of a level leaves out (domain §7)."""

    not_in_programme: list[Unit] = field(default_factory=list)
    not_inspected: list[Unit] = field(default_factory=list)


def programme_checks(unit: Unit, year: int) -> ProgrammeCheck:
    """The committees directly below `unit` not in its programme of `year`, and its own
    cells not yet inspected that year (all must be before the annual classification)."""
    children = list(
        Unit.objects.get_children(unit).active().select_related("kind").order_by("path")
    )
    planned = set(
        InspectionItem.objects.filter(unit=unit, year=year).values_list("target_id", flat=True)
    )
    inspected = set(
        InspectionItem.objects.filter(
            year=year,
            kind=ProgrammeKind.INSPECTION,
            done=True,
            target__in=[c.pk for c in children if c.is_cell],
        ).values_list("target_id", flat=True)
    )
    return ProgrammeCheck(
        not_in_programme=[c for c in children if not c.is_cell and c.pk not in planned],
        not_inspected=[c for c in children if c.is_cell and c.pk not in inspected],
    )


# --- weak cells --------------------------------------------------------------------------------


def _save_weak(case: WeakCell, by: Actor) -> WeakCell:
    case.version += 1
    case._history_user = by  # type: ignore[attr-defined]
    case.save()
    return case


def _lock_weak(case: WeakCell, version: int) -> WeakCell:
    locked = WeakCell.objects.select_for_update().get(pk=case.pk)
    if locked.version != version:
        raise ValidationError(
            _("Someone else saved this record meanwhile. Reload the page and try again.")
        )
    return locked


def _mirror_weak(unit: Unit, weak: bool) -> None:
    """`Unit.is_weak` follows the list (read by the planner, the dashboards and filters)."""
    Unit.objects.filter(pk=unit.pk).update(is_weak=weak)
    unit.is_weak = weak


@transaction.atomic
def propose_weak_cell(*, unit: Unit, year: int, source: str, reason: str, by: Actor) -> WeakCell:
    """Propose `unit` for the list of weak cells (refused while a record is open)."""
    if not unit.is_cell:
        raise ValidationError(_("Only a party cell is put on the list of weak cells."))
    if source not in WeakSource.values:
        raise ValidationError(_("Say where the proposal comes from."))
    if WeakCell.objects.filter(unit=unit, state__in=WEAK_OPEN).exists():
        raise ValidationError(
            _("%(cell)s is already proposed or on the list.") % {"cell": unit.name}
        )
    case = WeakCell(unit=unit, year=year, source=source, reason=reason.strip(), proposed_by=by)
    case._history_user = by  # type: ignore[attr-defined]
    case.save()
    return case


def weak_candidates(unit: Unit, year: int) -> list[tuple[Unit, str, str]]:
    """WEAK-1: the cells below `unit` whose record of `year` calls for the list (a cell
    classified as not completing its tasks, or with at least the province's number of
    regular meetings rated Kém), not already proposed or listed: (cell, source, reason)."""
    from chibo.scoring.models import AnnualRating, Classification

    cells = Unit.objects.cells().active().filter(path__startswith=unit.path)
    open_ids = set(
        WeakCell.objects.filter(unit__in=cells, state__in=WEAK_OPEN).values_list(
            "unit_id", flat=True
        )
    )
    found: dict[int, tuple[str, str]] = {}
    for rating in AnnualRating.objects.filter(unit__in=cells, member__isnull=True, year=year).only(
        "unit_id", "self_level", "verified_level", "decided_level"
    ):
        if rating.level == Classification.FAILED:
            found[rating.unit_id] = (
                WeakSource.CLASSIFICATION,
                _("Classified %(year)s: did not complete its tasks.") % {"year": year},
            )
    for unit_id, n in (
        Meeting.objects.filter(
            unit__in=cells, month__year=year, kind__in=REGULAR, quality_level=Level.KEM
        )
        .values_list("unit_id")
        .annotate(n=Count("pk"))
        .filter(n__gte=SupervisionRules.for_unit(unit).weak_kem_meetings)
        .values_list("unit_id", "n")
    ):
        found.setdefault(
            unit_id,
            (
                WeakSource.KEM_MEETINGS,
                _("%(n)s regular meetings rated Kém in %(year)s.") % {"n": n, "year": year},
            ),
        )
    units = Unit.objects.in_bulk([pk for pk in found if pk not in open_ids])
    return [(units[pk], *found[pk]) for pk in sorted(units, key=lambda pk: units[pk].path)]


@transaction.atomic
def decide_weak_cell(
    *, case: WeakCell, listed: bool, note: str, on: datetime.date, version: int, by: Actor
) -> WeakCell:
    """The upper level puts the proposed cell on the list, or not."""
    locked = _lock_weak(case, version)
    if locked.state != WeakState.PROPOSED:
        raise ValidationError(_("This proposal is already decided."))
    locked.state = WeakState.LISTED if listed else WeakState.REJECTED
    locked.decision_note, locked.decided_by = note.strip(), by
    if listed:
        locked.listed_on = on
        _mirror_weak(locked.unit, True)
    return _save_weak(locked, by)


@transaction.atomic
def plan_weak_cell(
    *,
    case: WeakCell,
    helper: User | None,
    plan: str,
    targets: str,
    version: int,
    by: Actor,
) -> WeakCell:
    """The committee member in charge of helping the cell, the improvement plan and its
    targets."""
    locked = _lock_weak(case, version)
    if locked.state != WeakState.LISTED:
        raise ValidationError(_("Only a cell on the list has an improvement plan."))
    if helper is not None and not any(
        g.unit.path == locked.unit.path[: len(g.unit.path)] for g in _committee_grants(helper)
    ):
        raise ValidationError(
            _("%(name)s sits on no committee above this cell.") % {"name": display_name(helper)}
        )
    locked.helper, locked.plan, locked.targets = helper, plan.strip(), targets.strip()
    return _save_weak(locked, by)


def _committee_grants(user: User) -> list[RoleGrant]:
    return list(
        RoleGrant.objects.active()
        .filter(user=user, role=Role.UPPER_COMMITTEE)
        .select_related("unit")
    )


@transaction.atomic
def review_weak_cell(
    *,
    case: WeakCell,
    year: int,
    quarter: int,
    progress: str,
    on_track: bool,
    by: Actor,
) -> WeakCellReview:
    """A quarterly review of the plan (one per quarter; a second one replaces the first)."""
    if case.state != WeakState.LISTED:
        raise ValidationError(_("Only a cell on the list is reviewed."))
    if not 1 <= quarter <= 4:
        raise ValidationError(_("Choose a quarter."))
    if not progress.strip():
        raise ValidationError(_("Write the progress against the targets."))
    review = WeakCellReview.objects.filter(case=case, year=year, quarter=quarter).first()
    review = review or WeakCellReview(case=case, year=year, quarter=quarter)
    review.progress, review.on_track, review.reviewed_by = progress.strip(), on_track, by
    review.reviewed_at = timezone.now()
    review._history_user = by  # type: ignore[attr-defined]
    review.save()
    return review


@transaction.atomic
def close_weak_cell(
    *, case: WeakCell, review: str, on: datetime.date, version: int, by: Actor
) -> WeakCell:
    """The exit review: the cell leaves the list."""
    locked = _lock_weak(case, version)
    if locked.state != WeakState.LISTED:
        raise ValidationError(_("Only a cell on the list can leave it."))
    if not review.strip():
        raise ValidationError(_("Write the exit review."))
    if locked.listed_on and on < locked.listed_on:
        raise ValidationError(_("A cell leaves the list after it entered it."))
    locked.state, locked.exit_review, locked.closed_on = WeakState.CLOSED, review.strip(), on
    _mirror_weak(locked.unit, False)
    return _save_weak(locked, by)


def weak_reviews_due(cases: list[WeakCell], today: datetime.date) -> list[WeakCell]:
    """The listed cases whose quarter before this one has no review (one query)."""
    quarter = (today.month - 1) // 3 + 1
    year, last = (today.year, quarter - 1) if quarter > 1 else (today.year - 1, 4)
    this_quarter = datetime.date(today.year, 3 * quarter - 2, 1)
    listed = [
        c
        for c in cases
        if c.state == WeakState.LISTED and c.listed_on is not None and c.listed_on < this_quarter
    ]
    done = set(
        WeakCellReview.objects.filter(case__in=listed, year=year, quarter=last).values_list(
            "case_id", flat=True
        )
    )
    return [c for c in listed if c.pk not in done]
