"""Materials sent down the tree: who sees them, read confirmations and coverage, uploads
checked by content, and the panel on a meeting's preparation page."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chibo.content.models import Material, MaterialRead
from chibo.orgs.models import Unit
from tests.factories import PDF, planned, publish, this_month

pytestmark = pytest.mark.django_db


def docx_bytes(extra: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<w:document/>" + extra)
    return buffer.getvalue()


def status(client, url: str) -> int:
    return int(client.get(url).status_code)


def test_a_material_to_every_cell_reaches_every_cell_below_and_no_one_else(client_for) -> None:
    material = publish("X001")
    url = material.get_absolute_url()
    for username in ("bithu1", "dangvien1", "uyvien1", "admin", "bantochuc"):
        assert status(client_for(username), url) == 200, username
    for username in ("bithu2", "outsider"):  # another commune; nobody
        assert status(client_for(username), url) == 404, username


def test_a_material_to_chosen_cells_reaches_only_them(client_for) -> None:
    other = Unit.objects.cells().filter(code__startswith="X001.").exclude(code="X001.01").first()
    assert other is not None
    material = publish("X001", cells=[other.code])
    assert status(client_for("bithu1"), material.get_absolute_url()) == 404
    assert status(client_for("uyvien1"), material.get_absolute_url()) == 200
    assert status(client_for("admin"), material.get_absolute_url()) == 200


def test_propaganda_staff_publish_and_the_form_refuses_what_is_not_a_document(
    tuyengiao: User, client_for
) -> None:
    from django.test import Client

    client = Client()
    client.force_login(tuyengiao)
    url = "/units/LV/materials/"
    page = client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in page
    base = {"kind": "meeting", "title": "Tháng này", "month": this_month().strftime("%Y-%m")}
    base["all_cells"] = "on"
    for name, content in (
        ("virus.pdf", b"MZ\x90\x00" + b"\x00" * 100),
        ("bomb.docx", docx_bytes(b"\0" * (210 * 1024 * 1024))),
        ("fake.docx", b"PK\x03\x04 broken"),
    ):
        before = Material.objects.count()
        response = client.post(url, {**base, "file": SimpleUploadedFile(name, content)})
        assert response.status_code == 200, name
        assert Material.objects.count() == before, name
    response = client.post(url, {**base, "file": SimpleUploadedFile("a.docx", docx_bytes())})
    assert response.status_code == 302
    material = Material.objects.get(title="Tháng này")
    assert (material.file_type, material.all_cells) == ("docx", True)
    # A cell secretary cannot publish (no form, and a post is refused).
    assert (
        'enctype="multipart/form-data"'
        not in client_for("bithu1").get("/units/X001/materials/").content.decode()
    )
    response = client_for("bithu1").post(
        "/units/X001.01/materials/", {**base, "file": SimpleUploadedFile("a.pdf", PDF)}
    )
    assert response.status_code == 404


def test_reading_is_confirmed_once_and_coverage_counts_cells(client_for, cast) -> None:
    material = publish("X001")
    client = client_for("dangvien1")
    client.post(f"/materials/{material.pk}/read/")
    client.post(f"/materials/{material.pk}/read/")
    assert MaterialRead.objects.filter(material=material).count() == 1
    # Downloading the file records nothing (a GET changes no data); the button does.
    response = client_for("bithu1").get(f"/materials/{material.pk}/file/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert MaterialRead.objects.filter(material=material).count() == 1
    client_for("bithu1").post(f"/materials/{material.pk}/read/")
    assert MaterialRead.objects.filter(material=material).count() == 2
    coverage = client_for("uyvien1").get(f"/materials/{material.pk}/coverage/")
    assert coverage.status_code == 200
    rows = {row["cell"].code: row for row in coverage.context["rows"]}
    assert rows["X001.01"]["read"] == 2
    assert rows["X001.01"]["secretary"] is True
    cells = Unit.objects.cells().filter(code__startswith="X001").count()
    assert (coverage.context["total"], coverage.context["opened"]) == (cells, 1)
    unread = client_for("uyvien1").get(f"/materials/{material.pk}/coverage/?unread=1")
    assert "X001.01" not in {row["cell"].code for row in unread.context["rows"]}
    # Members see the material but not who has read it.
    assert status(client_for("dangvien1"), f"/materials/{material.pk}/coverage/") == 404


def test_the_next_meeting_shows_the_months_materials(client_for) -> None:
    meeting = planned()
    material = publish("LV", month=meeting.month)
    publish("LV", month=meeting.month.replace(year=meeting.month.year - 1))  # another month
    page = client_for("bithu1").get(f"/meetings/{meeting.pk}/preparation/").content.decode()
    assert material.title in page
    assert page.count("Tài liệu sinh hoạt chi bộ từ LV") == 1
    assert (
        material.title in client_for("dangvien1").get(meeting.get_absolute_url()).content.decode()
    )


def test_the_meeting_page_ticks_the_materials_the_reader_confirmed(client_for) -> None:
    meeting = planned()
    read = publish("LV", month=meeting.month)
    unread = publish("X001", month=meeting.month)
    client_for("dangvien1").post(f"/materials/{read.pk}/read/")
    client_for("bithu1").post(f"/materials/{unread.pk}/read/")  # someone else's confirmation

    def ticked(page: str) -> dict[str, bool]:
        panel = page[page.index('class="materials-panel"') :]
        items = panel[: panel.index("</section>")].split("<li>")[1:]
        return {"LV" if "từ LV" in item else "X001": "✓" in item for item in items}

    page = client_for("dangvien1").get(meeting.get_absolute_url()).content.decode()
    assert ticked(page) == {"LV": True, "X001": False}
    page = client_for("bithu1").get(meeting.get_absolute_url()).content.decode()
    assert ticked(page) == {"LV": False, "X001": True}
    # Nobody's confirmation shows for a reader who confirmed nothing.
    page = client_for("uyvien1").get(meeting.get_absolute_url()).content.decode()
    assert ticked(page) == {"LV": False, "X001": False}


def test_lists_keep_their_query_count_as_materials_and_reads_grow(client_for) -> None:
    client = client_for("uyvien1")

    def counts() -> list[int]:
        out = []
        for url in ("/units/X001/materials/", f"/materials/{first.pk}/coverage/"):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            out.append(len(queries))
        return out

    first = publish("X001")
    before = counts()
    for _ in range(5):
        publish("X001")
    for username in ("bithu1", "dangvien1", "uyvien1"):
        MaterialRead.objects.get_or_create(material=first, user=User.objects.get(username=username))
    assert counts() == before
