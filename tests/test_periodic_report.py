"""The periodic report: the Party-format DOCX read back, its numbering, its figures equal
to the dashboard's, the companion XLSX, the command and the web job."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import docx
import pytest
import python_calamine
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from chibo.orgs.models import Unit
from chibo.reports import figures
from chibo.reports.models import PeriodicReport
from chibo.reports.periodic import number_of, periodic_docx, periodic_xlsx, reserve
from chibo.reports.periods import parse
from tests.factories import D, complete, planned
from tests.libreoffice import FILTERS, convert, require_docx_to_pdf

pytestmark = pytest.mark.django_db
SHOTS = Path("test-results")


def board_for(user: User, code: str = "LV", period: str = "2026-H1") -> figures.Dashboard:
    complete(planned(code="X001.01", day=D(2026, 3, 5)))
    complete(planned(code="X002.01", day=D(2026, 4, 7)))
    return figures.build(user, Unit.objects.get(code=code), parse(period), today=D(2026, 11, 26))


def read(content: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(content))


def test_the_docx_has_the_party_format_and_the_dashboard_figures(cast: dict[str, User]) -> None:
    board = board_for(cast["admin"])
    report = reserve(board.unit, board.period, None)
    content = periodic_docx(board, number=number_of(report), date=D(2026, 6, 15), place="Lâm Viên")
    document = read(content)
    left, right = (cell.text for cell in document.tables[0].rows[0].cells)
    assert "TỈNH ỦY LÂM VIÊN" in left
    assert "Số 1-BC/TU" in left
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in right
    assert "Lâm Viên, ngày 15 tháng 6 năm 2026" in right
    texts = [p.text for p in document.paragraphs]
    assert "BÁO CÁO" in texts
    assert any("6 tháng đầu năm 2026" in t for t in texts)
    assert "Nơi nhận:" in texts
    assert len(document.inline_shapes) == 1  # the chart
    # The month table holds the dashboard's figures.
    months = next(t for t in document.tables if t.rows[0].cells[0].text == "Tháng")
    march = next(r for r in months.rows if r.cells[0].text == "03/2026")
    expected = board.by_month[2]
    assert march.cells[1].text == str(expected.cells)
    assert march.cells[2].text == f"{expected.compliance:g}".replace(".", ",")
    signature = document.tables[-1].rows[0].cells[-1].text
    assert "T/M BAN THƯỜNG VỤ" in signature
    # The XLSX holds every table.
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(periodic_xlsx(board)))
    assert len(book.sheet_names) == len(board.tables())


def test_numbers_follow_the_term_and_a_period_keeps_its_number(cast: dict[str, User]) -> None:
    root = Unit.objects.get(code="LV")
    first = reserve(root, parse("2026-H1"), None)
    second = reserve(root, parse("2026"), None)
    again = reserve(root, parse("2026-H1"), None)
    assert (first.serial, second.serial, again.pk) == (1, 2, first.pk)
    commune = reserve(Unit.objects.get(code="X001"), parse("2026"), None)
    assert number_of(commune) == "Số 1-BC/ĐU"


def test_the_command_writes_the_report(tmp_path: Path, cast: dict[str, User]) -> None:
    out, figures_file = tmp_path / "bc.docx", tmp_path / "bc.xlsx"
    call_command(
        "report", "periodic", "--unit", "X001", "--period", "2026", "-o", str(out),
        "--xlsx", str(figures_file), stdout=io.StringIO(),
    )  # fmt: skip
    assert "ĐẢNG ỦY XÃ" in read(out.read_bytes()).tables[0].rows[0].cells[0].text
    assert figures_file.stat().st_size > 0
    with pytest.raises(CommandError):
        call_command("report", "periodic", "--unit", "X001", "--period", "2026-H7", "-o", str(out))
    with pytest.raises(CommandError):
        call_command(
            "report", "periodic", "--unit", "X002", "--period", "2026", "-o", str(out),
            "--as", "uyvien1",
        )  # fmt: skip


def test_the_web_writes_the_report_in_the_background(
    client_for, django_capture_on_commit_callbacks
) -> None:
    client = client_for("uyvien1")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/units/X001/reports/", {"period": "2026-H1"})
    assert response.status_code == 302
    report = PeriodicReport.objects.get()
    assert report.state == "done"  # the tests run tasks at once
    status = client.get(response["Location"])
    assert "Số 1-BC/ĐU" in status.content.decode()
    download = client.get(f"/reports/{report.pk}/docx/")
    content = b"".join(download.streaming_content)
    assert "ĐẢNG ỦY XÃ" in read(content).tables[0].rows[0].cells[0].text
    assert client_for("bithu2").get(f"/reports/{report.pk}/docx/").status_code == 404
    bad = client.post("/units/X001/reports/", {"period": "sáu tháng"})
    assert bad.status_code == 200
    assert PeriodicReport.objects.count() == 1


def test_libreoffice_converts_the_report(tmp_path: Path, cast: dict[str, User]) -> None:
    """The report opens in LibreOffice, as in the offices that have no Word, and prints."""
    require_docx_to_pdf()
    board = board_for(cast["admin"])
    source = tmp_path / "bao-cao.docx"
    source.write_bytes(
        periodic_docx(board, number="Số 1-BC/TU", date=D(2026, 6, 15), place="Lâm Viên")
    )
    pdf = convert(source, "pdf:writer_pdf_Export", tmp_path).read_bytes()
    assert pdf.startswith(b"%PDF")
    assert re.findall(rb"/Type\s*/Page\b", pdf)  # at least one page laid out


@pytest.mark.skipif(
    not {"MS Word 2007 XML", "writer_png_Export"} <= FILTERS,
    reason="no LibreOffice here that reads DOCX and writes PNG",
)
def test_libreoffice_shows_the_reports_first_page(tmp_path: Path, cast: dict[str, User]) -> None:
    """The first page as an image beside the other screenshots, for a reviewer's eye."""
    board = board_for(cast["admin"])
    source = tmp_path / "bao-cao.docx"
    source.write_bytes(
        periodic_docx(board, number="Số 1-BC/TU", date=D(2026, 6, 15), place="Lâm Viên")
    )
    png = convert(source, "png:writer_png_Export", tmp_path)
    assert png.read_bytes().startswith(b"\x89PNG")
    SHOTS.mkdir(exist_ok=True)
    shutil.copy(png, SHOTS / "periodic-report-page1.png")


def test_pages_are_numbered_from_the_second(cast: dict[str, User]) -> None:
    board = board_for(cast["admin"])
    document = read(periodic_docx(board, number="Số 1-BC/TU", date=D(2026, 6, 15), place="X"))
    section = document.sections[0]
    assert section.different_first_page_header_footer
    assert 'w:instr="PAGE"' in section.footer._element.xml
    assert "PAGE" not in section.first_page_footer._element.xml
