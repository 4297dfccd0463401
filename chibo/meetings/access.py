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

from django.http import Http404

from chibo.meetings.models import Meeting, Task
from chibo.orgs.permissions import Perm

if TYPE_CHECKING:
    from chibo.orgs.access import AnyUser


def get_meeting_for_user(user: AnyUser, pk: int, *, action: Perm = Perm.VIEW_MEETINGS) -> Meeting:
    """The meeting `pk` (with its cell) if `user` holds `action` over its cell; 404
    otherwise."""
    meeting = (
        Meeting.objects.visible_to(user, action)
        .select_related("unit", "unit__kind")
        .filter(pk=pk)
        .first()
    )
    if meeting is None:
        raise Http404
    return meeting


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
