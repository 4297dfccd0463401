"""What waits on a person among member records (chibo.lib.todo): for a cell's secretary,
the members who cannot sign in yet because they have no account or their activation code
expired (issue 26: "who is missing")."""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.lib.todo import TodoItem
from chibo.members.accounts import AccountState, account_state, with_account_state
from chibo.members.models import Member
from chibo.orgs.access import duty_filter, duty_grants
from chibo.orgs.permissions import Perm

if TYPE_CHECKING:
    from chibo.orgs.access import AnyUser


def missing_accounts(user: AnyUser, today: datetime.date) -> Iterator[TodoItem]:
    """For the record keepers of a cell (MANAGE_MEMBERS held on the cell itself): one item
    per cell counting its members on the roll with no account yet or whose activation code
    expired, linking to the cell's "who can sign in" page (renewed monthly). Budget: 1
    query."""
    if not any(g.unit.is_cell for g in duty_grants(user, Perm.MANAGE_MEMBERS)):
        return
    members = with_account_state(
        Member.objects.visible_to(user, Perm.MANAGE_MEMBERS)
        .active()
        .filter(duty_filter(user, Perm.MANAGE_MEMBERS, through="unit__", cells_only=True))
        .select_related("unit")
        .order_by("unit__path", "pk")
    )
    now = timezone.now()
    counts: dict[int, Counter[str]] = {}
    cells = {}
    for member in members:
        cells[member.unit_id] = member.unit
        counts.setdefault(member.unit_id, Counter())[account_state(member, now)] += 1
    for cell_id, count in counts.items():
        missing, expired = count[AccountState.NONE], count[AccountState.EXPIRED]
        if not (missing or expired):
            continue
        cell = cells[cell_id]
        yield TodoItem(
            key=f"members.accounts:{cell_id}:{today:%Y-%m}",
            kind="members.accounts",
            title=_(
                "Members who cannot sign in: %(missing)s without an account, "
                "%(expired)s with an expired code"
            )
            % {"missing": missing, "expired": expired},
            url=reverse("members:accounts", args=[cell.code]),
            unit=cell.name,
        )


PROVIDERS = (missing_accounts,)
