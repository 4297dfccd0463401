"""Scoring recorded meetings: facts from the record, the cell's proposal, the upper level's
confirmation, the final level on the meeting."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext

from chibo.meetings import services as meeting_services
from chibo.meetings.models import AttendanceStatus, Meeting
from chibo.members.models import Member
from chibo.scoring import services
from chibo.scoring.models import MeetingScore, Rubric, ScoringRules
from tests.factories import all_present, complete, grow_cell, planned

pytestmark = pytest.mark.django_db

D = datetime.date


def test_facts_come_from_the_meeting_record() -> None:
    meeting = complete(planned())
    facts = services.facts_from_meeting(meeting)
    assert facts.duration_minutes == 120
    assert facts.attendance_rate == 1.0
    assert facts.minutes_complete
    assert facts.votes_for == meeting.votes_for
    result = services.breakdown(meeting, {"3c": 10, "3e": 5, "3f": 5})
    points = {c.code: c.points for c in result.criteria}
    assert points["1a"] == 10
    assert points["3a"] == 10
    assert points["2a"] == 0  # no drafter was recorded


def test_consecutive_absences_are_counted_across_the_years_meetings() -> None:
    member = Member.objects.get(user__username="dangvien1")
    meetings = [planned(day=D(2026, month, 5)) for month in (1, 2, 3, 4)]
    for meeting in meetings:
        entries = all_present(meeting)
        entries[member.pk] = (AttendanceStatus.ABSENT_UNEXCUSED, "")
        meeting_services.record_attendance(meeting=meeting, entries=entries, by=None)
    third = services.facts_from_meeting(meetings[2])
    fourth = services.facts_from_meeting(meetings[3])
    assert max(m.consecutive_absences_before for m in third.members) == 2
    assert max(m.consecutive_absences_before for m in fourth.members) == 3
    assert {c.code: c.points for c in services.breakdown(meetings[2]).criteria}["1c"] == 5
    assert {c.code: c.points for c in services.breakdown(meetings[3]).criteria}["1c"] == 0


def test_both_scores_are_kept_and_the_upper_level_decides(cast) -> None:
    meeting = complete(planned())
    with pytest.raises(ValidationError):
        services.confirm_score(meeting=meeting, judged={}, comment="", by=cast["uyvien1"])
    score = services.propose_score(
        meeting=meeting,
        judged={"3c": 10, "3e": 5, "3f": 5},
        members_for=5,
        members_against=0,
        by=cast["bithu1"],
    )
    meeting.refresh_from_db()
    assert meeting.quality_level == score.cell_level
    services.confirm_score(
        meeting=meeting,
        judged={"3c": 5, "3e": 2, "3f": 5},
        comment="Nội dung chưa trọng tâm",
        by=cast["uyvien1"],
    )
    score = MeetingScore.objects.get(meeting=meeting)
    assert score.cell_total is not None
    assert score.upper_total is not None
    assert score.cell_total - score.upper_total == 8
    meeting.refresh_from_db()
    assert meeting.quality_level == score.upper_level


def test_a_planned_meeting_cannot_be_scored() -> None:
    with pytest.raises(ValidationError):
        services.propose_score(
            meeting=planned(), judged={}, members_for=None, members_against=None, by=None
        )


def test_the_score_pages(client_for) -> None:
    meeting = complete(planned())
    url = f"/meetings/{meeting.pk}/score/"
    page = client_for("bithu1").get(url).content.decode()
    assert "HD12-100" in page
    response = client_for("bithu1").post(
        url, {"version": 4, "judged_3c": 9, "judged_3e": 4, "judged_3f": 5, "members_for": 6}
    )
    assert response.status_code == 302
    response = client_for("bithu1").post(url, {"judged_3c": 99})
    assert response.status_code == 200  # out of range: the form says so
    assert (
        client_for("uyvien1")
        .post(
            url + "confirm/",
            {"version": 5, "judged_3c": 8, "judged_3e": 4, "judged_3f": 5, "comment": "Đạt"},
        )
        .status_code
        == 302
    )
    score = MeetingScore.objects.get(meeting=meeting)
    assert score.upper_points["3c"] == 8
    assert "Đạt" in client_for("bithu1").get(url).content.decode()


def test_the_score_page_uses_the_same_queries_whatever_the_cell_size(client_for) -> None:
    meeting = complete(planned())
    client = client_for("bithu1")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"/meetings/{meeting.pk}/score/").status_code == 200
        return len(captured)

    before = queries()
    grow_cell("X001.01", 10)
    meeting_services.record_attendance(meeting=meeting, entries=all_present(meeting), by=None)
    assert queries() == before
    assert Meeting.objects.count() == 1


def test_the_final_level_goes_into_the_minutes(cast) -> None:
    import io

    import docx

    from chibo.meetings import documents

    meeting = complete(planned())
    services.propose_score(
        meeting=meeting,
        judged={"3c": 10, "3e": 5, "3f": 5},
        members_for=5,
        members_against=0,
        by=None,
    )
    meeting.refresh_from_db()
    content = documents.minutes_docx(documents.minutes_data(meeting))
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(content)).paragraphs)
    assert "xếp loại chất lượng buổi sinh hoạt" in text


def test_the_scorecard_shows_both_scores_with_flat_queries(client_for) -> None:
    meeting = complete(planned())
    services.propose_score(
        meeting=meeting,
        judged={"3c": 10, "3e": 5, "3f": 5},
        members_for=None,
        members_against=None,
        by=None,
    )
    client = client_for("dangvien1")

    def queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/units/X001.01/scorecard/?year=2026")
        assert response.status_code == 200
        return len(captured), response.content.decode()

    before, html = queries()
    assert str(MeetingScore.objects.get().cell_total) in html
    for month in (4, 5, 6):
        services.propose_score(
            meeting=complete(planned(day=D(2026, month, 5))),
            judged={},
            members_for=None,
            members_against=None,
            by=None,
        )
    after, _html = queries()
    assert after == before


def test_without_a_rubric_the_page_says_so(client_for) -> None:
    from chibo.scoring.models import Rubric

    meeting = complete(planned())
    Rubric.objects.all().delete()
    response = client_for("bithu1").get(f"/meetings/{meeting.pk}/score/")
    assert response.status_code == 302
    assert response["Location"] == f"/meetings/{meeting.pk}/"


def test_compliance_lists_each_shortfall() -> None:
    from chibo.scoring.compliance import cell_compliance

    member = Member.objects.get(user__username="dangvien1")
    # January and February held (February too short, dangvien1 absent both times and in
    # March and April); March held but its minutes never approved; no thematic meeting.
    for month in (1, 2, 3, 4):
        meeting = complete(planned(day=D(2026, month, 5)))
        entries = all_present(meeting)
        entries[member.pk] = (AttendanceStatus.ABSENT_UNEXCUSED, "")
        meeting_services.record_attendance(meeting=meeting, entries=entries, by=None)
        # The chair and the minutes secretary are among those present (ROLE-1).
        present = [m for m, _row in meeting_services.attendance_roster(meeting) if m != member]
        meeting_services.save_minutes(
            meeting=meeting,
            data={"chair": present[0], "minutes_secretary": present[1]},
            item_notes={},
            by=None,
        )
        if month != 3:
            meeting_services.approve_minutes(meeting=meeting, by=None)
    short = Meeting.objects.select_related("unit").get(month=D(2026, 2, 1))
    assert short.started_at is not None
    Meeting.objects.filter(pk=short.pk).update(
        ended_at=short.started_at + datetime.timedelta(minutes=60)
    )
    shortfalls = cell_compliance(short.unit, 2026, today=D(2026, 7, 10))
    text = [f"{s.period}: {s.message}" for s in shortfalls]
    no_meeting = gettext("no regular meeting was held")
    assert f"2026-05: {no_meeting}" in text
    assert f"2026-06: {no_meeting}" in text
    assert f"2026-01: {no_meeting}" not in text
    assert f"2026-Q1: {gettext('no thematic meeting was held')}" in text
    assert any(t.startswith("2026-02:") and "60" in t for t in text)
    assert any(t.startswith("2026-03:") and "7" in t for t in text)  # minutes not approved
    assert any(t.startswith("2026-Q1:") for t in text)
    assert any(t.startswith("2026-Q2:") for t in text)
    assert any(t.startswith("2026:") and member.full_name in t and "4" in t for t in text)


def test_annual_quality_follows_the_default_rule() -> None:
    from chibo.scoring.annual import annual_meeting_quality

    meetings = [complete(planned(day=D(2026, month, 5))) for month in range(1, 9)]
    cell = meetings[0].unit
    assert annual_meeting_quality(cell, 2026, months=8).level is None  # nothing scored yet
    for meeting in meetings:
        services.propose_score(
            meeting=meeting, judged={}, members_for=None, members_against=None, by=None
        )
    # Seven meetings rated Tốt by the cell, one adjusted to Khá by the upper level.
    MeetingScore.objects.update(cell_level="tot")
    MeetingScore.objects.filter(meeting=meetings[0]).update(upper_level="kha")
    result = annual_meeting_quality(cell, 2026, months=8)
    assert (result.level, result.tot, result.meetings) == ("tot", 7, 8)
    MeetingScore.objects.filter(meeting=meetings[1]).update(upper_level="kha")
    assert annual_meeting_quality(cell, 2026, months=8).level == "kha"  # only 6 Tốt
    MeetingScore.objects.filter(meeting=meetings[1]).update(upper_level="trung_binh")
    assert annual_meeting_quality(cell, 2026, months=8).level == "kha"
    assert annual_meeting_quality(cell, 2026, months=9).level == "trung_binh"  # no September
    MeetingScore.objects.filter(meeting=meetings[2]).update(upper_level="kem")
    assert annual_meeting_quality(cell, 2026, months=8).level == "kem"


def test_the_league_ranks_cells_with_flat_queries(client_for) -> None:
    first = complete(planned(day=D(2026, 3, 5)))
    services.propose_score(
        meeting=first, judged={}, members_for=None, members_against=None, by=None
    )
    MeetingScore.objects.update(cell_level="tot")
    client = client_for("bantochuc")

    def queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/units/LV/league/?year=2026")
        assert response.status_code == 200
        return len(captured), response.content.decode()

    before, html = queries()
    assert first.unit.name in html
    other = complete(planned(code="X002.01", day=D(2026, 4, 5)))
    services.propose_score(
        meeting=other, judged={}, members_for=None, members_against=None, by=None
    )
    after, html = queries()
    assert after == before
    # uyvien1 sees only the cells of commune 1.
    html = client_for("uyvien1").get("/units/X001/league/?year=2026").content.decode()
    assert first.unit.name in html
    assert other.unit.name not in html


def test_the_compliance_page_lists_shortfalls_of_every_cell_with_flat_queries(
    client_for,
) -> None:
    complete(planned(day=D(2026, 3, 5)))
    client = client_for("bantochuc")

    def queries(url: str) -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured), response.content.decode()

    before, html = queries("/units/LV/compliance/?year=2026")
    # The cells held no meeting in January: each says so.
    assert html.count("2026-01") >= 2
    complete(planned(code="X002.01", day=D(2026, 4, 5)))
    grow_cell("X001.01", 5)
    after, _html = queries("/units/LV/compliance/?year=2026")
    assert after == before
    # The cell's own page lists the same shortfalls as its scorecard.
    _n, html = queries("/units/X001.01/compliance/?year=2026&only=short")
    assert "2026-01" in html
    assert "X002.01" not in html


def rubric_content(**changes: object) -> dict[str, object]:
    latest = Rubric.objects.latest_of("HD12-100")
    assert latest is not None
    content: dict[str, object] = {
        "criteria": [dict(c) for c in latest.criteria],
        "thresholds": dict(latest.thresholds),
        "full_marks_for_tot": list(latest.full_marks_for_tot),
    }
    content.update(changes)
    return content


def test_a_rubric_version_is_checked_before_it_is_saved() -> None:
    services.clean_rubric(rubric_content())
    criteria = rubric_content()["criteria"]
    assert isinstance(criteria, list)
    bad = {
        "points": [*criteria[:-1], {**criteria[-1], "max": 9}],
        "computed": [*criteria, {"code": "5a", "name": "Mới", "max": 0, "computed": True}],
        "twice": [*criteria[:-1], {**criteria[-1], "code": "4b"}],
        "code": [*criteria[:-1], {**criteria[-1], "code": "x!"}],
    }
    for key, value in bad.items():
        with pytest.raises(ValidationError):
            services.clean_rubric(rubric_content(criteria=value))
        assert key
    with pytest.raises(ValidationError):
        services.clean_rubric(rubric_content(thresholds={"tot": 70, "kha": 90, "trung_binh": 50}))
    with pytest.raises(ValidationError):
        services.clean_rubric(rubric_content(full_marks_for_tot=["9z"]))


def test_a_new_rubric_version_applies_to_meetings_scored_after_it(client_for) -> None:
    scored = complete(planned(day=D(2026, 3, 5)))
    services.propose_score(
        meeting=scored, judged={}, members_for=None, members_against=None, by=None
    )
    first = MeetingScore.objects.get(meeting=scored).rubric
    client = client_for("bantochuc")
    page = client.get("/rules/rubrics/HD12-100/new/")
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: field.initial for name, field in form.fields.items() if field.initial is not None}
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    data.update(form.initial)
    del data["submission"]  # a token per post (none: each post is a submission of its own)
    # Drop 3f (5 points) and add a judged 3g of 5 points.
    del data["keep_3f"]
    data.update(new_code_0="3g", new_name_0="Liên hệ thực tiễn địa phương", new_max_0=5)
    response = client.post("/rules/rubrics/HD12-100/new/", data)
    assert response.status_code == 302, response.context["form"].errors
    latest = Rubric.objects.latest_of("HD12-100")
    assert latest is not None
    assert latest.version == first.version + 1
    codes = [c["code"] for c in latest.criteria]
    assert "3f" not in codes
    assert codes[-1] == "3g"
    # The meeting scored before keeps its version; the next one takes the new version.
    assert services.rubric_for(scored) == first
    assert services.rubric_for(planned(code="X002.01", day=D(2026, 4, 5))) == latest
    # Points that do not add up to 100 are refused and nothing is saved.
    data["new_max_0"] = 6
    response = client.post("/rules/rubrics/HD12-100/new/", data)
    assert response.status_code == 200
    assert Rubric.objects.latest_of("HD12-100") == latest


def test_the_province_sets_its_rules_on_the_web(client_for) -> None:
    client = client_for("bantochuc")
    response = client.post(
        "/rules/",
        {
            "minutes_approval_days": 10,
            "attendance_threshold": 80,
            "max_consecutive_absences": 3,
            "min_minutes": 90,
            "min_minutes_combined": 120,
            "small_cell_size": 5,
            "small_cell_min_minutes": 60,
            "annual_tot_min_tot_meetings": 8,
            "min_targets_percent": 50,
            "excellent_cell_good_share": 80,
            "excellent_quota_percent": 20,
            "quota_blocks": "on",
        },
    )
    assert response.status_code == 302
    rules = ScoringRules.objects.get(unit__code="LV")
    assert rules.quota_blocks
    assert rules.minutes_approval_days == 10
    assert rules.history.first().history_user.username == "bantochuc"
    bad = client.post("/rules/", {"excellent_quota_percent": 150})
    assert bad.status_code == 200
    assert ScoringRules.objects.get(unit__code="LV").excellent_quota_percent == 20


@pytest.mark.parametrize("year", ["0", "99999", "abc", "-5"])
def test_an_impossible_year_falls_back_to_this_year(client_for, year: str) -> None:
    client = client_for("bantochuc")
    for url in ("/units/LV/league/", "/units/X001.01/scorecard/", "/units/LV/compliance/"):
        response = client.get(f"{url}?year={year}")
        assert response.status_code == 200, url
        assert response.context["year"] == timezone.localdate().year
