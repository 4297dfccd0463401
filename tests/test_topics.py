"""The yearly thematic orientation: topics oriented by a unit for the cells below it, cells
adopting them into their quarterly thematic meetings, and the coverage per cell and quarter."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext

from chibo.content import figures, services
from chibo.content.models import ThematicTopic, TopicAdoption
from chibo.meetings import stats
from chibo.meetings.models import Meeting, MeetingState
from chibo.meetings.services import plan_meeting
from chibo.orgs.models import Unit

pytestmark = pytest.mark.django_db

YEAR = 2026


def topic(code: str, title: str = "Chuyên đề", quarter: int | None = None) -> ThematicTopic:
    return services.save_topic(
        topic=None,
        unit=Unit.objects.get(code=code),
        data={"year": YEAR, "title": title, "guidance": "Gợi ý", "hcm_content": "Học Bác",
              "quarter": quarter},
        by=None,
    )  # fmt: skip


def thematic(code: str, month: int, kind: str = "thematic", state: str = "") -> Meeting:
    meeting = plan_meeting(
        unit=Unit.objects.select_related("kind").get(code=code),
        kind=kind,
        scheduled_at=datetime.datetime(YEAR, month, 20, 8, tzinfo=datetime.UTC),
        place="Hội trường",
        by=None,
        topic="Chuyên đề của chi bộ",
    )
    if state:
        Meeting.objects.filter(pk=meeting.pk).update(state=state)
        meeting.refresh_from_db()
        stats.refresh(meeting)
    return meeting


def test_propaganda_staff_orient_topics_numbered_per_year(tuyengiao, client_for) -> None:
    client = Client()
    client.force_login(tuyengiao)
    for title in ("Tự phê bình và phê bình", "Phát triển đảng viên"):
        response = client.post(
            f"/units/LV/topics/?year={YEAR}",
            {"year": YEAR, "title": title, "quarter": "2", "guidance": "", "hcm_content": "x"},
        )
        assert response.status_code == 302
    numbers = list(
        ThematicTopic.objects.filter(unit__code="LV", year=YEAR).values_list("number", "quarter")
    )
    assert numbers == [(1, 2), (2, 2)]
    # A refused form writes nothing: no title, a quarter out of range.
    before = ThematicTopic.objects.count()
    response = client.post(f"/units/LV/topics/?year={YEAR}", {"year": YEAR, "quarter": "7"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"title", "quarter"}
    assert ThematicTopic.objects.count() == before
    # Those who may not publish see the topics but get no form and cannot post.
    staff = client_for("bantochuc")  # sees the province, may not publish there
    page = staff.get(f"/units/LV/topics/?year={YEAR}")
    assert page.status_code == 200
    assert page.context["form"] is None
    assert staff.post(f"/units/LV/topics/?year={YEAR}", {"title": "y"}).status_code == 404
    assert client_for("bithu1").post("/units/X001.01/topics/", {"title": "x"}).status_code == 302
    assert not ThematicTopic.objects.filter(title="x").exists()
    # Changing a topic is recorded; one that cells adopted cannot be deleted.
    first = ThematicTopic.objects.get(unit__code="LV", number=1, year=YEAR)
    response = client.post(
        f"/topics/{first.pk}/",
        {
            "title": "Tự phê bình và phê bình (sửa)",
            "quarter": "1",
            "guidance": "",
            "hcm_content": "",
        },
    )
    assert response.status_code == 302
    assert first.history.first().history_user is not None
    services.adopt_topic(
        topic=first, cell=Unit.objects.select_related("kind").get(code="X001.01"), quarter=1,
        meeting=None, by=None,
    )  # fmt: skip
    client.post(f"/topics/{first.pk}/", {"action": "delete"})
    assert ThematicTopic.objects.filter(pk=first.pk).exists()
    second = ThematicTopic.objects.get(unit__code="LV", number=2, year=YEAR)
    client.post(f"/topics/{second.pk}/", {"action": "delete"})
    assert not ThematicTopic.objects.filter(pk=second.pk).exists()


def test_a_topic_reaches_the_cells_below_its_unit_only(client_for) -> None:
    commune = topic("X001", "Chuyên đề của xã 1")
    assert client_for("bithu1").get(f"/topics/{commune.pk}/").status_code == 200
    assert client_for("dangvien1").get(f"/topics/{commune.pk}/").status_code == 200
    assert client_for("bithu2").get(f"/topics/{commune.pk}/").status_code == 404
    assert client_for("outsider").get(f"/topics/{commune.pk}/").status_code == 404
    page = client_for("bithu1").get(f"/units/X001.01/topics/?year={YEAR}")
    assert [row["topic"].pk for row in page.context["rows"]] == [commune.pk]
    page = client_for("bithu2").get(f"/units/X002.01/topics/?year={YEAR}")
    assert page.context["rows"] == []


def test_a_cell_adopts_a_topic_into_its_quarterly_thematic_meeting(client_for) -> None:
    oriented = topic("LV", quarter=2)
    other = topic("LV", "Chuyên đề khác")
    june = thematic("X001.01", 6)
    regular = plan_meeting(
        unit=Unit.objects.select_related("kind").get(code="X001.01"), kind="regular",
        scheduled_at=datetime.datetime(YEAR, 6, 5, 8, tzinfo=datetime.UTC), place="x", by=None,
    )  # fmt: skip
    client = client_for("bithu1")
    url = f"/units/X001.01/topics/?year={YEAR}"

    def post(**data: object) -> object:
        return client.post(url, {"year": YEAR, "action": "adopt", **data})

    # Refused, writing nothing: a meeting of another quarter, a regular meeting, a
    # quarter out of range, a topic of another commune.
    assert post(topic=oriented.pk, quarter=1, meeting=june.pk).status_code == 200  # type: ignore[attr-defined]
    assert post(topic=oriented.pk, quarter=2, meeting=regular.pk).status_code == 200  # type: ignore[attr-defined]
    assert post(topic=oriented.pk, quarter=5).status_code == 200  # type: ignore[attr-defined]
    elsewhere = topic("X002")
    post(topic=elsewhere.pk, quarter=2)
    assert not TopicAdoption.objects.exists()
    # Adopted for quarter 2 and its meeting; the meeting page shows the topic.
    assert post(topic=oriented.pk, quarter=2, meeting=june.pk).status_code == 302  # type: ignore[attr-defined]
    adoption = TopicAdoption.objects.get()
    assert (adoption.unit.code, adoption.quarter, adoption.meeting_id) == ("X001.01", 2, june.pk)
    assert adoption.history.first().history_user.username == "bithu1"
    meeting_page = client_for("dangvien1").get(f"/meetings/{june.pk}/")
    assert "Học Bác" in meeting_page.content.decode()
    # One meeting takes up one oriented topic.
    post(topic=other.pk, quarter=2, meeting=june.pk)
    assert not TopicAdoption.objects.filter(topic=other).exists()
    # Others cannot adopt for the cell.
    client_for("dangvien1").post(url, {"topic": other.pk, "quarter": 2, "action": "adopt"})
    client_for("bithu2").post(url, {"topic": other.pk, "quarter": 2, "action": "adopt"})
    assert not TopicAdoption.objects.filter(topic=other).exists()
    # Approved minutes are final: the topic of that meeting stays.
    Meeting.objects.filter(pk=june.pk).update(state=MeetingState.APPROVED)
    client.post(url, {"topic": oriented.pk, "action": "withdraw"})
    post(topic=oriented.pk, quarter=3)
    adoption.refresh_from_db()
    assert (adoption.quarter, adoption.meeting_id) == (2, june.pk)
    # Before approval it can be moved or withdrawn.
    Meeting.objects.filter(pk=june.pk).update(state=MeetingState.PLANNED)
    assert post(topic=oriented.pk, quarter=3).status_code == 302  # type: ignore[attr-defined]
    adoption.refresh_from_db()
    assert (adoption.quarter, adoption.meeting_id) == (3, None)
    client.post(url, {"topic": oriented.pk, "action": "withdraw"})
    assert not TopicAdoption.objects.exists()


def test_coverage_per_cell_and_quarter() -> None:
    oriented = topic("LV", quarter=1)
    later = topic("LV", "Quý ba", quarter=3)
    cells = {code: Unit.objects.select_related("kind").get(code=code)
             for code in ("X001.01", "X001.02", "X002.01")}  # fmt: skip
    held = thematic("X001.01", 2, state=MeetingState.APPROVED)
    services.adopt_topic(topic=oriented, cell=cells["X001.01"], quarter=1, meeting=held, by=None)
    services.adopt_topic(topic=later, cell=cells["X001.01"], quarter=3, meeting=None, by=None)
    thematic("X001.02", 1, kind="combined", state=MeetingState.HELD)  # a topic of its own
    planned = thematic("X002.01", 8)
    services.adopt_topic(topic=later, cell=cells["X002.01"], quarter=3, meeting=planned, by=None)
    ids = [c.pk for c in cells.values()]
    status = figures.quarter_statuses(ids, YEAR)
    assert status[cells["X001.01"].pk, 1] == figures.ORIENTED
    assert status[cells["X001.01"].pk, 3] == figures.PLANNED
    assert status[cells["X001.02"].pk, 1] == figures.OWN
    assert status[cells["X002.01"].pk, 3] == figures.PLANNED
    assert (cells["X002.01"].pk, 1) not in status
    by_quarter = figures.thematic_by_quarter(Q(unit__path__startswith=""), YEAR)
    assert by_quarter[1] == {"adopted": 1, figures.ORIENTED: 1, "held": 2}
    assert by_quarter[3] == {"adopted": 2, figures.ORIENTED: 0, "held": 0}


def test_the_coverage_page_lists_cells_without_a_thematic_meeting(client_for) -> None:
    oriented = topic("LV", quarter=1)
    cell = Unit.objects.select_related("kind").get(code="X001.01")
    held = thematic("X001.01", 2, state=MeetingState.APPROVED)
    services.adopt_topic(topic=oriented, cell=cell, quarter=1, meeting=held, by=None)
    page = client_for("uyvien1").get(f"/units/X001/topics/?year={YEAR}")
    n_cells = Unit.objects.cells().filter(code__startswith="X001.").count()
    assert page.context["n_cells"] == n_cells
    quarters = dict(page.context["by_quarter"])
    assert quarters[1]["oriented"] == 1
    assert quarters[1]["held"] >= 1
    listed = client_for("uyvien1").get(f"/units/X001/topics/?year={YEAR}&gap=1")
    codes = {row["cell"].code for row in listed.context["rows"]}
    assert "X001.01" not in codes
    assert len(codes) == n_cells - quarters[1]["held"]
    assert [t.adopted for t in page.context["topics"]] == [1]


def test_topic_pages_use_flat_queries(client_for) -> None:
    oriented = topic("LV", quarter=1)
    cell = Unit.objects.select_related("kind").get(code="X001.01")
    services.adopt_topic(topic=oriented, cell=cell, quarter=1, meeting=None, by=None)

    def count(user: str, url: str) -> int:
        client = client_for(user)
        client.get(url)  # warm the per-user caches the same way each time
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    urls = [("admin", f"/units/LV/topics/?year={YEAR}"),
            ("bithu1", f"/units/X001.01/topics/?year={YEAR}")]  # fmt: skip
    before = [count(user, url) for user, url in urls]
    for n in range(4):
        extra = topic("LV", f"Thêm {n}", quarter=n % 4 + 1)
        for code in ("X001.01", "X001.02", "X002.01"):
            unit = Unit.objects.select_related("kind").get(code=code)
            meeting = thematic(code, n * 3 + 1, state=MeetingState.HELD)
            services.adopt_topic(topic=extra, cell=unit, quarter=n + 1, meeting=meeting, by=None)
    assert [count(user, url) for user, url in urls] == before


def test_content_figures_join_the_dashboard_and_the_periodic_report(cast) -> None:
    import io

    import docx
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import translation

    from chibo.content.models import Course
    from chibo.members.models import Post, PostKind
    from chibo.reports import figures as report_figures
    from chibo.reports.periodic import periodic_docx
    from chibo.reports.periods import parse
    from tests.factories import PDF

    today = datetime.date(2026, 11, 26)
    cell = Unit.objects.select_related("kind").get(code="X001.01")
    held = thematic("X001.01", 2, state=MeetingState.APPROVED)
    services.adopt_topic(topic=topic("LV", quarter=1), cell=cell, quarter=1, meeting=held, by=None)

    def material(code: str, cells: tuple[str, ...] = ()) -> object:
        return services.publish(
            unit=Unit.objects.get(code=code), kind="meeting", title="Tài liệu", summary="",
            month=datetime.date(2026, 3, 1), topic="", file=SimpleUploadedFile("t.pdf", PDF),
            file_type="pdf", cells=list(Unit.objects.filter(code__in=cells)), by=None,
        )  # fmt: skip

    from_province = material("LV")
    material("X001")  # reaches every cell of commune 1, opened by none
    elsewhere = material("X002")  # reaches none of commune 1's cells
    services.mark_read(from_province, cast["bithu1"])  # type: ignore[arg-type]
    services.mark_read(from_province, cast["dangvien1"])  # type: ignore[arg-type]  # same cell
    # Opened by someone of commune 1, but not sent there: not counted for commune 1.
    services.mark_read(elsewhere, cast["bithu1"])  # type: ignore[arg-type]
    # Sent to two chosen cells of commune 1: opened by the first one's secretary; the second
    # one's copy is not opened by a read of the first one's.
    chosen = material("X001", ("X001.01", "X001.02"))
    services.mark_read(chosen, cast["bithu1"])  # type: ignore[arg-type]
    services.adopt_regulation(
        unit=cell, adopted_on=datetime.date(2024, 5, 1), notes="", by=None,
        file=SimpleUploadedFile("q.pdf", PDF), file_type="pdf",
    )  # fmt: skip
    secretary = Post.objects.get(unit=cell, kind=PostKind.SECRETARY, ended_on=None).member
    course = Course.objects.create(
        unit=Unit.objects.get(code="LV"), kind="tap_huan", title="Tập huấn bí thư",
        starts_on=datetime.date(2025, 9, 1), ends_on=datetime.date(2025, 9, 3),
    )  # fmt: skip
    course.participants.add(secretary)
    commune = Unit.objects.get(code="X001")
    board = report_figures.build(cast["uyvien1"], commune, parse("2026"), today=today)
    n_cells = board.cells
    assert board.content["oriented_done"] == 1
    assert board.content["materials"] == {"materials": 3, "due": 2 * n_cells + 2, "opened": 2}
    assert board.content["regulations_current"] == 1
    secretaries = Post.objects.filter(
        unit__path__startswith=commune.path, kind=PostKind.SECRETARY, ended_on=None
    ).count()
    assert board.content["secretaries"] == {"n": secretaries, "trained": 1}
    with translation.override("en"):
        summary = {str(k): v for k, v in board.tables()["summary"][2]}
    assert summary["Cells with current working regulations (%)"] == round(100 / n_cells, 1)
    assert summary["Thematic meetings on an oriented topic, by quarter (%)"] == round(
        100 / board.thematic_due, 1
    )
    # Another commune sees its own material only, opened by no one.
    other = report_figures.build(cast["bithu2"], Unit.objects.get(code="X002"), parse("2026"))
    assert other.content["materials"]["opened"] == 0
    assert other.content["oriented_done"] == 0
    content = periodic_docx(board, number="Số 1-BC/ĐU", date=today, place="Lâm Viên")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)
    assert "7. Tài liệu, định hướng chuyên đề, quy chế làm việc, bồi dưỡng bí thư" in text
    assert f"Chi bộ có quy chế làm việc còn hiệu lực: 1/{n_cells}" in text
    assert f"tập huấn trong 2 năm gần đây: 1/{secretaries}" in text


def test_a_meeting_taken_meanwhile_is_a_message_not_an_error() -> None:
    from unittest import mock

    from django.core.exceptions import ValidationError

    first, second = topic("LV"), topic("LV", "Chuyên đề hai")
    cell = Unit.objects.select_related("kind").get(code="X001.01")
    june = thematic("X001.01", 6)
    services.adopt_topic(topic=first, cell=cell, quarter=2, meeting=june, by=None)
    # The check that the meeting is free ran before the other adoption was saved.
    filter_ = TopicAdoption.objects.filter

    def stale(*args: object, **kwargs: object) -> object:
        if "meeting" in kwargs:
            return TopicAdoption.objects.none()
        return filter_(*args, **kwargs)

    with (
        mock.patch.object(TopicAdoption.objects, "filter", side_effect=stale),
        pytest.raises(ValidationError),
    ):
        services.adopt_topic(topic=second, cell=cell, quarter=2, meeting=june, by=None)
    assert list(TopicAdoption.objects.values_list("topic_id", flat=True)) == [first.pk]
