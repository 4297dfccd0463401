"""The statistics the plan and the Central ask for: secretaries also village or residential-
group head or head of the Front work committee (over village and residential cells only),
the attendance of assigned upper-level members per member, and the key figures beside the
same period last year, on the dashboard and in the periodic report."""

from __future__ import annotations

import io

import docx
import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from chibo.development.models import Candidate, Stage
from chibo.meetings import services
from chibo.meetings.models import Meeting
from chibo.members.models import Post, PostKind
from chibo.orgs.models import CellType, Unit
from chibo.reports import figures
from chibo.reports.periodic import periodic_docx, periodic_xlsx
from chibo.reports.periods import parse
from chibo.supervision.models import Visit, VisitSource, VisitState, WeakCell, WeakSource, WeakState
from tests.factories import D, complete, planned

pytestmark = pytest.mark.django_db

TODAY = D(2026, 11, 26)
NBSP = "\u00a0"


@pytest.fixture(autouse=True)
def _cells_open_since_2020(db: None) -> None:
    """The demo's cells open in July 2025: here they held meetings a year before too."""
    Unit.objects.cells().update(active_from=D(2020, 1, 1))


def summary_of(dashboard: figures.Dashboard) -> dict[str, object]:
    with translation.override("en"):
        return dict(dashboard.tables()["summary"][2])


def board(user: User, code: str, period: str, today: D = TODAY) -> figures.Dashboard:
    return figures.build(user, Unit.objects.get(code=code), parse(period), today=today)


def secretary(code: str) -> Post:
    post: Post = Post.objects.get(unit__code=code, kind=PostKind.SECRETARY, ended_on__isnull=True)
    return post


def test_the_village_and_front_head_rates_count_village_and_residential_cells_only(
    cast: dict[str, User],
) -> None:
    commune = Unit.objects.get(code="X001")
    cells = Unit.objects.cells().filter(path__startswith=commune.path)
    cells.update(cell_type=CellType.AGENCY)
    Unit.objects.filter(code="X001.01").update(cell_type=CellType.VILLAGE)
    Unit.objects.filter(code__in=["X001.02", "X001.03"]).update(cell_type=CellType.RESIDENTIAL)
    Post.objects.filter(unit__in=cells).update(also_village_head=False, also_front_head=False)
    Post.objects.filter(pk=secretary("X001.01").pk).update(
        also_village_head=True, also_front_head=True
    )
    Post.objects.filter(pk=secretary("X001.02").pk).update(also_front_head=True)
    # An agency's secretary marked village head counts in neither figure.
    Post.objects.filter(pk=secretary("X001.04").pk).update(also_village_head=True)
    s = board(cast["admin"], "X001", "2026").secretaries
    assert s["n"] == cells.count()
    assert s["residential"] == 3
    assert (s["village_head_n"], s["village_head"]) == (1, 33.3)
    assert (s["front_head_n"], s["front_head"]) == (2, 66.7)
    assert s["either"] == 66.7
    summary = summary_of(board(cast["admin"], "X001", "2026"))
    assert summary["Secretaries of village and residential-group cells"] == 3
    assert summary["of whom also head of the Front work committee"] == 2
    # A filter to agencies leaves no village cell: no rate rather than 0 %.
    agencies = figures.build(
        cast["admin"], commune, parse("2026"), figures.Filters(cell_type="agency"), today=TODAY
    )
    assert agencies.secretaries["residential"] == 0
    assert agencies.secretaries["village_head"] is None


def visit(meeting: Meeting, user: User, state: str) -> Visit:
    return Visit.objects.create(meeting=meeting, user=user, source=VisitSource.MANUAL, state=state)


def person(username: str, first: str, last: str) -> User:
    return User.objects.create_user(username, first_name=first, last_name=last)


