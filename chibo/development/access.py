"""The access to candidates for admission, on the grants of chibo.orgs.access.

- `Candidate.objects.visible_to(user, action)`: candidates of the cells over which the
  user holds `action` (VIEW_MEMBERS by default). Targets are read per unit through
  `chibo.orgs.access.get_unit_for_user`.

The getter takes the user (never a request) and filters in the query: an absent and a
forbidden candidate give the same 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import Http404

from chibo.development.models import Candidate
from chibo.orgs.permissions import Perm

if TYPE_CHECKING:
    from chibo.orgs.access import AnyUser


def get_candidate_for_user(
    user: AnyUser, pk: int, *, action: Perm = Perm.VIEW_MEMBERS
) -> Candidate:
    """The candidate `pk` if `user` holds `action` over the candidate's cell; 404
    otherwise."""
    candidate = (
        Candidate.objects.visible_to(user, action)
        .select_related("unit", "introducer", "mentor", "member")
        .filter(pk=pk)
        .first()
    )
    if candidate is None:
        raise Http404
    return candidate
