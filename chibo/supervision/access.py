"""The access to supervision's records, on the grants of chibo.orgs.access.

- `WorkingGroup.objects.visible_to(user, action)`: groups seen by supervision staff over
  the committee that set them up (VIEW_SUPERVISION), and by their leader and members. A
  group's reports are reached through the group only.
- `Visit.objects.visible_to(user, action)`: the user's own visits, and those of meetings
  of cells over which they hold `action` (VIEW_MEETINGS).
- `InspectionItem.objects.visible_to(user, action)`: inspections seen by supervision staff
  over the inspecting or the inspected unit, and by the inspected cell's leaders. Its
  findings are reached through it only.

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

from django.http import Http404

from chibo.orgs.access import has_perm
from chibo.orgs.permissions import Perm
from chibo.supervision.models import DISCIPLINE_SEERS, InspectionItem, Visit, WorkingGroup

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