def test_assigned_upper_level_members_attendance_per_member(cast: dict[str, User]) -> None:
    an, binh = person("t_an", "Lê Văn", "An"), person("t_binh", "Trần Thị", "Bình")
    chi = person("t_chi", "", "")
    jan, feb = planned("X001.01", day=D(2026, 1, 8)), planned("X001.02", day=D(2026, 2, 9))
    mar = planned("X001.01", day=D(2026, 3, 5))
    complete(jan), complete(feb), complete(mar)
    visit(jan, an, VisitState.DONE)
    visit(feb, an, VisitState.DONE)
    visit(mar, an, VisitState.MISSED)
    visit(jan, binh, VisitState.MISSED)
    visit(feb, binh, VisitState.PLANNED)  # never recorded
    visit(mar, chi, VisitState.DONE)
    # A cancelled meeting owes no visit; a month not ended yet is not counted; another
    # commune's meeting is not in this dashboard.
    cancelled = planned("X001.02", day=D(2026, 3, 20))
    services.cancel_meeting(meeting=cancelled, reason="Bão", by=None)
    visit(cancelled, binh, VisitState.PLANNED)
    visit(planned("X001.01", day=D(2026, 11, 27)), binh, VisitState.PLANNED)
    visit(planned("X002.01", day=D(2026, 3, 6)), binh, VisitState.MISSED)

    dashboard = board(cast["admin"], "X001", "2026")
    rows = [(v.name, v.assigned, v.attended, v.missed, v.unrecorded, v.rate) for v in
            dashboard.visitors]  # fmt: skip
    assert rows == [
        ("Trần Thị Bình", 2, 0, 1, 1, 0.0),
        ("Lê Văn An", 3, 2, 1, 0, 66.7),
        ("t_chi", 1, 1, 0, 0, 100.0),
    ]
    total = dashboard.visits
    assert (total.assigned, total.attended, total.missed, total.rate) == (6, 3, 2, 50.0)
    _title, headers, table = dashboard.tables()["visitors"]
    assert len(headers) == 6
    assert table[-1] == [total.name, 6, 3, 2, 1, 50.0]
    summary = summary_of(dashboard)
    assert summary["Upper-level members' visits attended (%)"] == 50.0
    # The province counts the other commune's visit too.
    province = board(cast["admin"], "LV", "2026")
    assert province.visits.assigned == 7
    # The cell's secretary sees the visits to their own cell only.
    own = board(cast["bithu1"], "X001", "2026")
    assert {(v.name, v.assigned) for v in own.visitors} == {
        ("Lê Văn An", 2), ("Trần Thị Bình", 1), ("t_chi", 1)
    }  # fmt: skip


def test_the_dashboard_lists_the_members_who_attended_least(client_for, cast) -> None:
    meetings = [planned("X001.01", day=D(2026, 1, 8)), planned("X001.02", day=D(2026, 2, 9))]
    for i in range(figures.VISITORS_SHOWN + 2):
        user = person(f"t_u{i:02d}", "Người", f"Dự {i:02d}")
        visit(meetings[0], user, VisitState.DONE if i % 2 else VisitState.MISSED)
        visit(meetings[1], user, VisitState.DONE)
    client = client_for("admin")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    page = client.get("/units/X001/dashboard/?period=2026").content.decode()
    assert "Cấp ủy viên cấp trên được phân công dự sinh hoạt" in page
    shown = [name for name in (f"Người Dự {i:02d}" for i in range(22)) if name in page]
    # Those who attended half their visits come first: all eleven, then nine of the rest.
    assert len(shown) == figures.VISITORS_SHOWN
    assert all(f"Người Dự {i:02d}" in shown for i in range(0, 22, 2))
    csv = client.get("/units/X001/dashboard/visitors.csv?period=2026").content.decode("utf-8-sig")
    assert len(csv.splitlines()) == 1 + 22 + 1  # the header, every member, the total


def test_the_key_figures_beside_the_same_period_last_year(cast: dict[str, User]) -> None:
    from chibo.scoring.classification import rate

    complete(planned("X001.01", day=D(2026, 1, 8)))
    complete(planned("X001.02", day=D(2026, 3, 5)))
    complete(planned("X001.01", day=D(2025, 2, 6)))
    cell = Unit.objects.get(code="X001.01")
    rate(unit=cell, year=2026, step="self", level="good", by=None)
    rate(unit=cell, year=2025, step="self", level="completed", by=None)
    Candidate.objects.create(
        unit=cell, full_name="Hà Thị Lan", gender="female", birth_date=D(1995, 1, 1),
        listed_on=D(2024, 1, 1), stage=Stage.ADMITTED, dates={"admitted": "2025-03-01"},
        admitted_on=D(2025, 3, 1),
    )  # fmt: skip
    WeakCell.objects.create(
        unit=Unit.objects.get(code="X001.03"), year=2025, source=WeakSource.COMMUNE,
        state=WeakState.CLOSED, listed_on=D(2025, 1, 10), closed_on=D(2025, 12, 20),
    )  # fmt: skip
    dashboard = board(cast["admin"], "X001", "2026-Q1")
    previous = dashboard.previous
    assert previous is not None
    assert previous.period.code == "2025-Q1"
    assert previous.previous is None  # one year back only
    compared = dashboard.compared
    assert (compared["meetings"].now, compared["meetings"].before) == (2, 1)
    assert compared["meetings"].change == 1
    n = dashboard.cells
    now, before = figures.rate(2, 3 * n), figures.rate(1, 3 * n)
    assert now is not None
    assert before is not None
    assert (compared["compliance"].now, compared["compliance"].before) == (now, before)
    assert compared["compliance"].change == round(now - before, 1)
    assert (compared["attendance"].now, compared["attendance"].before) == (100.0, 100.0)
    assert (compared["cells_good"].now, compared["cells_good"].before) == (100.0, 0.0)
    assert (compared["cells_completed"].now, compared["cells_completed"].before) == (0.0, 100.0)
    assert (compared["admitted"].now, compared["admitted"].before) == (0, 1)
    assert (compared["weak"].now, compared["weak"].before) == (0, 1)
    # Last year's figures are those of last year's own dashboard (the same code).
    alone = figures.build(
        cast["admin"], Unit.objects.get(code="X001"), parse("2025-Q1"), today=D(2025, 11, 26),
        compare=False,
    )  # fmt: skip
    assert [c.before for c in dashboard.comparison()] == [v for *_k, v, _p in alone.key_figures()]
    _title, headers, rows = dashboard.tables()["comparison"]
    assert len(headers) == 4
    assert rows[0][1:] == [2, 1, 1]


