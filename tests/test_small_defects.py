"""The smaller defects a secretary met on a phone (issue 22), each kept fixed: file names of
downloads, material breadcrumbs, percentages in Vietnamese, people by their names, the QR
code of an approved meeting, and the minutes PDF in one font with unbroken names."""

from __future__ import annotations

import re
import zlib
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import translation

from chibo.content import services as content_services
from chibo.content.models import MaterialKind
from chibo.lib.display import format_percent, person
from chibo.lib.downloads import content_disposition, file_name
from chibo.lib.history import history_entries
from chibo.meetings import documents, services
from chibo.meetings.models import AttendanceStatus
from chibo.members.models import Member
from chibo.orgs.models import Unit
from chibo.scoring import engine
from tests.factories import PDF, complete, planned, this_month

pytestmark = pytest.mark.django_db


# --- downloads keep their whole Vietnamese name ------------------------------------------------


def test_a_file_name_keeps_everything_before_a_slash_and_its_vietnamese_letters() -> None:
    name = file_name("Nghị quyết 05/2026", "docx")
    assert name == "Nghị quyết 05-2026.docx"
    header = content_disposition(name)
    assert header == (
        "attachment; filename=\"Nghi quyet 05-2026.docx\"; filename*=UTF-8''"
        + quote("Nghị quyết 05-2026.docx", safe="")
    )
    assert content_disposition("report.csv") == 'attachment; filename="report.csv"'
    assert file_name('a\\b:c*?"<>|\x00d', "pdf") == "a-b-c-d.pdf"
    assert file_name("   ", "pdf") == "tep.pdf"


def test_a_material_downloads_under_its_title(client_for) -> None:
    material = content_services.publish(
        unit=Unit.objects.get(code="LV"),
        kind=MaterialKind.MEETING,
        title="Hướng dẫn 12/2026 về sinh hoạt chi bộ",
        summary="",
        month=this_month(),
        topic="",
        file=SimpleUploadedFile("x.pdf", PDF),
        file_type="pdf",
        cells=[],
        by=None,
    )
    response = client_for("dangvien1").get(f"/materials/{material.pk}/file/")
    assert response.status_code == 200
    expected = quote("Hướng dẫn 12-2026 về sinh hoạt chi bộ.pdf", safe="")
    assert f"filename*=UTF-8''{expected}" in response["Content-Disposition"]
    assert 'filename="Huong dan 12-2026 ve sinh hoat chi bo.pdf"' in response["Content-Disposition"]


def test_the_minutes_download_under_the_cells_name_and_date(client_for) -> None:
    meeting = complete(planned())
    response = client_for("bithu1").get(f"/meetings/{meeting.pk}/minutes.docx")
    assert response.status_code == 200
    name = f"Biên bản {meeting.unit.name} 05-03-2026.docx"
    assert f"filename*=UTF-8''{quote(name, safe='')}" in response["Content-Disposition"]


# --- a material's breadcrumb leads somewhere the reader may go ---------------------------------


