from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.content.models import (
    Course,
    Material,
    MaterialKind,
    MaterialRead,
    Regulation,
    ThematicTopic,
    TopicAdoption,
)
from chibo.lib.dates import quarter_of
from chibo.lib.submissions import once_per_submission
from chibo.meetings.models import Meeting, MeetingKind, MeetingState
from chibo.members.models import Member
from chibo.orgs.models import Unit
from chibo.supervision.models import Finding


def _lock_numbering(unit: Unit) -> None:
    """Serialise the numbering of a unit's records (regulation versions, topics): locking
    the rows already numbered does not stop two first numbers, locking the unit does."""
    Unit.objects.select_for_update().filter(pk=unit.pk).first()


@transaction.atomic
@once_per_submission
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
    submission: uuid.UUID | None = None,
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
@once_per_submission
def adopt_regulation(
    *, unit: Unit, adopted_on: datetime.date, notes: str, file: UploadedFile, file_type: str,
    by: User | None,
    submission: uuid.UUID | None = None,
) -> Regulation:  # fmt: skip
    """A new version of the cell's working regulations (the earlier ones stay)."""
    _lock_numbering(unit)
    last = Regulation.objects.filter(unit=unit).order_by("-number").first()
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
@once_per_submission
def save_course(
    *, course: Course | None, unit: Unit, data: dict[str, Any], participants: list[Member],
    by: User | None,
    submission: uuid.UUID | None = None,
) -> Course:  # fmt: skip
    """Create or change a course and its participants (members of the units below)."""
    if data["ends_on"] < data["starts_on"]:
        raise ValidationError(_("The course ends before it starts."))
    # By card number: the names of members outside the unit are not the user's to see.
    outside = [str(m.card_number) for m in participants if not m.unit.path.startswith(unit.path)]
    if outside:
        raise ValidationError(
            _("No member below this unit has the card number %(cards)s.")
            % {"cards": ", ".join(outside[:10])}
        )
    course = course or Course(unit=unit)
    for key in ("kind", "title", "starts_on", "ends_on", "place"):
        setattr(course, key, data[key])
    course._history_user = by  # type: ignore[attr-defined]
    course.save()
    course.participants.set(participants)
    return course


THEMATIC_KINDS = (MeetingKind.THEMATIC, MeetingKind.COMBINED)


@transaction.atomic
@once_per_submission
def save_topic(
    *,
    topic: ThematicTopic | None,
    unit: Unit,
    data: dict[str, Any],
    by: User | None,
    submission: uuid.UUID | None = None,
) -> ThematicTopic:
    """Add a topic to `unit`'s orientation for a year (numbered in turn), or change one."""
    if topic is None:
        _lock_numbering(unit)
        numbered = ThematicTopic.objects.filter(unit=unit, year=data["year"])
        last = numbered.order_by("-number").first()
        topic = ThematicTopic(
            unit=unit, year=data["year"], number=(last.number + 1) if last else 1, created_by=by
        )
    for key in ("title", "guidance", "hcm_content"):
        setattr(topic, key, data[key].strip())
    topic.quarter = data.get("quarter") or None
    topic._history_user = by  # type: ignore[attr-defined]
    topic.save()
    return topic


def delete_topic(topic: ThematicTopic, by: User | None) -> None:
    if topic.adoptions.exists():
        raise ValidationError(_("Cells have adopted this topic; it can no longer be deleted."))
    topic._history_user = by  # type: ignore[attr-defined]
    topic.delete()


