"""What this app adds to a meeting's pages (the slot "meetings.meeting" of chibo.lib.panels,
settings.CHIBO_PANELS): the materials sent to the cell for the meeting's month, with whether
the reader opened them, and on a thematic meeting the oriented topic it takes up."""

from __future__ import annotations

import functools
from typing import Any

from django.db.models import (
    CharField,
    DateField,
    F,
    Field,
    FilteredRelation,
    IntegerField,
    Q,
    QuerySet,
)

from chibo.content.access import ancestors_and_self, reaching
from chibo.content.models import Material, TopicAdoption
from chibo.content.services import THEMATIC_KINDS
from chibo.lib.panels import Panel
from chibo.lib.statements import Statement
from chibo.meetings.models import Meeting
from chibo.orgs.access import has_perm
from chibo.orgs.permissions import Perm


@functools.cache
def materials_of_month(depth: int) -> Statement[Material]:
    """The materials sent to a cell at `depth` for a month, with the reader's confirmation:
    a statement (18 % of the meeting page's CPU), one per depth of the tree, since the
    ancestors' paths are a list of that length."""
    paths: dict[str, Field[Any, Any]] = {
        f"path{level}": CharField() for level in range(1, depth + 1)
    }

    def build(*, unit: Any, month: Any, reader: Any, **path: Any) -> QuerySet[Material]:
        # Whoever may see the meeting may see every material sent to its cell
        # (chibo.content.access), so the cell's own filter is the whole check here. Whether
        # the reader confirmed each one comes in the same query, a join to their one
        # confirmation (at most one per material and person).
        return (
            Material.objects.filter(reaching(list(path.values()), unit), month=month)
            .select_related("unit")
            .annotate(
                mine=FilteredRelation("reads", condition=Q(reads__user_id=reader)),
                read_id=F("mine__id"),
            )
            .order_by("kind", "-published_at")[:20]
        )

    return Statement(build, unit=IntegerField(), month=DateField(), reader=IntegerField(), **paths)


def meeting_materials(user: Any, meeting: Meeting) -> dict[str, Any]:
    unit = meeting.unit
    ancestors = ancestors_and_self(unit.path)
    materials = materials_of_month(len(ancestors))(
        unit=unit.pk,
        month=meeting.month,
        reader=user.pk or 0,
        **{f"path{level}": path for level, path in enumerate(ancestors, start=1)},
    )
    for material in materials:
        material.read = material.read_id is not None  # type: ignore[attr-defined]
    return {"materials": materials, "meeting": meeting}


def meeting_topic(user: Any, meeting: Meeting) -> dict[str, Any] | None:
    """On a thematic meeting: the oriented topic the cell took up for it, with its Hồ Chí
    Minh study content, or the way to choose one."""
    if meeting.kind not in THEMATIC_KINDS:
        return None
    adoption = (
        TopicAdoption.objects.filter(meeting=meeting).select_related("topic", "topic__unit").first()
    )
    return {
        "adoption": adoption,
        "meeting": meeting,
        "year": meeting.month.year,
        "can_adopt": has_perm(user, Perm.MANAGE_MEETINGS, meeting.unit),
    }


MEETING_MATERIALS = Panel("content/_meeting_panel.html", meeting_materials)
MEETING_TOPIC = Panel("content/_meeting_topic.html", meeting_topic)
