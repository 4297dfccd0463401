"""The access to supervision's records, on the grants of chibo.orgs.access.

- `WorkingGroup.objects.visible_to(user, action)`: groups seen by supervision staff over
  the committee that set them up (VIEW_SUPERVISION), and by their leader and members. A
  group's reports are reached through the group only.
- `Visit.objects.visible_to(user, action)`: the user's own visits, and those of meetings
  of cells over which they hold `action` (VIEW_MEETINGS).
- `InspectionItem.objects.visible_to(user, action)`: inspections seen by supervision staff
  over the inspecting or the inspected unit, and by the inspected cell's leaders. Its
  findings are reached through it only, but for the findings of good practice, which the
  staff who publish materials for the inspecting unit also see, to spread them as models
  (`good_practice_visible_to`).
- `WeakCell.objects.visible_to(user, action)`: the weak-cell records, to the cell's
  supervisors and leaders and to the committee member in charge; who proposes, decides
  and reviews: `may_propose_weak`, `may_decide_weak`, `may_review_weak`.
- Working groups' people reach their groups (`groups_of`); the reports to return or accept
  are `reports_to_review`.

Field rules, applied alike wherever supervision's data is shown (its own pages, and the
evidence it adds to another app's pages, `chibo.supervision.evidence`):
- an inspection's subject, findings and conclusion: only to those who may open the
  inspection (`InspectionItem.objects.visible_to`);
- discipline (`Sanction.objects.visible_to`; `sees_discipline` for one unit or member, as
  the rating pages ask through `settings.CHIBO_DISCIPLINE_VISIBLE`): supervision staff over
  the unit, the unit's leaders, and the disciplined member themselves; a commendation also
  to whoever sees the unit's members.

The getters take the user (never a request) and filter in the query: an absent and a
forbidden object give the same 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404

from chibo.orgs.access import has_perm
from chibo.orgs.permissions import Perm
from chibo.supervision.models import (
    DISCIPLINE_SEERS,
    Finding,
    FindingKind,
    GroupReport,
    InspectionItem,
    ReportState,
    Visit,
    WeakCell,
    WorkingGroup,
)

if TYPE_CHECKING:
    from chibo.members.models import Member
    from chibo.orgs.access import AnyUser
    from chibo.orgs.models import Unit


def sees_discipline(user: AnyUser, unit: Unit, member: Member | None) -> bool:
    """Whether `user` may see the discipline of `member` (or of `unit` itself, for None):
    `Sanction.objects.visible_to`'s rule for one unit, without a query."""
    own = member is not None and member.user_id is not None and member.user_id == user.pk
    return own or any(has_perm(user, perm, unit) for perm in DISCIPLINE_SEERS)


def get_visit_for_user(user: AnyUser, pk: int, *, action: Perm = Perm.VIEW_MEETINGS) -> Visit:
    """The visit `pk` if it is the user's own or of a meeting of a cell over which they
    hold `action`; 404 otherwise."""
    visit = (
        Visit.objects.visible_to(user, action)
        .filter(pk=pk)
        .select_related("meeting__unit", "user", "group")
        .first()
    )
    if visit is None:
        raise Http404
    return visit


def get_group_for_user(
    user: AnyUser, pk: int, *, action: Perm = Perm.VIEW_SUPERVISION
) -> WorkingGroup:
    """The working group `pk` if the user holds `action` over its committee or belongs to
    it; 404 otherwise."""
    group = (
        WorkingGroup.objects.visible_to(user, action)
        .select_related("unit", "leader")
        .filter(pk=pk)
        .first()
    )
    if group is None:
        raise Http404
    return group


def get_inspection_for_user(
    user: AnyUser, pk: int, *, action: Perm = Perm.VIEW_SUPERVISION
) -> InspectionItem:
    """The inspection `pk` if the user may see it (`InspectionItem.objects.visible_to`);
    404 otherwise."""
    item = (
        InspectionItem.objects.visible_to(user, action)
        .select_related("unit", "target")
        .filter(pk=pk)
        .first()
    )
    if item is None:
        raise Http404
    return item


def groups_of(user: AnyUser) -> QuerySet[WorkingGroup]:
    """The working groups `user` leads or belongs to, latest first (for the home page and
    the menu)."""
    uid = int(user.pk) if user.is_authenticated and user.pk is not None else 0
    members = WorkingGroup.members.through.objects.filter(user_id=uid).values("workinggroup_id")
    return WorkingGroup.objects.filter(Q(leader_id=uid) | Q(pk__in=members)).order_by(
        "-ends_on", "name"
    )


def get_weak_cell_for_user(
    user: AnyUser, pk: int, *, action: Perm = Perm.VIEW_SUPERVISION
) -> WeakCell:
    """The weak-cell record `pk` if the user may see it (`WeakCell.objects.visible_to`);
    404 otherwise."""
    case = (
        WeakCell.objects.visible_to(user, action)
        .select_related("unit", "helper", "proposed_by", "decided_by")
        .filter(pk=pk)
        .first()
    )
    if case is None:
        raise Http404
    return case


def may_propose_weak(user: AnyUser, cell: Unit) -> bool:
    """The commune proposes a cell for the list: its committee (who decide the cells'
    classification) or the organisation commission above."""
    return has_perm(user, Perm.DECIDE_RATINGS, cell) or has_perm(
        user, Perm.MANAGE_SUPERVISION, cell
    )


def may_decide_weak(user: AnyUser, cell: Unit) -> bool:
    """The upper level's organisation commission decides the list, assigns the helper, sets
    the plan and closes the record."""
    return has_perm(user, Perm.MANAGE_SUPERVISION, cell)


def may_review_weak(user: AnyUser, case: WeakCell) -> bool:
    """The quarterly reviews: the committee member in charge, or those who decide."""
    return (case.helper_id is not None and case.helper_id == user.pk) or may_decide_weak(
        user, case.unit
    )


def reports_to_review(user: AnyUser) -> QuerySet[GroupReport]:
    """The submitted reports of the groups set up by a level over which the user holds
    MANAGE_SUPERVISION (who returns or accepts them)."""
    from chibo.orgs.access import unit_filter

    return GroupReport.objects.filter(state=ReportState.SUBMITTED).filter(
        unit_filter(user, Perm.MANAGE_SUPERVISION, through="group__unit__")
    )


def good_practice_visible_to(user: AnyUser) -> QuerySet[Finding]:
    """Findings of good practice: seen by whoever may open their inspection, and by the
    staff who may publish materials for the inspecting unit, who spread them as models
    (a good practice is meant to be known; shortcomings and violations stay with the
    inspection)."""
    from chibo.orgs.access import unit_filter

    inspections = InspectionItem.objects.visible_to(user, Perm.VIEW_SUPERVISION).values("pk")
    return Finding.objects.filter(kind=FindingKind.GOOD_PRACTICE).filter(
        Q(item__in=inspections) | unit_filter(user, Perm.PUBLISH_MATERIALS, through="item__unit__")
    )


def get_good_practice_for_user(user: AnyUser, pk: int) -> Finding:
    """The finding of good practice `pk` if the user may see it; 404 otherwise."""
    finding = (
        good_practice_visible_to(user)
        .select_related("item__unit", "item__target")
        .filter(pk=pk)
        .first()
    )
    if finding is None:
        raise Http404
    return finding
