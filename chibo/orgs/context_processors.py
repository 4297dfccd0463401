"""What the navigation needs on every page, from the grants loaded once per request."""

from typing import Any

from django.http import HttpRequest

from chibo.orgs.access import active_grants, is_superuser
from chibo.orgs.permissions import ROLE_PERMISSIONS, Perm


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    perms: set[str] = set()
    for grant in active_grants(user):
        perms |= ROLE_PERMISSIONS.get(grant.role, frozenset())
    return {
        "nav": {
            "tree": is_superuser(user) or Perm.VIEW_UNIT in perms,
            "search": is_superuser(user) or Perm.VIEW_MEMBERS in perms,
            "admin": bool(user.is_staff),
            "visits": is_superuser(user) or Perm.VIEW_SUPERVISION in perms,
        }
    }
