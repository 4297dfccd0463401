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
from chibo.supervision.models import Visit, VisitSource
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


CHECKS = (visits_planned_across_committees,)
