"""The grant mechanics: who holds which role over which unit, on a date, and the access to
units themselves. Each app's own `access.py` builds the access to its types on these
(docs/security.md, "The access layer"); every page, export, document, command and task
acting for a user asks there, with the user (never a request).

Unknown and forbidden objects get the same answer (404), so that nobody learns that an
object exists outside their reach.
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.db.models import DateField, IntegerField, Q, QuerySet
from django.http import Http404

from chibo.lib.statements import Param, Statement
from chibo.orgs.models import RoleGrant, Unit
from chibo.orgs.permissions import ROLE_PERMISSIONS, Perm, Role, Scope

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser

_NOTHING = Q(pk__in=[])
_CACHE_ATTR = "_chibo_active_grants"


def grants_of(user_id: int | Param, on: datetime.date | Param | None = None) -> QuerySet[RoleGrant]:
    """The query of the grants of user `user_id` valid on `on` (today), with their units."""
    return (
        RoleGrant.objects.active(on)
        .filter(Q(user_id=user_id))  # (a Q: the stubs know no expression here)
        .select_related("unit", "unit__kind")
        .order_by("unit__path", "role")
    )


# The grants of a user valid on a day, each with the user: the session's user comes from
# here on every request (orgs.backends). A statement: 15 % of the meeting page's CPU.
GRANTS_WITH_USER = Statement(
    lambda *, user, on: grants_of(user, on).select_related("user"),
    user=IntegerField(),
    on=DateField(),
)


def keep_grants(user: AnyUser, grants: list[RoleGrant]) -> None:
    """Remember `grants`, read from `grants_of(user.pk)`, as the user's for this request."""
    setattr(user, _CACHE_ATTR, grants)


def active_grants(user: AnyUser) -> list[RoleGrant]:
    """The user's grants valid today, with their units; cached on the user object, so
    one request asks the database once (none at all when the session's user was loaded
    with them: orgs.backends.SessionUserBackend)."""
    if not user.is_authenticated:
        return []
    cached: list[RoleGrant] | None = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(grants_of(user.pk))
        keep_grants(user, cached)
    return cached


def is_superuser(user: AnyUser) -> bool:
    return bool(user.is_authenticated and getattr(user, "is_superuser", False))


def grants_with(user: AnyUser, perm: Perm) -> list[RoleGrant]:
    return [g for g in active_grants(user) if perm in ROLE_PERMISSIONS.get(g.role, ())]


def unit_filter(user: AnyUser, perm: Perm, *, through: str = "") -> Q:
    """A filter matching the units (reached through the relation `through`, e.g. "unit__")
    over which `user` holds `perm`. It can be combined with `|`: for a superuser it matches
    every unit explicitly (an empty Q() would vanish from an OR)."""
    if is_superuser(user):
        return Q(**{f"{through}pk__isnull": False})
    condition = _NOTHING
    for grant in grants_with(user, perm):
        if grant.scope == Scope.SUBTREE:
            condition |= Q(**{f"{through}path__startswith": grant.unit.path})
        else:
            condition |= Q(**{f"{through}pk" if through else "pk": grant.unit_id})
    return condition


def sees_subtree(user: AnyUser, perm: Perm, unit: Unit) -> bool:
    """Whether `user` holds `perm` over `unit` and everything below it: then a filter on
    the unit's path alone is the whole of the access check (and plans better than the
    general `unit_filter`)."""
    return is_superuser(user) or any(
        g.scope == Scope.SUBTREE and unit.path.startswith(g.unit.path)
        for g in grants_with(user, perm)
    )


def has_perm(user: AnyUser, perm: Perm, unit: Unit) -> bool:
    """Whether `user` holds `perm` over `unit` (no query once the grants are loaded)."""
    return is_superuser(user) or any(g.covers(unit) for g in grants_with(user, perm))


def has_perm_above(user: AnyUser, perm: Perm, unit: Unit) -> bool:
    """Whether `user` holds `perm` over `unit` from a unit above it (its committee's staff,
    not the unit's own officers)."""
    return is_superuser(user) or any(
        g.scope == Scope.SUBTREE and g.unit.depth < unit.depth and g.covers(unit)
        for g in grants_with(user, perm)
    )


def get_unit_for_user(user: AnyUser, code: str, *, action: Perm = Perm.VIEW_UNIT) -> Unit:
    """The unit with `code` if `user` holds `action` over it; 404 otherwise (the access
    is in the query: absent and forbidden are one answer)."""
    unit: Unit | None = (
        Unit.objects.visible_to(user, action).select_related("kind").filter(code=code).first()
    )
    if unit is None:
        raise Http404
    return unit


def get_province_for_user(user: AnyUser, *, action: Perm = Perm.MANAGE_RULES) -> Unit:
    """The province (a root unit) over which `user` holds `action` as a whole (a grant on
    the root itself): where the province's rules are set; 404 otherwise."""
    for unit in top_units(user, action):
        if unit.depth == 1 and has_perm(user, action, unit):
            return unit
    raise Http404


def top_units(user: AnyUser, perm: Perm = Perm.VIEW_UNIT) -> list[Unit]:
    """The highest units the user reaches: where their tree browser starts."""
    if is_superuser(user):
        return list(Unit.objects.get_root_nodes().select_related("kind"))
    units: dict[int, Unit] = {}
    for grant in grants_with(user, perm):
        units.setdefault(grant.unit.pk, grant.unit)
    subtree_paths = [g.unit.path for g in grants_with(user, perm) if g.scope == Scope.SUBTREE]
    return [
        unit
        for unit in sorted(units.values(), key=lambda u: u.path)
        if not any(unit.path.startswith(p) and unit.path != p for p in subtree_paths)
    ]


def visible_children(user: AnyUser, unit: Unit) -> list[Unit]:
    """The units right below `unit` that the user may open: a grant on a unit alone does
    not reveal what lies below it. (The tree browser and the unit page.)"""
    children = Unit.objects.get_children(unit).filter(unit_filter(user, Perm.VIEW_UNIT))
    return list(children.select_related("kind").order_by("code"))


def roles_with(action: Perm) -> list[str]:
    """The roles that carry `action`."""
    return sorted(role for role, perms in ROLE_PERMISSIONS.items() if action in perms)


# --- duties: what waits on a person (the to-do list, chibo.lib.todo) ----------------------


def duty_grants(user: AnyUser, perm: Perm) -> list[RoleGrant]:
    """The user's grants carrying `perm` that make them answer for the work, not only see
    it: every role but the administrator's (who runs the system, not the cells; a superuser
    is not answerable for every cell either). The to-do list's providers ask this."""
    return [g for g in grants_with(user, perm) if g.role != Role.ADMINISTRATOR]


def duty_filter(user: AnyUser, perm: Perm, *, through: str = "", cells_only: bool = False) -> Q:
    """A filter matching the units (through the relation `through`) for whose work under
    `perm` the user answers (`duty_grants`); with `cells_only`, only grants held on a cell
    itself (its secretary, not the committees above it). Matches nothing without one."""
    condition = _NOTHING
    for grant in duty_grants(user, perm):
        if cells_only and not grant.unit.is_cell:
            continue
        if grant.scope == Scope.SUBTREE:
            condition |= Q(**{f"{through}path__startswith": grant.unit.path})
        else:
            condition |= Q(**{f"{through}pk" if through else "pk": grant.unit_id})
    return condition
