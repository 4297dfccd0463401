"""Checks of stored visits against the rule book (the attendance plan, docs/rules.md).

See chibo.lib.audit: bulk reads, each record judged by the rule's one function
(`chibo.supervision.planner.plan_covers`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.lib.audit import AuditScope, Violation, covers
from chibo.orgs.models import RoleGrant, Unit, VisitRule
from chibo.orgs.permissions import Role
from chibo.supervision.models import Visit, VisitSource, WorkingGroup
from chibo.supervision.planner import plan_covers


@covers("PLAN-3")
def visits_planned_across_committees(scope: AuditScope) -> Iterator[Violation]:
    """PLAN-3: a visit of the yearly plan whose attendee sits on no committee whose plan
    may cover the cell (a commune's member planned into a cell of its đảng bộ cơ sở). A
    working group's visits follow the group's own plan (PLAN-4), not a committee's."""
    query = scope.units("meeting__unit__")
    if scope.year is not None:
        query &= Q(meeting__month__year=scope.year)
    visits = list(
        Visit.objects.filter(query, source=VisitSource.PLAN, group__isnull=True)
        .select_related("meeting__unit", "user")
        .order_by("pk")
    )
    if not visits:
        return
    committees = dict(
        Unit.objects.filter(kind__holds_meetings=False)
        .exclude(kind__visit_rule=VisitRule.NONE)
        .values_list("path", "kind__visit_rule")
    )
    seats: dict[int, list[tuple[str, datetime.date, datetime.date | None]]] = {}
    for user_id, path, start, end in RoleGrant.objects.filter(
        user__in={v.user_id for v in visits}, role=Role.UPPER_COMMITTEE
    ).values_list("user_id", "unit__path", "valid_from", "valid_until"):
        seats.setdefault(user_id, []).append((path, start, end))
    for visit in visits:
        day = timezone.localtime(visit.meeting.scheduled_at).date()
        cell = visit.meeting.unit.path
        if any(
            plan_covers(committees.get(path, VisitRule.NONE), path, cell, committees)
            for path, start, end in seats.get(visit.user_id, [])
            if start <= day and (end is None or day <= end)
        ):
            continue
        yield Violation(
            "PLAN-3",
            str(visit.meeting),
            visit.get_absolute_url(),
            _("%(name)s is planned here but sits on no committee whose plan covers this cell.")
            % {"name": visit.user.get_full_name() or visit.user.username},
        )


@covers("PLAN-4")
def group_visits_outside_the_group(scope: AuditScope) -> Iterator[Violation]:
    """PLAN-4: a working group's planned visit by someone neither its leader nor a member,
    to a cell outside the group's units, or on a day outside the group's term; and a group
    member planned in two cells on one day."""
    query = scope.units("meeting__unit__")
    if scope.year is not None:
        query &= Q(meeting__month__year=scope.year)
    visits = list(
        Visit.objects.filter(query, source=VisitSource.PLAN, group__isnull=False)
        .select_related("meeting__unit", "user")
        .order_by("meeting__scheduled_at", "pk")
    )
    if not visits:
        return
    groups = {
        g.pk: g
        for g in WorkingGroup.objects.filter(pk__in={v.group_id for v in visits}).only(
            "pk", "leader_id", "starts_on", "ends_on"
        )
    }
    people: dict[int, set[int]] = {pk: {g.leader_id} for pk, g in groups.items()}
    for group_id, user_id in WorkingGroup.members.through.objects.filter(
        workinggroup_id__in=groups
    ).values_list("workinggroup_id", "user_id"):
        people[group_id].add(user_id)
    paths: dict[int, list[str]] = {pk: [] for pk in groups}
    for group_id, path in WorkingGroup.units.through.objects.filter(
        workinggroup_id__in=groups
    ).values_list("workinggroup_id", "unit__path"):
        paths[group_id].append(path)
    seen: dict[tuple[int, datetime.date], str] = {}
    for visit in visits:
        group = groups[visit.group_id]  # type: ignore[index]
        day = timezone.localtime(visit.meeting.scheduled_at).date()
        name = visit.user.get_full_name() or visit.user.username
        cell = visit.meeting.unit.path
        problem = ""
        if visit.user_id not in people[group.pk]:
            problem = _("%(name)s is planned with a working group they are not in.")
        elif not any(cell.startswith(path) for path in paths[group.pk]):
            problem = _("%(name)s's working group is planned in a cell outside its units.")
        elif not group.starts_on <= day <= group.ends_on:
            problem = _("%(name)s's working group is planned outside its term.")
        elif seen.setdefault((visit.user_id, day), cell) != cell:
            problem = _("%(name)s is planned in two cells on the same day.")
        if problem:
            yield Violation(
                "PLAN-4", str(visit.meeting), visit.get_absolute_url(), problem % {"name": name}
            )


CHECKS = (visits_planned_across_committees, group_visits_outside_the_group)