def test_a_period_still_running_is_compared_with_the_same_stretch_of_last_year(
    cast: dict[str, User],
) -> None:
    complete(planned("X001.01", day=D(2025, 2, 6)))
    complete(planned("X001.01", day=D(2025, 3, 6)))  # after the same day last year
    dashboard = board(cast["admin"], "X001", "2026", today=D(2026, 3, 10))
    previous = dashboard.previous
    assert previous is not None
    assert previous.period.code == "2025-01-01..2025-03-10"
    assert previous.months == [D(2025, 1, 1), D(2025, 2, 1)]
    assert len(dashboard.months) == 2
    assert dashboard.compared["meetings"].before == 1
    # 29 February has its 28 February a year before.
    assert parse("2028-02-29..2028-03-31").year_before().start == D(2027, 2, 28)


def test_a_comparison_reads_in_the_readers_language() -> None:
    rate = figures.Compared("x", "x", 85.2, 80.1, True)
    assert rate.text("vi") == f"85,2{NBSP}% (cùng kỳ 80,1{NBSP}%, +5,1)"
    assert rate.text("en") == "85.2% (same period last year 80.1%, +5.1)"
    assert figures.Compared("x", "x", 3, 5, False).since("vi") == "cùng kỳ 5, -2"
    assert figures.Compared("x", "x", 3, None, False).since("vi") == "cùng kỳ —"


def test_the_periodic_report_has_the_new_figures_and_tables(cast: dict[str, User]) -> None:
    an = person("t_an", "Lê Văn", "An")
    meeting = complete(planned("X001.01", day=D(2026, 3, 5)))
    visit(meeting, an, VisitState.DONE)
    complete(planned("X001.01", day=D(2025, 3, 5)))
    Post.objects.filter(pk=secretary("X001.01").pk).update(also_front_head=True)
    dashboard = board(cast["admin"], "LV", "2026-H1")
    document = docx.Document(
        io.BytesIO(periodic_docx(dashboard, number="Số 1-BC/TU", date=D(2026, 6, 15), place="X"))
    )
    texts = "\n".join(p.text for p in document.paragraphs)
    assert "cùng kỳ" in texts
    assert "kiêm trưởng ban công tác Mặt trận" in texts
    assert "PHỤ LỤC" in texts
    headers = [[c.text for c in t.rows[0].cells] for t in document.tables]
    comparison = next(h for h in headers if any(x.startswith("Cùng kỳ năm trước") for x in h))
    assert len(comparison) == 4
    appendix = document.tables[-1]
    assert [c.text for c in appendix.rows[1].cells][:3] == ["Lê Văn An", "1", "1"]
    assert appendix.rows[-1].cells[0].text == "Tổng cộng"
    xlsx = periodic_xlsx(dashboard)
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(xlsx))
    assert len(book.sheet_names) == len(dashboard.tables()) == 6


def test_the_dashboard_stays_flat_with_visits_and_last_years_records(client_for) -> None:
    client = client_for("bantochuc")

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    urls = [
        "/units/LV/dashboard/?period=2026",
        "/units/X001/dashboard/?period=2026-H1",
        "/units/LV/dashboard/visitors.xlsx?period=2026",
        "/units/LV/dashboard/comparison.csv?period=2026",
    ]
    first = complete(planned("X001.01", day=D(2026, 3, 5)))
    visit(first, person("t_a", "A", "A"), VisitState.DONE)
    before = [queries(url) for url in urls]
    for i, code in enumerate(["X001.02", "X002.01", "X002.02"]):
        meeting = complete(planned(code, day=D(2026, 4, 6)))
        last_year = complete(planned(code, day=D(2025, 4, 6)))
        for j in range(3):
            user = person(f"t_{i}_{j}", "B", f"{i}{j}")
            visit(meeting, user, VisitState.MISSED)
            visit(last_year, user, VisitState.DONE)
    WeakCell.objects.create(
        unit=Unit.objects.get(code="X002.03"), year=2026, source=WeakSource.COMMUNE,
        state=WeakState.LISTED, listed_on=D(2026, 1, 10),
    )  # fmt: skip
    assert [queries(url) for url in urls] == before
