"""The minutes as documents: DOCX read back, PDF, the attendance sheet, the command."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from django.core.management import CommandError, call_command

from chibo.meetings import documents, services
from chibo.meetings.models import Meeting
from chibo.members.models import Member
from tests.factories import complete, planned
from tests.libreoffice import convert, require_docx_to_pdf

pytestmark = pytest.mark.django_db


def text_of(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def a_meeting_with_everything() -> Meeting:
    meeting = complete(planned())
    member = Member.objects.get(user__username="dangvien1")
    services.add_speech(
        item=meeting.items.get(kind="criticism"),
        member=member,
        gist="Tôi nhận khuyết điểm",
        by=None,
    )
    services.add_task(
        meeting=meeting, title="Thu đảng phí quý I", deadline=meeting.month, owner=member, by=None
    )
    return meeting


def test_the_docx_reads_back_with_header_counts_speakers_and_vote() -> None:
    meeting = a_meeting_with_everything()
    data = documents.minutes_data(meeting)
    text = text_of(documents.minutes_docx(data))
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text
    assert meeting.unit.name.upper() in text
    assert "BIÊN BẢN" in text
    assert "T/M CHI BỘ" in text
    assert "BÍ THƯ" in text
    counts = meeting.attendance_counts()
    assert f"Có mặt: {counts.present}" in text
    assert f"chính thức: {counts.official}" in text
    assert "Đồng chí " + Member.objects.get(user__username="dangvien1").full_name in text
    assert "Tôi nhận khuyết điểm" in text
    assert f"{meeting.votes_for} tán thành" in text
    assert "ngày 5 tháng 3 năm 2026" in text
    assert "Thu đảng phí quý I" in text


def test_the_pdf_is_a_pdf() -> None:
    try:
        content = documents.minutes_pdf(documents.minutes_data(a_meeting_with_everything()))
    except documents.PdfUnavailableError as error:
        pytest.skip(f"WeasyPrint cannot run here: {error}")
    assert content.startswith(b"%PDF")


def test_libreoffice_converts_the_docx_to_pdf(tmp_path: Path) -> None:
    require_docx_to_pdf()
    source = tmp_path / "bien-ban.docx"
    source.write_bytes(documents.minutes_docx(documents.minutes_data(a_meeting_with_everything())))
    pdf = convert(source, "pdf:writer_pdf_Export", tmp_path)
    assert pdf.read_bytes().startswith(b"%PDF")


def test_export_minutes_writes_the_month(tmp_path: Path) -> None:
    meeting = a_meeting_with_everything()
    out = tmp_path / "thang3.docx"
    call_command(
        "export_minutes",
        "--unit",
        "X001.01",
        "--month",
        "2026-03",
        "-o",
        str(out),
        stdout=io.StringIO(),
    )
    assert meeting.unit.name.upper() in text_of(out.read_bytes())
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("export_minutes", "--unit", "X001.01", "--month", "3/2026", "-o", str(out))
    with pytest.raises(CommandError, match="no meeting"):
        call_command("export_minutes", "--unit", "X001.01", "--month", "2026-04", "-o", str(out))
    with pytest.raises(CommandError):
        call_command(
            "export_minutes",
            "--unit",
            "X002.01",
            "--month",
            "2026-03",
            "-o",
            str(out),
            "--as",
            "bithu1",
        )


def test_the_web_downloads(client_for) -> None:
    meeting = a_meeting_with_everything()
    response = client_for("dangvien1").get(f"/meetings/{meeting.pk}/minutes.docx")
    assert response.status_code == 200
    assert "BIÊN BẢN" in text_of(response.content)
    sheet = client_for("bithu1").get(f"/meetings/{meeting.pk}/attendance-sheet/").content.decode()
    assert Member.objects.get(user__username="dangvien1").full_name in sheet
