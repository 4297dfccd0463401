"""The access chokepoint of materials, on the grants of chibo.orgs.access: a material is seen
by whoever may see the meetings of a cell it is sent to, and by those who may publish or see
the unit that published it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404

from chibo.content.models import Material, ThematicTopic
from chibo.orgs.access import grants_with, is_superuser
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm, Scope

if TYPE_CHECKING:
    from chibo.orgs.access import AnyUser


def ancestors_and_self(path: str) -> list[str]:
    return [path[:end] for end in range(Unit.steplen, len(path) + 1, Unit.steplen)]


def sent_to(unit: Unit) -> Q:
    """Materials that reach `unit`: published above (or at) it to every cell, or sent to it."""
    return Q(all_cells=True, unit__path__in=ancestors_and_self(unit.path)) | Q(
        pk__in=Material.cells.through.objects.filter(unit=unit).values("material_id")
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


def visible_materials(user: AnyUser) -> QuerySet[Material]:
    materials: QuerySet[Material] = Material.objects.filter(materials_q(user))
    return materials


def get_material_for_user(user: AnyUser, pk: int) -> Material:
    material = visible_materials(user).select_related("unit").filter(pk=pk).first()
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


def visible_topics(user: AnyUser) -> QuerySet[ThematicTopic]:
    topics: QuerySet[ThematicTopic] = ThematicTopic.objects.filter(topics_q(user))
    return topics


def get_topic_for_user(user: AnyUser, pk: int) -> ThematicTopic:
    topic = visible_topics(user).select_related("unit").filter(pk=pk).first()
    if topic is None:
        raise Http404
    return topic