class Breadcrumb(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "p" and values.get("class") == "breadcrumb":
            self.inside = True
        elif tag == "a" and self.inside and values.get("href"):
            self.links.append(str(values["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self.inside = False


@pytest.mark.parametrize("username", ["dangvien1", "bithu1", "bantochuc"])
def test_every_breadcrumb_link_of_a_material_opens_for_its_reader(client_for, username) -> None:
    material = content_services.publish(
        unit=Unit.objects.get(code="LV"),
        kind=MaterialKind.MEETING,
        title="Tài liệu của tỉnh",
        summary="",
        month=this_month(),
        topic="",
        file=SimpleUploadedFile("x.pdf", PDF),
        file_type="pdf",
        cells=[],
        by=None,
    )
    client = client_for(username)
    page = client.get(material.get_absolute_url())
    assert page.status_code == 200
    parser = Breadcrumb()
    parser.feed(page.content.decode())
    assert parser.links, "the breadcrumb links somewhere"
    for link in parser.links:
        assert client.get(link).status_code == 200, link


# --- percentages: one decimal, the reader's number format --------------------------------------


def test_percentages_read_with_a_decimal_comma_in_vietnamese_and_a_point_in_english() -> None:
    template = Template("{% load display %}{{ v|percent }}|{{ none|percent }}")
    with translation.override("vi"):
        assert format_percent(90.0) == "90,0\u00a0%"
        assert template.render(Context({"v": 14.8, "none": None})) == "14,8\u00a0%|—"
    with translation.override("en"):
        assert format_percent(90.0) == "90.0%"


def test_a_share_under_the_threshold_never_reads_as_the_threshold() -> None:
    """4 speakers of 27 present is 14.8 %: 3b gives 0 points and must not say "15%"."""
    with translation.override("vi"):
        assert engine._pct(4 / 27) == "14,8\u00a0%"


def test_the_dashboard_shows_rates_in_vietnamese(client_for) -> None:
    complete(planned())
    page = client_for("bithu1").get("/units/X001.01/dashboard/?period=2026").content.decode()
    rates = re.findall(r"<strong>([^<]*%)</strong>", page)
    assert rates, "the dashboard shows rates"
    for rate in rates:
        assert rate == "—" or re.fullmatch(r"\d+,\d\u00a0%", rate), rate


# --- people by their names ---------------------------------------------------------------------


def test_demo_accounts_and_history_show_full_names(cast) -> None:
    for username in ("uyvien1", "bithu1", "dangvien1"):
        user = cast[username]
        member = Member.objects.get(user=user)
        assert person(user) == member.full_name
    for committee in User.objects.filter(username__contains=".cu"):
        assert person(committee) != committee.username
    assert person(None) == "—"
    meeting = complete(planned())
    meeting.history.update(history_user=cast["bithu1"])
    entries = history_entries(list(meeting.history.select_related("history_user")))
    assert entries
    assert all(entry.who == person(cast["bithu1"]) for entry in entries)


# --- the QR code of an approved meeting --------------------------------------------------------


def test_scanning_an_approved_meetings_code_says_it_is_closed_and_shows_ones_attendance(
    client_for,
) -> None:
    meeting = complete(planned())
    services.approve_minutes(meeting=meeting, by=None)
    member = Member.objects.get(user__username="dangvien1")
    before = meeting.attendance.get(member=member)
    assert before.status == AttendanceStatus.PRESENT
    url = f"/meetings/{meeting.pk}/checkin/{meeting.checkin_code}/"
    client = client_for("dangvien1")
    for response in (client.get(url), client.post(url)):
        assert response.status_code == 200
        page = response.content.decode()
        assert "biên bản đã được thông qua" in page
        assert "sửa đổi" not in page.lower()  # no amendment to write
        assert "I am here" not in page
        assert "Tôi có mặt" not in page
        assert str(AttendanceStatus.PRESENT.label) in page
    after = meeting.attendance.get(member=member)
    assert (after.status, after.checked_in_at) == (before.status, before.checked_in_at)


# --- the minutes PDF: one font, names kept whole -----------------------------------------------


def fonts_of(pdf: bytes) -> set[str]:
    text = pdf
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            text += zlib.decompress(match.group(1))
        except zlib.error:
            continue
    return {name.decode() for name in re.findall(rb"/BaseFont\s*/([A-Za-z0-9+_-]+)", text)}


def test_the_minutes_pdf_is_set_in_the_one_vendored_font_and_keeps_names_whole() -> None:
    meeting = complete(planned())
    data = documents.minutes_data(meeting)
    try:
        pdf = documents.minutes_pdf(data)
    except documents.PdfUnavailableError:
        pytest.skip("WeasyPrint cannot run here")
    fonts = fonts_of(pdf)
    assert fonts
    one_family = re.compile(r"([A-Z]{6}\+)?Chibo-Serif(-Bold|-Italic|-BoldItalic)?")
    assert all(one_family.fullmatch(font) for font in fonts), fonts
    page = render_to_string(
        "meetings/minutes_print.html", {"data": data, "family": "x", "vn_date": ""}
    )
    assert f'<div class="name">{data.secretary}</div>' in page
    assert ".signatures .name { margin-top: 4em; white-space: nowrap; }" in page
