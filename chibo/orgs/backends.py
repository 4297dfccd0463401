"""Authentication: Django's model backend with the grants loaded with the user, and its
login requirement asking for the user only where a login is required."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import LoginRequiredMiddleware as BaseLoginRequired
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from chibo.orgs.access import GRANTS_WITH_USER, keep_grants


class SessionUserBackend(ModelBackend):
    """Logs in as Django's model backend does. The user of a session comes with their
    grants valid today, in the same query: the access chokepoint asks for them on nearly
    every page, so a request makes one query fewer."""

    def get_user(self, user_id: Any) -> User | None:
        grants = GRANTS_WITH_USER(user=user_id, on=timezone.localdate())
        if not grants:
            user = super().get_user(user_id)
            if user is not None:
                keep_grants(user, [])
            return user
        user = grants[0].user
        if not self.user_can_authenticate(user):
            return None
        for grant in grants:
            grant.user = user
        keep_grants(user, grants)
        return user


class LoginRequiredMiddleware(BaseLoginRequired):
    """Django's, looking at the view before the user: an open view (the health check, the
    login page) then loads neither the session nor the user."""

    def process_view(
        self, request: HttpRequest, view_func: Any, view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        if not getattr(view_func, "login_required", True):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)
