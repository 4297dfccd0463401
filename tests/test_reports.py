"""Dashboards: figures equal to what the meeting records say, flat queries, exports,
filters and access; periods."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from chibo.content import services as content_services
from chibo.meetings import services
from chibo.meetings.models import Attendance, AttendanceStatus, MeetingKind
from chibo.orgs.models import Unit
from chibo.reports import figures
from chibo.reports.periods import PeriodError, parse
from tests.factories import PDF, D, complete, grow_cell, planned

pytestmark = pytest.mark.django_db

TODAY = D(2026, 11, 26)


def test_periods() -> None:
    assert parse("2026-H1").end == D(2026, 6, 15)
    assert parse("2026").end == D(2026, 12, 31)
    assert parse("2026-Q3").start == D(2026, 7, 1)
    assert parse("2026-02").end == D(2026, 2, 28)
    custom = parse("2026-01-10..2026-03-05")
    assert [m.month for m in custom.months()] == [1, 2, 3]
    # Months still running do not count yet.
    assert [m.month for m in parse("2026").months(TODAY)] == list(range(1, 11))
    for bad in ("2026-H3", "26", "2026-13", "2026-05-01..2026-04-01"):
        with pytest.raises(PeriodError):
            parse(bad)


def held(code: str, day: D, kind: str = MeetingKind.REGULAR, level: str = "") -> None:
    meeting = complete(planned(code=code, kind=kind, day=day))
    if level:
        services.set_quality_level(meeting=meeting, level=level)


def test_the_dashboard_matches_the_meeting_records(cast: dict[str, User]) -> None:
    held("X001.01", D(2026, 3, 5), MeetingKind.COMBINED, "tot")
    held("X001.01", D(2026, 4, 5), level="kha")
    held("X002.01", D(2026, 3, 6), level="kem")
    root = Unit.objects.get(code="LV")
    board = figures.build(
        cast["admin"],
        root,
        parse("2026-01-01..2026-04-30"),
        today=TODAY,
    )
    cells = Unit.objects.cells().count()
    assert board.cells == cells
    assert board.total.regular == 3
    assert board.total.months == cells * 4
    rows = Attendance.objects.exclude(
        status__in=[AttendanceStatus.EXEMPTED, AttendanceStatus.ATTACHED_ELSEWHERE]
    ).filter(attached_from_elsewhere=False)
    assert board.total.sums["expected"] == rows.count()
    assert board.total.sums["present"] == rows.count()  # complete() marks everyone present
    march = board.by_month[2]
    assert march.levels == [1, 0, 0, 1]
    assert board.thematic_done == 1
    communes = {row.label: row for row in board.children}
    x001 = next(row for row in communes.values() if row.url_code == "X001")
    assert x001.regular == 2
    assert x001.levels == [1, 1, 0, 0]
    # The commune's own dashboard has the same figures as its row above.
    commune = figures.build(cast["admin"], Unit.objects.get(code="X001"), board.period, today=TODAY)
    assert commune.total.regular == x001.regular
    assert commune.total.sums == x001.sums


def test_the_table_of_units_below_shows_their_figures_in_the_readers_language(
    cast: dict[str, User], client_for
) -> None:
    held("X001.01", D(2026, 3, 5), MeetingKind.COMBINED, "tot")
    held("X001.01", D(2026, 4, 5), level="kha")
    period = "2026-01-01..2026-04-30"
    board = figures.build(cast["admin"], Unit.objects.get(code="LV"), parse(period), today=TODAY)
    client = client_for("admin")
    for language, decimal in (("vi", ","), ("en", ".")):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        page = client.get(f"/units/LV/dashboard/?period={period}").content.decode()
        body = page[page.index("<tbody>", page.index("T / K / TB / Kém")) :]
        rows = re.findall(r"<tr>(.*?)</tr>", body[: body.index("</tbody>")])
        assert len(rows) == len(board.children)
        for row, figures_row in zip(rows, board.children, strict=True):
            cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
            link = f'<a href="/units/{figures_row.url_code}/dashboard/?period={period}">'
            assert cells[0] == f"{link}{escape(figures_row.label)}</a>"
            assert cells[1] == str(figures_row.cells)
            for shown, value in zip(
                cells[2:5],
                (figures_row.compliance, figures_row.attendance, figures_row.upper),
                strict=True,
            ):
                assert shown == ("—" if value is None else str(value).replace(".", decimal))
            assert cells[5] == " / ".join(str(n) for n in figures_row.levels)
        x001 = rows[[r.url_code for r in board.children].index("X001")]
        assert "1 / 1 / 0 / 0" in x001
        assert f"100{decimal}0" in x001  # attendance: everyone present
        # A commune without a meeting in the period: no attendance rate to show.
        assert any("<td>—</td>" in row for row in rows)


def test_uyvien1_sees_only_commune_1(cast: dict[str, User], client_for) -> None:
    held("X001.01", D(2026, 3, 5))
    held("X002.01", D(2026, 3, 6))
    board = figures.build(
        cast["uyvien1"], Unit.objects.get(code="X001"), parse("2026"), today=TODAY
    )
    assert board.total.regular == 1
    assert client_for("uyvien1").get("/units/LV/dashboard/").status_code == 404
    assert client_for("uyvien1").get("/units/X002/dashboard/").status_code == 404


def test_filters_narrow_the_cells(cast: dict[str, User]) -> None:
    Unit.objects.filter(code="X001.01").update(is_weak=True)
    board = figures.build(
        cast["admin"],
        Unit.objects.get(code="LV"),
        parse("2026"),
        figures.Filters(flag="weak"),
        today=TODAY,
    )
    assert board.cells == 1


def test_the_dashboard_and_its_exports_use_flat_queries(client_for) -> None:
    held("X001.01", D(2026, 3, 5))
    client = client_for("bantochuc")

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured)

    urls = [
        "/units/LV/dashboard/?period=2026",
        "/units/X001/dashboard/?period=2026",
        "/units/X001.01/dashboard/?period=2026",
        "/units/LV/dashboard/units.xlsx?period=2026",
        "/units/LV/dashboard/months.csv?period=2026",
    ]
    # One material to start with: without any, the count of those opened needs no query.
    content_services.publish(
        unit=Unit.objects.get(code="LV"), kind="meeting", title="Tài liệu", summary="",
        month=D(2026, 3, 1), topic="", file=SimpleUploadedFile("t.pdf", PDF),
        file_type="pdf", cells=[], by=None,
    )  # fmt: skip
    before = [queries(url) for url in urls]
    grow_cell("X001.01", 4)
    parent = Unit.objects.get(code="X002")
    kind = Unit.objects.get(code="X002.01").kind
    Unit.objects.add_child(parent, instance=Unit(code="X002.88", name="Chi bộ thôn Mới", kind=kind))
    held("X002.01", D(2026, 4, 6), level="kha")
    held("X001.01", D(2026, 4, 5), level="tot")
    # Materials from more units below, a topic taken up, regulations: no more queries.
    for code in ("X001", "X002", "X001.01"):
        content_services.publish(
            unit=Unit.objects.get(code=code), kind="meeting", title="Tài liệu", summary="",
            month=D(2026, 4, 1), topic="", file=SimpleUploadedFile("t.pdf", PDF),
            file_type="pdf", cells=[], by=None,
        )  # fmt: skip
    content_services.adopt_regulation(
        unit=Unit.objects.get(code="X001.01"), adopted_on=D(2026, 1, 5), notes="", by=None,
        file=SimpleUploadedFile("q.pdf", PDF), file_type="pdf",
    )  # fmt: skip
    assert [queries(url) for url in urls] == before


def test_a_csv_export_holds_the_table(client_for) -> None:
    held("X001.01", D(2026, 3, 5))
    response = client_for("bantochuc").get("/units/LV/dashboard/months.csv?period=2026-Q1")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 4  # the header and three months
    assert lines[3].startswith("03/2026")


def test_the_dashboard_counts_weak_cells_and_the_years_classification(
    cast: dict[str, User],
) -> None:
    from chibo.scoring.classification import rate
    from tests.factories import rate_members

    Unit.objects.filter(code__in=["X001.01", "X002.01"]).update(is_weak=True)
    cell, other = Unit.objects.get(code="X001.01"), Unit.objects.get(code="X002.01")
    # A cell that held no meeting can only be "did not complete tasks" (ANNUAL-6).
    held("X001.01", D(2026, 3, 5))
    held("X002.01", D(2026, 3, 6))
    rate(unit=cell, year=2026, step="self", level="good", by=None)
    rate(unit=other, year=2026, step="self", level="completed", by=None)
    rate_members(cell, ["good", "completed", "good"])
    province = figures.build(cast["admin"], Unit.objects.get(code="LV"), parse("2026"), today=TODAY)
    assert province.cells == Unit.objects.cells().count()
    assert province.weak_cells == 2
    assert province.classification == {
        "cells": {"good": 1, "completed": 1},
        "members": {"good": 2, "completed": 1},
    }
    commune_unit = Unit.objects.get(code="X001")
    x001 = next(row for row in province.children if row.url_code == "X001")
    assert x001.cells == Unit.objects.cells().filter(path__startswith=commune_unit.path).count()
    commune = figures.build(cast["admin"], commune_unit, parse("2026"), today=TODAY)
    assert (commune.cells, commune.weak_cells) == (x001.cells, 1)
    assert commune.classification == {
        "cells": {"good": 1},
        "members": {"good": 2, "completed": 1},
    }
    own = figures.build(cast["admin"], cell, parse("2026"), today=TODAY)
    assert (own.cells, own.weak_cells, own.children) == (1, 1, [])
