"""The access to member records and roster imports, on the grants of chibo.orgs.access.

- `Member.objects.visible_to(user, action)`: members whose unit the user holds `action`
  over (VIEW_MEMBERS by default). A member's periods and posts are reached through the
  member only.
- `RosterImport.objects.visible_to(user, action)`: the user's own uploads, while they
  hold `action` (MANAGE_MEMBERS) over the unit.

The getters take the user (never a request) and filter in the query: an absent and a
forbidden object give the same 404. The field rules (who sees which fields of a record)
follow them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404

from chibo.members.models import Member, RosterImport
from chibo.orgs.access import has_perm, is_superuser, unit_filter
from chibo.orgs.permissions import Perm

if TYPE_CHECKING:
    from chibo.orgs.access import AnyUser


def get_member_for_user(user: AnyUser, pk: int, *, action: Perm = Perm.VIEW_MEMBERS) -> Member:
    """The member `pk` if `user` holds `action` over the member's unit; 404 otherwise."""
    member = (
        Member.objects.visible_to(user, action)
        .select_related("unit", "unit__kind", "attached_to")
        .filter(pk=pk)
        .first()
    )
    if member is None:
        raise Http404
    return member


def get_import_for_user(
    user: AnyUser, pk: str, *, action: Perm = Perm.MANAGE_MEMBERS
) -> RosterImport:
    """The roster import `pk` if `user` uploaded it and still holds `action` over its
    unit; 404 otherwise (also for a malformed id)."""
    try:
        job = (
            RosterImport.objects.visible_to(user, action)
            .select_related("unit", "unit__kind")
            .filter(pk=pk)
            .first()
        )
    except ValidationError:
        job = None
    if job is None:
        raise Http404
    return job


# --- Field rules ---------------------------------------------------------------------------
# Who sees which fields of a member record: the one decision used by the member page, its
# change history, the roster search, the roster export (web and `chibo export_members --as`)
# and the roster import's messages.

# Fields that only those who keep the member's records, and the member, may see: the citizen
# ID number is the key to a person's state records, the phone reaches them directly. The rest
# of the record (name, dates, card number, status) is what every member of the cell sees at
# the meeting.
PERSONAL_FIELDS = frozenset({"citizen_id", "phone"})


def sees_personal_fields(user: AnyUser | None, member: Member) -> bool:
    """Whether `user` may see the personal fields (PERSONAL_FIELDS) of `member`: those who
    manage the records of the member's cell, and the member themselves. `None` is the
    operator of the machine (a command run without `--as`), who sees everything."""
    if user is None or is_superuser(user):
        return True
    if user.is_authenticated and member.user_id == user.pk:
        return True
    return has_perm(user, Perm.MANAGE_MEMBERS, member.unit)


def hidden_fields(user: AnyUser | None, member: Member) -> frozenset[str]:
    """The fields of `member` that `user` may not see."""
    return frozenset() if sees_personal_fields(user, member) else PERSONAL_FIELDS


def may_name_member(user: AnyUser | None, member: Member) -> bool:
    """Whether a message to `user` (an import's row error) may name `member` and their cell:
    only when `user` may see the member anyway; otherwise it says the number is registered
    outside their reach, so that numbers cannot be tried to find members."""
    return user is None or has_perm(user, Perm.VIEW_MEMBERS, member.unit)


def citizen_id_search_filter(user: AnyUser) -> Q:
    """A filter on members: those whom `user` may find by citizen ID number, i.e. whose
    personal fields they see (the members of the cells whose records they keep, and
    themselves); a search by number must not confirm whose a guessed number is."""
    own = Q(user_id=user.pk) if user.is_authenticated else Q(pk__in=[])
    return unit_filter(user, Perm.MANAGE_MEMBERS, through="unit__") | own