@transaction.atomic
@once_per_submission
def adopt_topic(
    *,
    topic: ThematicTopic,
    cell: Unit,
    quarter: int,
    meeting: Meeting | None,
    by: User | None,
    submission: uuid.UUID | None = None,
) -> TopicAdoption:
    """Take `topic` into the cell's thematic meeting of `quarter` (or move it to another
    quarter or meeting). Approved minutes are final: a topic whose meeting is approved stays."""
    if not cell.is_cell or not cell.path.startswith(topic.unit.path) or cell.pk == topic.unit_id:
        raise ValidationError(_("This topic was not oriented for this cell."))
    if not 1 <= quarter <= 4:
        raise ValidationError({"quarter": _("Choose a quarter from 1 to 4.")})
    if meeting is not None:
        if meeting.unit_id != cell.pk or meeting.kind not in THEMATIC_KINDS:
            raise ValidationError({"meeting": _("Choose a thematic meeting of this cell.")})
        if meeting.month.year != topic.year or quarter_of(meeting.month) != quarter:
            raise ValidationError(
                {"meeting": _("The meeting is not in quarter %(q)s of %(year)s.")
                 % {"q": quarter, "year": topic.year}}
            )  # fmt: skip
        if meeting.state == MeetingState.CANCELLED:
            raise ValidationError({"meeting": _("The meeting was cancelled.")})
        taken = TopicAdoption.objects.filter(meeting=meeting).exclude(topic=topic).first()
        if taken is not None:
            raise ValidationError(
                {"meeting": _("The meeting already takes up another oriented topic.")}
            )
    adoption = (
        TopicAdoption.objects.select_for_update(of=("self",))
        .select_related("meeting")
        .filter(unit=cell, topic=topic)
        .first()
    )
    if adoption is None:
        adoption = TopicAdoption(unit=cell, topic=topic, year=topic.year, adopted_by=by)
    elif adoption.meeting is not None and adoption.meeting.is_locked:
        raise ValidationError(_("The minutes of the meeting on this topic are approved."))
    adoption.quarter = quarter
    adoption.meeting = meeting
    adoption._history_user = by  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            adoption.save()
    except IntegrityError:
        # Someone else took the same topic for this cell, or this meeting for another
        # topic, between the checks above and now.
        raise ValidationError(
            _("The topic or the meeting was just taken by someone else: look again.")
        ) from None
    return adoption


@transaction.atomic
def withdraw_topic(adoption: TopicAdoption, by: User | None) -> None:
    adoption = (
        TopicAdoption.objects.select_for_update(of=("self",))
        .select_related("meeting")
        .get(pk=adoption.pk)
    )
    if adoption.meeting is not None and adoption.meeting.is_locked:
        raise ValidationError(_("The minutes of the meeting on this topic are approved."))
    adoption._history_user = by  # type: ignore[attr-defined]
    adoption.delete()


def _good_practice_docx(finding: Finding, title: str, summary: str, on: datetime.date) -> bytes:
    """The model of good practice as a Party-format notice, citing the inspection."""
    from chibo.lib import party_docx

    item = finding.item
    doc = party_docx.PartyDocument(
        superior=item.unit.name,
        issuer=item.unit.name,
        number="",
        place=item.unit.name,
        date=on,
        kind="Thông báo",
        summary=f"Nhân rộng mô hình, cách làm hay: {title}",
    )

    def body(document: Any) -> None:
        add = party_docx.add_text
        add(
            document,
            f"Qua {item.get_kind_display().lower()} {item.target.name} "
            f"({item.starts_on:%d/%m/%Y} - {item.ends_on:%d/%m/%Y}) về: {item.subject}, "
            "đã phát hiện cách làm hay sau:",
        )
        for line in [*finding.text.splitlines(), *summary.splitlines()]:
            if line.strip():
                add(document, line.strip())
        add(document, "Đề nghị các chi bộ nghiên cứu, vận dụng phù hợp với thực tế.")

    return party_docx.build(doc, body)


@transaction.atomic
def spread_good_practice(
    *,
    finding: Finding,
    title: str,
    summary: str,
    month: datetime.date,
    cells: list[Unit],
    by: User | None,
) -> Material:
    """Publish a finding of good practice as a model to `cells` (nhân rộng): a material of
    the inspecting unit, its notice generated, linked to the finding it comes from."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chibo.supervision.models import FindingKind

    if finding.kind != FindingKind.GOOD_PRACTICE:
        raise ValidationError(_("Only a finding of good practice is spread as a model."))
    if not cells:
        raise ValidationError(_("Choose the cells to spread it to."))
    unit = finding.item.unit
    outside = [c.code for c in cells if not c.is_cell or not c.path.startswith(unit.path)]
    if outside:
        raise ValidationError(
            _("Not cells below %(unit)s: %(codes)s.")
            % {"unit": unit.name, "codes": ", ".join(outside)}
        )
    if not title.strip():
        raise ValidationError(_("Give the model a title."))
    data = _good_practice_docx(finding, title.strip(), summary, timezone.localdate())
    material = publish(
        unit=unit,
        kind=MaterialKind.MODEL,
        title=title,
        summary=summary,
        month=month,
        topic="",
        file=SimpleUploadedFile("mo-hinh.docx", data),
        file_type="docx",
        cells=cells,
        by=by,
    )
    material.source_finding = finding
    material.save(update_fields=["source_finding"])
    return material
