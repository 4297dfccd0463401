"""Changes to the organisation tree: each a named, atomic action that keeps history."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from chibo.orgs.models import Unit, UnitKind


@transaction.atomic
def create_unit(
    *,
    parent: Unit | None,
    code: str,
    name: str,
    kind: UnitKind,
    **fields: object,
) -> Unit:
    """Add a unit under `parent` (or a new root)."""
    if Unit.objects.filter(code=code).exists():
        raise ValidationError({"code": _("A unit with this code already exists.")})
    unit = Unit(code=code, name=name, kind=kind, **fields)
    unit.full_clean(exclude=["path", "depth", "numchild"])
    if parent is None:
        created: Unit = Unit.objects.add_root(instance=unit)
    else:
        created = Unit.objects.add_child(parent, instance=unit)
    return created


@transaction.atomic
def move_unit(*, unit: Unit, new_parent: Unit) -> Unit:
    """Move `unit` with everything below it under `new_parent`.

    Members and meetings stay attached to the unit itself, so their history moves with
    it; the unit's history records the old and new place.
    """
    unit.refresh_from_db()
    new_parent.refresh_from_db()
    if new_parent.pk == unit.pk or new_parent.path.startswith(unit.path):
        raise ValidationError(_("A unit cannot be moved under itself or its own sub-units."))
    if not new_parent.is_active():
        raise ValidationError(_("A unit cannot be moved under a closed unit."))
    Unit.objects.move(unit, new_parent, "last-child")
    unit.refresh_from_db()
    # treebeard moves by queryset updates; record the move in the unit's history.
    unit._change_reason = f"moved under {new_parent.code}"
    unit.save()
    return unit


@transaction.atomic
def close_unit(*, unit: Unit, on: datetime.date, reason: str) -> Unit:
    """Close `unit` from `on`. Its records stay; it takes no new members or meetings."""
    if unit.closed_on:
        raise ValidationError(_("This unit is already closed."))
    if unit.active_from and on < unit.active_from:
        raise ValidationError(_("A unit cannot close before it opened."))
    open_children = Unit.objects.get_children(unit).filter(closed_on__isnull=True)
    if open_children.exists():
        raise ValidationError(
            _("Close, merge or move the units below it first: %(names)s")
            % {"names": ", ".join(u.name for u in open_children[:5])}
        )
    unit.closed_on = on
    unit.close_reason = reason
    unit.save()
    return unit


@transaction.atomic
def merge_unit(*, unit: Unit, into: Unit, on: datetime.date) -> Unit:
    """Close `unit` on `on` as merged into `into`; its sub-units move under `into`.

    Moving the members who are still active is the member registry's job; their past
    stays attached to `unit`.
    """
    if into.pk == unit.pk or into.path.startswith(unit.path):
        raise ValidationError(_("A unit cannot be merged into itself or its own sub-units."))
    for child in list(Unit.objects.get_children(unit).filter(closed_on__isnull=True)):
        move_unit(unit=child, new_parent=into)
    unit.refresh_from_db()
    unit.merged_into = into
    unit.save()
    return close_unit(unit=unit, on=on, reason=_("Merged into %(name)s") % {"name": into.name})
