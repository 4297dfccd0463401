"""What waits on a person in party development (chibo.lib.todo): probationary members of
their cell whose recognition as official members falls due (the probation clock, PROB-1)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext as _

from chibo.development.rules import probation_clock
from chibo.development.services import rules_for
from chibo.lib.todo import TodoItem
from chibo.members.models import Member, MemberStatus
from chibo.orgs.access import duty_filter, duty_grants
from chibo.orgs.permissions import Perm

if TYPE_CHECKING:
    from chibo.orgs.access import AnyUser

# Reviews are listed from this many days before they fall due.
REVIEW_DAYS_AHEAD = 30


def probation_reviews(user: AnyUser, today: datetime.date) -> Iterator[TodoItem]:
    """For the cell's record keepers (MANAGE_MEMBERS held on the cell): probationary members
    whose 12 months end within a month or have ended, overdue past the review window.
    Budget: 2 queries (the members, the province's development rules)."""
    grants = [g for g in duty_grants(user, Perm.MANAGE_MEMBERS) if g.unit.is_cell]
    if not grants:
        return
    members = (
        Member.objects.visible_to(user, Perm.MANAGE_MEMBERS)
        .filter(duty_filter(user, Perm.MANAGE_MEMBERS, through="unit__", cells_only=True))
        .filter(status=MemberStatus.PROBATIONARY, admitted_on__isnull=False)
        .select_related("unit")
        .in_vietnamese_order()
    )
    rules = None
    for member in members:
        assert member.admitted_on is not None
        if rules is None:  # the cells of one person's grants lie in one province
            rules = rules_for(member.unit)
        clock = probation_clock(member.admitted_on, rules)
        if clock.due_from - datetime.timedelta(days=REVIEW_DAYS_AHEAD) > today:
            continue
        yield TodoItem(
            key=f"development.probation:{member.pk}:{member.admitted_on:%Y-%m-%d}",
            kind="development.probation",
            title=_("Consider recognising %(name)s as an official member")
            % {"name": member.full_name},
            url=reverse("members:member_action", args=[member.pk, "official"]),
            unit=member.unit.name,
            due=clock.due_by,
            overdue=clock.overdue(today),
        )


PROVIDERS = (probation_reviews,)
