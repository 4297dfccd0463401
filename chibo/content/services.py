from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from chibo.content.models import Material, MaterialRead
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
