"""What the navigation needs on every page, from the grants loaded once per request."""

import functools
from typing import Any

from django.http import HttpRequest
from django.urls import get_script_prefix, reverse

from chibo.orgs.access import active_grants, is_superuser
from chibo.orgs.permissions import ROLE_PERMISSIONS, Perm, Role

# The pages every page links to (base.html). Their addresses take no argument, so they are
# the same for every request under one script prefix: reversed once per process and prefix
# rather than a dozen times a page (a tenth of the meeting page's time went into them).
LINKS = (
    "portal:home",
    "orgs:tree",
    "portal:todo",
    "portal:todo_count",
    "meetings:calendar",
    "supervision:my_visits",
    "directives:inbox",
    "supervision:my_groups",
    "members:search",
    "search:search",
    "admin:index",
    "password_change",
    "two_factor",
    "api_tokens",
    "logout",
    "set_language",
)


@functools.cache
def _links(prefix: str) -> dict[str, str]:
    return {name.replace(":", "_"): reverse(name) for name in LINKS}


def navigation(request: HttpRequest) -> dict[str, Any]:
    links = _links(get_script_prefix())
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"links": links}
    perms: set[str] = set()
    in_group = False
    for grant in active_grants(user):
        perms |= ROLE_PERMISSIONS.get(grant.role, frozenset())
        in_group = in_group or grant.role == Role.WORKING_GROUP
    return {
        "links": links,
        "nav": {
            "tree": is_superuser(user) or Perm.VIEW_UNIT in perms,
            "search": is_superuser(user) or Perm.VIEW_MEMBERS in perms,
            "admin": bool(user.is_staff),
            "visits": is_superuser(user) or Perm.VIEW_SUPERVISION in perms,
            # A member of a working group holds its grants over the group's units.
            "groups": is_superuser(user) or in_group,
        },
    }
