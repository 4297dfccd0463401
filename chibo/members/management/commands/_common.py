"""What the roster commands share: the unit, and the person they act for."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.management.base import CommandError
from django.utils import translation

from chibo.orgs.models import Unit, UnitQuerySet
from chibo.orgs.permissions import Perm


def resolve(code: str, username: str | None, perm: Perm) -> tuple[Unit, User | None, UnitQuerySet]:
    """The unit named by `code`, the acting user (if any) and the cells below the unit
    that this user may act on (all of them for the operator of the machine)."""
    translation.activate(settings.LANGUAGE_CODE)
    user = None
    if username:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user is called {username!r}.")
    unit = Unit.objects.select_related("kind").filter(code=code).first()
    if unit is None:
        raise CommandError(f"No unit has the code {code!r} (see `chibo units`).")
    reach = Unit.objects.all() if user is None else Unit.objects.visible_to(user, perm)
    cells = reach.cells().filter(path__startswith=unit.path).select_related("kind")
    if user is not None and not cells.exists():
        raise CommandError(f"No unit has the code {code!r} (see `chibo units`).")
    return unit, user, cells
