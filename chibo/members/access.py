"""Access to member records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q

from chibo.orgs.access import has_perm, is_superuser, unit_filter
from chibo.orgs.permissions import Perm

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from chibo.members.models import Member

    AnyUser = AbstractBaseUser | AnonymousUser

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
