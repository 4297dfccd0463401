"""What waits on a person among what is sent down (chibo.lib.todo): the materials of their
cell's meetings, of last month to next, that they have not confirmed reading."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from chibo.content.access import sent_to
from chibo.content.models import Material, MaterialRead
from chibo.lib.dates import add_months
from chibo.lib.todo import TodoItem
from chibo.members.models import Member

if TYPE_CHECKING:
    from chibo.orgs.access import AnyUser


def materials_to_read(user: AnyUser, today: datetime.date) -> Iterator[TodoItem]:
    """Materials sent to the person's own cell for last month, this month or next, not yet
    confirmed as read. Budget: 2 queries (the member, the materials)."""
    if not user.is_authenticated:
        return
    member = (
        Member.objects.active().filter(user_id=user.pk).select_related("unit").order_by("pk")
    ).first()
    if member is None:
        return
    month = today.replace(day=1)
    materials = (
        Material.objects.visible_to(user)
        .filter(sent_to(member.unit))
        .filter(month__gte=add_months(month, -1), month__lte=add_months(month, 1))
        .exclude(pk__in=MaterialRead.objects.filter(user_id=user.pk).values("material_id"))
        .order_by("month", "published_at", "pk")
    )
    for material in materials:
        yield TodoItem(
            key=f"content.read:{material.pk}",
            kind="content.read",
            title=_("Read: %(title)s") % {"title": material.title},
            url=material.get_absolute_url(),
            unit=member.unit.name,
        )


PROVIDERS = (materials_to_read,)
