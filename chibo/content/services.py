from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.content.models import Course, Material, MaterialRead, Regulation
from chibo.members.models import Member
from chibo.orgs.models import Unit


@transaction.atomic
def publish(
    *,
    unit: Unit,
    kind: str,
    title: str,
    summary: str,
    month: datetime.date,
    topic: str,
    file: UploadedFile,
    file_type: str,
    cells: list[Unit],
    by: User | None,
) -> Material:
    """Publish a document to every cell below `unit`, or to `cells` when given."""
    material = Material(
        unit=unit,
        kind=kind,
        title=title.strip(),
        summary=summary.strip(),
        month=month.replace(day=1),
        topic=topic.strip(),
        file_name=(file.name or "tai-lieu")[-200:],
        file_type=file_type,
        file_size=file.size or 0,
        all_cells=not cells,
        published_by=by,
    )
    material.file.save(f"{month:%Y-%m}-{file_type}.{file_type}", file, save=False)
    material.save()
    if cells:
        material.cells.set(cells)
    return material


def mark_read(material: Material, user: User) -> MaterialRead:
    """Record that `user` opened the material (once; the first time is kept)."""
    read, _created = MaterialRead.objects.get_or_create(
        material=material, user=user, defaults={"read_at": timezone.now()}
    )
    return read


@transaction.atomic
def adopt_regulation(
    *, unit: Unit, adopted_on: datetime.date, notes: str, file: UploadedFile, file_type: str,
    by: User | None,
) -> Regulation:  # fmt: skip
    """A new version of the cell's working regulations (the earlier ones stay)."""
    last = Regulation.objects.select_for_update().filter(unit=unit).order_by("-number").first()
    regulation = Regulation(
        unit=unit,
        number=(last.number + 1) if last else 1,
        adopted_on=adopted_on,
        notes=notes.strip(),
        file_type=file_type,
        uploaded_by=by,
    )
    regulation.file.save(f"{unit.code}-{adopted_on:%Y%m%d}.{file_type}", file, save=False)
    regulation.save()
    return regulation


@transaction.atomic
def save_course(
    *, course: Course | None, unit: Unit, data: dict[str, Any], participants: list[Member],
    by: User | None,
) -> Course:  # fmt: skip
    """Create or change a course and its participants (members of the units below)."""
    if data["ends_on"] < data["starts_on"]:
        raise ValidationError(_("The course ends before it starts."))
    outside = [m.full_name for m in participants if not m.unit.path.startswith(unit.path)]
    if outside:
        raise ValidationError(
            _("Not members below this unit: %(names)s.") % {"names": ", ".join(outside[:10])}
        )
    course = course or Course(unit=unit)
    for key in ("kind", "title", "starts_on", "ends_on", "place"):
        setattr(course, key, data[key])
    course._history_user = by  # type: ignore[attr-defined]
    course.save()
    course.participants.set(participants)
    return course
