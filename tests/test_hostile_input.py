"""Hostile input: markup stored in every free-text field renders inert on every page, and
uploads are judged by their content, with "zip bombs" and huge sheets refused. The fields and
pages are enumerated, not listed, so that what later issues add is held to the same bar."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models

from chibo.members import roster_io
from chibo.members.models import Member, RosterImport
from tests.crawling import crawl
from tests.factories import complete, planned

pytestmark = pytest.mark.django_db

LONG = '"><script>alert(1)</script><img src=x onerror=alert(1)>'
SHORT = "<script>x</script>"
DANGEROUS = ("<script>alert(1)", "<img src=x onerror", "<script>x</script>")
# Text fields that are keys or machine values rather than free text.
NOT_FREE_TEXT = {
    "path",
    "code",
    "checkin_code",
    "minutes_seal",
    "seal",
    "sort_key",
    "search_name",
    "token",
    "field",
    "source",
    "language",
    "card_number",
    "citizen_id",
}


def free_text_fields() -> Iterator[tuple[type[models.Model], models.Field]]:  # type: ignore[type-arg]
    for model in apps.get_models():
        if not model.__module__.startswith("chibo.") or model.__name__.startswith("Historical"):
            continue
        for field in model._meta.fields:
            if (
                isinstance(field, models.CharField | models.TextField)
                and not field.choices
                and not field.unique
                and field.name not in NOT_FREE_TEXT
                and (field.max_length or 1000) >= len(SHORT)
            ):
                yield model, field


def test_free_text_fields_are_found() -> None:
    found = {f"{m.__name__}.{f.name}" for m, f in free_text_fields()}
    # A sample from each app, so that the enumeration cannot silently find nothing.
    assert {"Unit.name", "Member.notes", "Meeting.conclusion", "Meeting.place"} <= found
    assert {"Visit.observation", "AgendaItem.notes", "Speech.gist"} <= found


def test_markup_in_every_free_text_field_renders_inert(client_for) -> None:
    complete(planned(code="X001.01"))
    for model, field in free_text_fields():
        value = LONG if (field.max_length or 1000) >= len(LONG) else SHORT
        model._default_manager.update(**{field.name: value})
    for username in ("admin", "bithu1", "dangvien1"):
        pages = shown = 0
        for path, response in crawl(client_for(username), max_pages=150):
            assert response.status_code != 500, path
            if not response.get("Content-Type", "").startswith("text/html"):
                continue
            pages += 1
            html = response.content.decode()
            for dangerous in DANGEROUS:
                assert dangerous not in html, f"{username} {path}: {dangerous}"
            shown += "&lt;script&gt;" in html
        assert pages > 5
        assert shown > 3  # the text is there, escaped


# --- uploads ----------------------------------------------------------------------------


def zip_of(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(name, content)
    return buffer.getvalue()


def upload(client_for, name: str, content: bytes):
    before = (Member.objects.count(), RosterImport.objects.count())
    response = client_for("bithu1").post(
        "/units/X001.01/members/import/", {"file": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 200  # the form again, with the message
    assert (Member.objects.count(), RosterImport.objects.count()) == before  # nothing written
    return response.content.decode()


def test_a_zip_bomb_is_refused_before_it_is_read(client_for) -> None:
    bomb = zip_of("xl/worksheets/sheet1.xml", b"\0" * (30 * 1024 * 1024))
    assert len(bomb) < 100_000
    page = upload(client_for, "danh-sach.xlsx", bomb)
    assert "30 MB" in page


def test_what_unpacks_past_the_limit_is_refused(monkeypatch) -> None:
    monkeypatch.setattr(roster_io, "MAX_UNPACKED", 1024)
    data = zip_of("xl/worksheets/sheet1.xml", bytes(range(256)) * 8)
    with pytest.raises(roster_io.ImportFileError):
        roster_io.sniff(data, "a.xlsx")


def test_a_sheet_with_too_many_rows_is_refused_at_once(monkeypatch, tmp_path) -> None:
    import xlsxwriter

    path = tmp_path / "big.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    for row in range(30):
        sheet.write_row(row, 0, ["Nguyễn Văn A", "Nam", "01/01/1990"])
    book.close()
    monkeypatch.setattr(roster_io, "MAX_ROWS", 10)
    with pytest.raises(roster_io.ImportFileError, match="10"):
        roster_io.read_rows(path)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("danh-sach.xlsx", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200),  # a program
        ("danh-sach.xlsx", b"PK\x03\x04 not really a zip"),
        ("danh-sach.csv", b""),
        ("danh-sach.xlsx", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64),
    ],
)
def test_uploads_are_judged_by_content_not_name(client_for, name: str, content: bytes) -> None:
    page = upload(client_for, name, content)
    assert 'class="errorlist' in page
