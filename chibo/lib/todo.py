"""The to-do list's vocabulary ("Việc cần làm": what waits on a person).

Each app says what waits on a user among its own records in its `todo.py`: a tuple
`PROVIDERS` of functions `provider(user, today) -> Iterable[TodoItem]`, each reading only what
the user may see through the app's access layer, in a bounded number of queries that does
not grow with the data (name the budget in the provider's docstring). The page, the count in
the header and the notifications, all above every app, gather them the way
`chibo.reports.record_audit` gathers the apps' `audit.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

AnyUser = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class TodoItem:
    """One thing that waits on a person, linking to where it is done."""

    key: str  # stable across days for the same thing, e.g. "meetings.approve:1234"
    kind: str  # what sort of thing, e.g. "meetings.approve" (groups and orders the page)
    title: str  # what to do, translated: "Duyệt biên bản sinh hoạt 11/2026 — Chi bộ 1"
    url: str  # where it is done
    unit: str = ""  # the unit's name, for people
    due: date | None = None  # when it is due (None when it has no date)
    overdue: bool = False

    @property
    def sort_key(self) -> tuple[bool, date, str]:
        """Overdue first, then by due date (undated last), then by title."""
        return (not self.overdue, self.due or date.max, self.title)


Provider = Callable[[AnyUser, date], Iterable[TodoItem]]
