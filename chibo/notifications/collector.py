"""The to-do list ("Việc cần làm") of a person, gathered from every app's `todo.py`.

Each app owns what waits on a person among its records: a tuple `PROVIDERS` in its `todo.py`
(chibo.lib.todo). This module, above them all, finds those modules the way
`chibo.reports.record_audit` finds `audit.py` (an app added later, such as directives, is
picked up as soon as it is installed) and runs every provider. The query budget is the sum
of the providers' own (each names it; tests/test_todo.py holds them to it).
"""

from __future__ import annotations

import datetime
from importlib import import_module
from typing import TYPE_CHECKING

from django.apps import apps
from django.core.cache import cache
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from chibo.lib.todo import Provider, TodoItem

if TYPE_CHECKING:
    from chibo.orgs.access import AnyUser

# The count in the header is kept this long per person (seconds): a page view should not
# run every provider; the list page itself is always computed afresh.
COUNT_SECONDS = 300


def providers() -> list[Provider]:
    """Every app's providers, in the order of INSTALLED_APPS (lower apps first)."""
    found: list[Provider] = []
    for config in apps.get_app_configs():
        if config.name.startswith("chibo.") and module_has_submodule(config.module, "todo"):
            found.extend(import_module(f"{config.name}.todo").PROVIDERS)
    return found


def todo_items(user: AnyUser, today: datetime.date | None = None) -> list[TodoItem]:
    """What waits on `user`: overdue first, then by due date (undated last), then title;
    each item once (two providers may find the same thing)."""
    if not user.is_authenticated:
        return []
    today = today or timezone.localdate()
    found: dict[str, TodoItem] = {}
    for provider in providers():
        for item in provider(user, today):
            found.setdefault(item.key, item)
    return sorted(found.values(), key=lambda item: item.sort_key)


def _count_key(user: AnyUser) -> str:
    return f"todo-count:{user.pk}"


def todo_count(user: AnyUser) -> int:
    """How many things wait on `user` (the header's badge), kept for COUNT_SECONDS."""
    count: int | None = cache.get(_count_key(user))
    if count is None:
        count = len(todo_items(user))
        cache.set(_count_key(user), count, COUNT_SECONDS)
    return count


def remember_count(user: AnyUser, count: int) -> None:
    """The list page computed the count afresh: the badge shows it at once."""
    cache.set(_count_key(user), count, COUNT_SECONDS)
