"""The access to meetings and their tasks, on the grants of chibo.orgs.access.

- `Meeting.objects.visible_to(user, action)`: meetings of the cells over which the user
  holds `action` (VIEW_MEETINGS by default). A meeting's attendance, items, speeches,
  guests, minutes, amendments and figures are reached through their meeting only.
- `Task.objects.visible_to(user, action)`: tasks of those meetings, and the user's own.

The getters take the user (never a request) and filter in the query: an absent and a
forbidden object give the same 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import IntegerField
from django.http import Http404

from chibo.lib.statements import Statement
from chibo.meetings.models import Meeting, Task
from chibo.orgs.access import has_perm
from chibo.orgs.permissions import Perm

if TYPE_CHECKING:
    from chibo.orgs.access import AnyUser


# Every meeting page reads its meeting here: a statement (17 % of the meeting page's CPU).
MEETING = Statement(
    lambda *, pk: Meeting.objects.select_related("unit", "unit__kind").filter(pk=pk),
    pk=IntegerField(),
)


def get_meeting_for_user(user: AnyUser, pk: int, *, action: Perm = Perm.VIEW_MEETINGS) -> Meeting:
    """The meeting `pk` (with its cell) if `user` holds `action` over its cell; 404
    otherwise, for absent and forbidden alike. The check is `has_perm` on the meeting's
    cell, the grants' own test, which `Meeting.objects.visible_to` turns into a filter
    (tests/test_statements.py holds the two equal for every cast user)."""
    found = MEETING(pk=pk)
    if not found or not has_perm(user, action, found[0].unit):
        raise Http404
    return found[0]


def get_task_for_user(user: AnyUser, pk: int, *, action: Perm = Perm.MANAGE_MEETINGS) -> Task:
    """The task `pk` if it is the user's own or of a meeting of a cell over which they
    hold `action` (by default: the cell's record keepers, who change tasks); 404
    otherwise."""
    task = (
        Task.objects.visible_to(user, action)
        .select_related("meeting", "meeting__unit", "owner")
        .filter(pk=pk)
        .first()
    )
    if task is None:
        raise Http404
    return task
