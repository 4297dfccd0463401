"""The access to meetings and their tasks, on the grants of chibo.orgs.access.

- `Meeting.objects.visible_to(user, action)`: meetings of the cells over which the user
  holds `action` (VIEW_MEETINGS by default). A meeting's attendance, items, speeches,
  guests, minutes, amendments and figures are reached through their meeting only.
- `Task.objects.visible_to(user, action)`: tasks of those meetings, and the user's own.

The getters take the user (never a request) and filter in the query: an absent and a
forbidden object give the same 404.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from django.db.models import IntegerField
from django.http import Http404

from chibo.lib.statements import Param, Run, Statement
from chibo.meetings.models import Meeting, Task
from chibo.orgs.access import reach_in_statement, reach_values
from chibo.orgs.permissions import Perm

if TYPE_CHECKING:
    from chibo.orgs.access import AnyUser


@cache
def _meeting_statement(action: Perm) -> Statement[Meeting]:
    # Every meeting page reads its meeting here: a statement (compiled once, chibo.lib.
    # statements) whose query reads the user's grants itself, so the access is in the query
    # and the meeting page can send it with what it lists in one round trip.
    return Statement(
        lambda: Meeting.objects.select_related("unit", "unit__kind").filter(
            reach_in_statement(action, through="unit__"), pk=Param("pk", IntegerField())
        )
    )


def meeting_for_user_run(
    user: AnyUser, pk: int, *, action: Perm = Perm.VIEW_MEETINGS
) -> Run[Meeting]:
    """The query of `get_meeting_for_user`, bound and not yet run: for a page that runs
    it together with others (`chibo.lib.statements.run_together`); pass its rows to
    `found_or_404`."""
    return _meeting_statement(action).bind(pk=pk, **reach_values(user))


def found_or_404(found: list[Meeting]) -> Meeting:
    if not found:
        raise Http404
    return found[0]


def get_meeting_for_user(user: AnyUser, pk: int, *, action: Perm = Perm.VIEW_MEETINGS) -> Meeting:
    """The meeting `pk` (with its cell) if `user` holds `action` over its cell; 404
    otherwise."""
    return found_or_404(meeting_for_user_run(user, pk, action=action).run())


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
