"""Working regulations (versioned per cell, cells without current ones listed) and the
training of secretaries and committee members (those never trained, or not lately)."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chibo.content import services
from chibo.content.models import Course, Regulation
from chibo.members.models import Member, Post, PostKind
from chibo.orgs.models import Unit
from tests.factories import PDF

pytestmark = pytest.mark.django_db


def adopt(code: str, on: datetime.date) -> Regulation:
    return services.adopt_regulation(
        unit=Unit.objects.get(code=code), adopted_on=on, notes="", by=None,
        file=SimpleUploadedFile("q.pdf", PDF), file_type="pdf",
    )  # fmt: skip


def test_regulations_are_versioned_and_cells_without_current_ones_listed(client_for) -> None:
    today = timezone.localdate()
    client = client_for("bithu1")
    response = client.post(
        "/units/X001.01/regulations/",
        {"adopted_on": "2021-03-01", "file": SimpleUploadedFile("q.pdf", PDF)},
    )
    assert response.status_code == 302
    response = client.post(
        "/units/X001.01/regulations/",
        {"adopted_on": "2021-03-01", "file": SimpleUploadedFile("q.png", b"\x89PNG\r\n\x1a\n")},
    )
    assert response.status_code == 200  # an image is not regulations
    adopt("X001.01", today)
    assert list(
        Regulation.objects.filter(unit__code="X001.01").values_list("number", flat=True)
    ) == [2, 1]
    cells = Unit.objects.cells().filter(code__startswith="X001").count()
    page = client_for("uyvien1").get("/units/X001/regulations/?missing=1")
    assert page.context["total"] == cells
    assert page.context["missing"] == cells - 1
    assert "X001.01" not in {c.code for c in page.context["page"].object_list}
    # An old version only: due for review, listed again.
    other = Unit.objects.cells().filter(code__startswith="X001.").exclude(code="X001.01").first()
    assert other is not None
    adopt(other.code, today - datetime.timedelta(days=6 * 366))
    assert client_for("uyvien1").get("/units/X001/regulations/").context["missing"] == cells - 1
    # Files by their cell's rights.
    regulation = Regulation.objects.filter(unit__code="X001.01").first()
    assert regulation is not None
    assert client.get(f"/regulations/{regulation.pk}/file/").status_code == 200
    assert client_for("bithu2").get(f"/regulations/{regulation.pk}/file/").status_code == 404
    assert client_for("bithu2").post("/units/X001.01/regulations/", {}).status_code == 404


def test_secretaries_not_trained_lately_are_listed(client_for) -> None:
    client = client_for("uyvien1")
    posts = Post.objects.filter(unit__path__startswith=Unit.objects.get(code="X001").path,
                                ended_on__isnull=True)  # fmt: skip
    everyone = posts.count()
    assert everyone > 0
    assert client.get("/units/X001/training/").context["untrained"].paginator.count == everyone
    secretary = Post.objects.get(unit__code="X001.01", kind=PostKind.SECRETARY, ended_on=None)
    member = secretary.member
    if not member.card_number:
        Member.objects.filter(pk=member.pk).update(card_number="99887766")
        member.refresh_from_db()
    admin = client_for("admin")
    today = timezone.localdate()
    response = admin.post(
        "/units/X001/training/",
        {"kind": "boi_duong", "title": "Bồi dưỡng bí thư chi bộ", "place": "Trung tâm chính trị",
         "starts_on": (today - datetime.timedelta(days=40)).isoformat(),
         "ends_on": (today - datetime.timedelta(days=35)).isoformat(),
         "participants": member.card_number},
    )  # fmt: skip
    assert response.status_code == 302
    untrained = client.get("/units/X001/training/").context["untrained"]
    assert untrained.paginator.count == everyone - 1
    # Three years ago is not "in the last two years".
    course = Course.objects.get()
    course.starts_on = course.ends_on = today - datetime.timedelta(days=3 * 366)
    course.save()
    assert client.get("/units/X001/training/").context["untrained"].paginator.count == everyone
    assert (
        client.get("/units/X001/training/?years=5").context["untrained"].paginator.count
        == everyone - 1
    )
    # Unknown card numbers and courses that end before they start are refused.
    before = Course.objects.count()
    for data in ({"participants": "00000000"}, {"ends_on": "2000-01-01"}):
        base = {"kind": "tap_huan", "title": "x", "starts_on": "2026-01-05",
                "ends_on": "2026-01-06", "participants": ""}  # fmt: skip
        assert admin.post("/units/X001/training/", {**base, **data}).status_code == 200
    assert Course.objects.count() == before
    # A member of another commune is refused by card number, without their name.
    other = Member.objects.filter(unit__code__startswith="X002.").first()
    assert other is not None
    Member.objects.filter(pk=other.pk).update(card_number="77665544")
    base = {"kind": "tap_huan", "title": "x", "starts_on": "2026-01-05",
            "ends_on": "2026-01-06", "participants": "77665544"}  # fmt: skip
    page = admin.post("/units/X001/training/", base).content.decode()
    assert "77665544" in page
    assert other.full_name not in page
    assert Course.objects.count() == before
    assert client_for("bithu1").post("/units/X001.01/training/", {}).status_code == 404
    assert client_for("bithu2").get(f"/courses/{course.pk}/").status_code == 404


def test_the_lists_keep_their_query_count(client_for) -> None:
    client = client_for("uyvien1")

    def counts() -> list[int]:
        out = []
        for url in ("/units/X001/regulations/", "/units/X001/training/"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            out.append(len(queries))
        return out

    Course.objects.create(
        unit=Unit.objects.get(code="X001"), kind="tap_huan", title="Lớp đầu",
        starts_on=datetime.date(2025, 1, 1), ends_on=datetime.date(2025, 1, 2),
    )  # fmt: skip
    before = counts()
    for cell in Unit.objects.cells().filter(code__startswith="X001.")[:4]:
        adopt(cell.code, datetime.date(2025, 1, 1))
    for n in range(3):
        course = Course.objects.create(
            unit=Unit.objects.get(code="X001"), kind="tap_huan", title=f"Lớp {n}",
            starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 1, 2),
        )  # fmt: skip
        course.participants.set(Member.objects.filter(unit__code="X001.01")[:3])
    assert counts() == before
