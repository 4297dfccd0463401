"""The admin's view of records whose every change goes through the application's services
(which check the rules, lock versions, keep the history and seal what is final): an
administrator may read them and their history but neither change nor delete them there, so
that nobody can rewrite approved minutes, a final score or a member's record without trace."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin


class RecordAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
