"""The access to what is sent down to the cells, on the grants of chibo.orgs.access.

- `Material.objects.visible_to(user, action)`: a material is seen by whoever may see the
  meetings of a cell it is sent to, and by those who may publish or see the unit that
  published it (`materials_q`). Read confirmations are reached through the material.
- `ThematicTopic.objects.visible_to(user, action)`: a topic reaches every unit below the
  one that oriented it (`topics_q`); adoptions are reached through the topic and the cell.
- `Regulation.objects.visible_to(user, action)`: a cell's working regulations, to whoever
  sees its meetings (VIEW_MEETINGS).
- `Course.objects.visible_to(user, action)`: courses, to whoever sees the members of the
  unit that organises them (VIEW_MEMBERS).

The getters take the user (never a request) and filter in the query: an absent and a
forbidden object give the same 404.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.http import Http404

from chibo.content.models import Course, Material, Regulation, ThematicTopic
from chibo.orgs.access import grants_with, is_superuser
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm, Scope

if TYPE_CHECKING:
    from chibo.orgs.access import AnyUser


def ancestors_and_self(path: str) -> list[str]:
    return [path[:end] for end in range(Unit.steplen, len(path) + 1, Unit.steplen)]


def sent_to(unit: Unit) -> Q:
    """Materials that reach `unit`: published above (or at) it to every cell, or sent to it."""
    return reaching(ancestors_and_self(unit.path), unit.pk)


def reaching(paths: Sequence[Any], unit_id: Any) -> Q:
    """`sent_to` for the unit `unit_id` whose own and ancestors' paths are `paths` (values,
    or a statement's parameters: chibo.content.panels)."""
    return Q(all_cells=True, unit__path__in=paths) | Q(
        pk__in=Material.cells.through.objects.filter(Q(unit_id=unit_id)).values("material_id")
    )


def materials_q(user: AnyUser) -> Q:
    if is_superuser(user):
        return Q(pk__isnull=False)
    q = Q(pk__in=[])
    readers = grants_with(user, Perm.VIEW_MEETINGS) + grants_with(user, Perm.PUBLISH_MATERIALS)
    for grant in readers:
        path = grant.unit.path
        q |= Q(all_cells=True, unit__path__in=ancestors_and_self(path))
        if grant.scope == Scope.SUBTREE:
            q |= Q(unit__path__startswith=path) | Q(
                pk__in=Material.cells.through.objects.filter(unit__path__startswith=path).values(
                    "material_id"
                )
            )
        else:
            q |= Q(unit_id=grant.unit_id) | Q(
                pk__in=Material.cells.through.objects.filter(unit_id=grant.unit_id).values(
                    "material_id"
                )
            )
    return q


def get_material_for_user(user: AnyUser, pk: int, *, action: Perm = Perm.VIEW_MEETINGS) -> Material:
    material = (
        Material.objects.visible_to(user, action).select_related("unit").filter(pk=pk).first()
    )
    if material is None:
        raise Http404
    return material


def topics_q(user: AnyUser) -> Q:
    """Thematic topics reach every unit below the one that oriented them: they are seen by
    whoever sees a unit at or below it, and by whoever sees that unit's subtree."""
    if is_superuser(user):
        return Q(pk__isnull=False)
    q = Q(pk__in=[])
    for grant in grants_with(user, Perm.VIEW_UNIT) + grants_with(user, Perm.PUBLISH_MATERIALS):
        q |= Q(unit__path__in=ancestors_and_self(grant.unit.path))
        if grant.scope == Scope.SUBTREE:
            q |= Q(unit__path__startswith=grant.unit.path)
    return q


def get_topic_for_user(user: AnyUser, pk: int, *, action: Perm = Perm.VIEW_UNIT) -> ThematicTopic:
    topic = (
        ThematicTopic.objects.visible_to(user, action).select_related("unit").filter(pk=pk).first()
    )
    if topic is None:
        raise Http404
    return topic


def get_regulation_for_user(
    user: AnyUser, pk: int, *, action: Perm = Perm.VIEW_MEETINGS
) -> Regulation:
    """A version of a cell's working regulations, to whoever sees the cell's meetings."""
    regulation = (
        Regulation.objects.visible_to(user, action).select_related("unit").filter(pk=pk).first()
    )
    if regulation is None:
        raise Http404
    return regulation


def get_course_for_user(user: AnyUser, pk: int, *, action: Perm = Perm.VIEW_MEMBERS) -> Course:
    """A course, to whoever sees the members of the unit that organises it."""
    course = Course.objects.visible_to(user, action).select_related("unit").filter(pk=pk).first()
    if course is None:
        raise Http404
    return course
