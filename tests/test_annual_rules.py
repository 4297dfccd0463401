"""Issue 20, items 4, 6 and 9: the province's settings in the engine, compliance and the
classification (with their effective date); unit lifetimes; the classification rules
(nothing held, recorded discipline, the quota group, extraordinary meetings, Điều lệ
Art. 8); `chibo classify`; the record audit of decided classifications; the demo seed."""

from __future__ import annotations

import datetime
import io
import json
import random
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import translation

from chibo.lib.audit import AuditScope
from chibo.meetings import services as meeting_services
from chibo.meetings.models import Meeting, MeetingKind
from chibo.members.models import Member
from chibo.orgs.models import Unit
from chibo.scoring import audit, services
from chibo.scoring.annual import active_months, annual_meeting_quality, meetings_quality
from chibo.scoring.classification import (
    Evidence,
    MemberRecord,
    check_rating,
    evidence_for,
    note_discipline,
    rate,
)
from chibo.scoring.classify import ClassifyError, classify_json
from chibo.scoring.compliance import cell_compliance
from chibo.scoring.defaults import DEFAULT_RUBRICS
from chibo.scoring.engine import (
    DEFAULT_SETTINGS,
    EngineSettings,
    FactsError,
    MeetingFacts,
    RubricSpec,
    evaluate,
    facts_from_json,
)
from chibo.scoring.models import AnnualRating, MeetingScore, ScoringRules
from tests.factories import all_present, at, planned

pytestmark = pytest.mark.django_db

D = datetime.date
YEAR = 2026
RUBRIC = RubricSpec.from_data("HD12-100", DEFAULT_RUBRICS["HD12-100"])
RULES_MD = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


MARCH_5 = D(2026, 3, 5)
LAST_YEAR = AuditScope(year=2025)


def held(code: str = "X001.01", day: D = MARCH_5, minutes: int = 120, **kw) -> Meeting:
    """A held meeting of `minutes`, everyone present, minutes written and the vote taken."""
    meeting = planned(code, day=day, **kw)
    members = [m for m, _row in meeting_services.attendance_roster(meeting)]
    meeting_services.record_attendance(meeting=meeting, entries=all_present(meeting), by=None)
    meeting_services.save_minutes(
        meeting=meeting,
        data={
            "chair": members[0],
            "minutes_secretary": members[1],
            "started_at": at(day, 19),
            "ended_at": at(day, 19) + datetime.timedelta(minutes=minutes),
            "conclusion": "<p>Thống nhất</p>",
            "resolution": "<p>Nghị quyết</p>",
        },
        item_notes={item.pk: "<p>Đã thảo luận</p>" for item in meeting.items.all()},
        by=None,
    )
    voters = meeting.attendance_counts().voters_present
    meeting_services.record_vote(meeting=meeting, votes_for=voters, against=0, abstain=0, by=None)
    return meeting


def points(result) -> dict[str, int]:
    return {c.code: c.points for c in result.criteria}


# --- item 4: settings ---------------------------------------------------------------------


def facts(**changes: object) -> MeetingFacts:
    data = {
        "kind": "regular",
        "duration_minutes": 70,
        "members": [{"status": "official", "attendance": "present"}] * 4
        + [
            {"status": "official", "attendance": "absent_excused", "consecutive_absences_before": 3}
        ],
    }
    data.update(changes)
    return facts_from_json(data)


def test_every_formerly_hard_coded_number_of_the_engine_is_read_from_the_settings() -> None:
    base = facts()  # 80 % present, a fourth absence in a row, 70 minutes, 5 members
    assert points(evaluate(base, RUBRIC))["1a"] == 0
    assert points(evaluate(base, RUBRIC))["1c"] == 0
    assert points(evaluate(base, RUBRIC))["3a"] == 0
    lenient = EngineSettings(attendance_threshold=75, max_consecutive_absences=4, min_minutes=60)
    result = points(evaluate(replace(base, settings=lenient), RUBRIC))
    assert (result["1a"], result["1c"], result["3a"]) == (10, 5, 10)
    combined = replace(base, kind="combined", duration_minutes=100)
    assert points(evaluate(combined, RUBRIC))["3a"] == 0
    shorter = EngineSettings(min_minutes_combined=100)
    assert points(evaluate(replace(combined, settings=shorter), RUBRIC))["3a"] == 10
    # A very small cell may meet shorter where the province says so (domain §4).
    small = EngineSettings(small_cell_size=6, small_cell_min_minutes=60)
    assert points(evaluate(replace(base, settings=small), RUBRIC))["3a"] == 10
    assert (
        points(evaluate(replace(base, settings=replace(small, small_cell_size=5)), RUBRIC))["3a"]
        == 0
    )
    # The defaults are HD 12's and the model's defaults are the engine's.
    rules = ScoringRules()
    assert rules.engine_settings() == DEFAULT_SETTINGS
    assert (DEFAULT_SETTINGS.attendance_threshold, DEFAULT_SETTINGS.min_minutes) == (85, 90)


def test_a_setting_changed_mid_year_changes_later_scores_not_earlier_ones(cast) -> None:
    root = Unit.objects.get(code="LV")
    rules = ScoringRules.objects.create(unit=root)
    march = held(day=D(2026, 3, 5), minutes=120)
    score = services.propose_score(
        meeting=march, judged={}, members_for=1, members_against=0, by=cast["bithu1"]
    )
    assert score.cell_points["3a"] == 10
    assert score.settings["min_minutes"] == 90
    # From 1 June meetings must last 150 minutes.
    rules.min_minutes = 150
    rules.effective_from = D(2026, 6, 1)
    rules.save()
    score = services.confirm_score(meeting=march, judged={}, comment="", by=cast["uyvien1"])
    assert score.upper_points["3a"] == 10  # the score keeps the settings it was made with
    april = held("X001.02", day=D(2026, 4, 7), minutes=120)
    assert points(services.breakdown(april))["3a"] == 10  # before the effective date
    july = held(day=D(2026, 7, 6), minutes=120)
    score = services.propose_score(
        meeting=july, judged={}, members_for=1, members_against=0, by=cast["bithu1"]
    )
    assert score.cell_points["3a"] == 0
    assert score.settings["min_minutes"] == 150
    assert ScoringRules.for_unit(root, on=D(2026, 5, 31)).min_minutes == 90
    assert ScoringRules.for_unit(root, on=D(2026, 6, 1)).min_minutes == 150


def test_compliance_reads_the_durations_in_force_on_each_meetings_day() -> None:
    root = Unit.objects.get(code="LV")
    held(day=D(2026, 3, 5), minutes=100)
    held(day=D(2026, 7, 6), minutes=100)
    unit = Unit.objects.get(code="X001.01")
    today = D(2026, 12, 4)
    assert not [s for s in cell_compliance(unit, YEAR, today=today) if "100" in s.message]
    ScoringRules.objects.create(unit=root, min_minutes=120, effective_from=D(2026, 6, 1))
    short = [s.period for s in cell_compliance(unit, YEAR, today=today) if "100" in s.message]
    assert short == ["2026-07"]


# --- item 6: lifetimes, nothing held, discipline, quota, extraordinary, Art. 8 ------------


def test_months_before_a_cell_existed_and_after_it_closed_owe_no_meeting() -> None:
    assert active_months(D(2026, 5, 10), None, YEAR, 12) == list(range(6, 13))
    assert active_months(None, D(2026, 9, 15), YEAR, 12) == list(range(1, 9))
    assert active_months(D(2027, 1, 1), None, YEAR, 12) == []
    unit = Unit.objects.get(code="X001.01")
    Unit.objects.filter(pk=unit.pk).update(active_from=D(2026, 5, 10), closed_on=D(2026, 9, 15))
    unit.refresh_from_db()
    today = D(2026, 12, 4)
    missed = [s.period for s in cell_compliance(unit, YEAR, today=today) if "regular" in s.message]
    with translation.override("en"):
        missed = [
            s.period
            for s in cell_compliance(unit, YEAR, today=today)
            if s.message == "no regular meeting was held"
        ]
    assert missed == ["2026-06", "2026-07", "2026-08"]
    quarters = [s.period for s in cell_compliance(unit, YEAR, today=today) if "Q" in s.period]
    assert quarters == []  # no whole quarter (June to August) owes a thematic meeting
    quality = annual_meeting_quality(unit, YEAR, months=11)
    assert (quality.months_owed, quality.months_without_meeting) == (3, 3)


def test_the_dashboard_expects_no_meeting_of_a_cell_outside_its_lifetime(cast) -> None:
    from chibo.reports import figures
    from chibo.reports.periods import parse

    root = Unit.objects.get(code="LV")
    period = parse("2026-01-01..2026-04-30")
    today = D(2026, 11, 26)
    before = figures.build(cast["admin"], root, period, today=today)
    cells = Unit.objects.cells().count()
    assert before.total.months == cells * 4
    # One cell founded on 10 February, one closed on 20 March.
    Unit.objects.filter(code="X001.01").update(active_from=D(2026, 2, 10))
    Unit.objects.filter(code="X002.01").update(closed_on=D(2026, 3, 20))
    board = figures.build(cast["admin"], root, period, today=today)
    assert board.total.months == cells * 4 - 2 - 2
    assert [row.months for row in board.by_month] == [cells - 1, cells - 1, cells - 1, cells - 1]
    commune = next(row for row in board.children if row.url_code == "X001")
    assert commune.months == commune.cells * 4 - 2


def test_a_cell_that_held_nothing_in_a_year_it_existed_can_only_be_not_completed() -> None:
    nothing = Evidence(is_cell=True, meeting_quality=meetings_quality([], 12, tot_needed=7))
    for level in ("excellent", "good", "completed"):
        found = check_rating(level, nothing, ScoringRules(), step="decide")
        assert [f.rule for f in found if f.blocking] == ["ANNUAL-6"]
    assert not [
        f for f in check_rating("failed", nothing, ScoringRules(), step="decide") if f.blocking
    ]
    # A cell that did not exist yet owes nothing.
    unborn = Evidence(is_cell=True, meeting_quality=meetings_quality([], 0, tot_needed=7))
    assert not [f for f in check_rating("good", unborn, ScoringRules(), step="self") if f.blocking]
    with pytest.raises(ValidationError):
        rate(
            unit=Unit.objects.get(code="X001.01"),
            year=2025,
            step="self",
            level="excellent",
            by=None,
        )


def test_a_recorded_discipline_cannot_be_cleared_by_a_later_step(cast) -> None:
    member = Member.objects.get(user__username="dangvien1")
    note_discipline(unit=member.unit, year=YEAR, member=member, by=cast["kiemtra"])
    with pytest.raises(ValidationError):
        rate(unit=member.unit, year=YEAR, member=member, step="self", level="good", by=None)
    rating, _w = rate(
        unit=member.unit,
        year=YEAR,
        member=member,
        step="self",
        level="failed",
        disciplined=False,
        by=None,
    )
    assert rating.disciplined
    # A discipline the cell ticked itself is its own claim and may be corrected...
    other = Member.objects.filter(unit=member.unit, status="official").exclude(pk=member.pk)[0]
    rate(
        unit=member.unit,
        year=YEAR,
        member=other,
        step="self",
        level="failed",
        disciplined=True,
        by=None,
    )
    rating, _w = rate(unit=member.unit, year=YEAR, member=other, step="self", level="good", by=None)
    assert not rating.disciplined


def test_the_self_assessment_form_cannot_untick_a_recorded_discipline(client_for, cast) -> None:
    member = Member.objects.get(user__username="dangvien1")
    note_discipline(unit=member.unit, year=YEAR, member=member, by=cast["kiemtra"])
    url = f"/classification/members/{member.pk}/?year={YEAR}"
    version = AnnualRating.objects.get(member=member).version
    data = {"level": "failed", "step": "self", "version": version, "year": YEAR, "note": ""}
    assert client_for("dangvien1").post(url, data).status_code == 302
    assert AnnualRating.objects.get(member=member).disciplined


def test_the_quota_group_of_a_cell_is_the_cells_under_its_commune_level_unit() -> None:
    commune = Unit.objects.get(code="X001")
    cells = list(Unit.objects.cells().filter(path__startswith=commune.path).order_by("path"))
    deep = [c for c in cells if c.depth > commune.depth + 1]
    assert deep, "the test province has a cell under a basic committee"
    target = deep[0]
    for cell in cells:
        if cell != target:
            AnnualRating.objects.create(
                year=YEAR, unit=cell, self_level="good", verified_level="good"
            )
    elsewhere = Unit.objects.cells().exclude(path__startswith=commune.path).first()
    AnnualRating.objects.create(year=YEAR, unit=elsewhere, self_level="good", verified_level="good")
    evidence = evidence_for(target, YEAR)
    assert evidence.others_good == len(cells) - 1


def test_extraordinary_meetings_are_not_scored_and_do_not_count(cast) -> None:
    meeting = held(day=D(2026, 3, 20), kind=MeetingKind.EXTRAORDINARY)
    with translation.override("en"), pytest.raises(ValidationError, match="not scored"):
        services.propose_score(
            meeting=meeting, judged={}, members_for=1, members_against=0, by=None
        )
    assert not MeetingScore.objects.filter(meeting=meeting).exists()
    with pytest.raises(FactsError, match="kind"):
        facts_from_json({"kind": "extraordinary", "members": []})
    quality = meetings_quality(
        [(3, "regular", "tot"), (3, "extraordinary", "unscored")], 1, tot_needed=1
    )
    assert (quality.meetings, quality.unscored, quality.level) == (1, 0, "tot")
    unit = Unit.objects.get(code="X001.01")
    assert annual_meeting_quality(unit, YEAR, months=2).meetings == 0
    held(day=D(2026, 4, 20), kind=MeetingKind.EXTRAORDINARY, minutes=30)
    assert not [s for s in cell_compliance(unit, YEAR, today=D(2026, 12, 4)) if "30" in s.message]


def test_three_months_missed_without_reason_bar_good_or_better_and_are_raised() -> None:
    absent = Evidence(record=MemberRecord(expected=12, present=9, unexcused=3, months_unexcused=3))
    for level in ("excellent", "good"):
        found = check_rating(level, absent, ScoringRules(), step="self")
        assert "ANNUAL-10" in [f.rule for f in found if f.blocking]
    found = check_rating("completed", absent, ScoringRules(), step="self")
    assert [f.rule for f in found] == ["ANNUAL-10"]
    assert not found[0].blocking
    twice = Evidence(record=MemberRecord(expected=12, present=10, unexcused=2, months_unexcused=2))
    assert not [f for f in check_rating("good", twice, ScoringRules(), step="self") if f.blocking]


def test_the_classification_thresholds_are_settings() -> None:
    evidence = Evidence(targets_percent=55)
    assert not [
        f for f in check_rating("good", evidence, ScoringRules(), step="self") if f.blocking
    ]
    found = check_rating("good", evidence, ScoringRules(min_targets_percent=60), step="self")
    assert [f.rule for f in found if f.blocking] == ["ANNUAL-3"]


# --- item 9: chibo classify -----------------------------------------------------------------


def classify(tmp_path: Path, data: object) -> dict[str, Any]:
    path = tmp_path / "input.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = io.StringIO()
    call_command("classify", str(path), stdout=out)
    result: dict[str, Any] = json.loads(out.getvalue())
    return result


def test_chibo_classify_refuses_what_the_rules_refuse_with_rule_ids(tmp_path: Path) -> None:
    meetings = [{"month": m, "kind": "regular", "level": "tot"} for m in range(1, 13)]
    good = classify(
        tmp_path,
        {
            "subject": "cell",
            "year": 2025,
            "months_active": 12,
            "meetings": meetings,
            "members": {"rated": 10, "at_least_good": 9, "not_completed": 0},
            "proposed": "xuat_sac",
        },
    )
    assert good["allowed"] is True
    assert good["meetings_quality"]["level"] == "tot"
    empty = classify(tmp_path, {"subject": "cell", "months_active": 5, "proposed": "tot"})
    assert empty["allowed"] is False
    assert [r["rule"] for r in empty["refusals"]] == ["ANNUAL-6"]
    member = classify(
        tmp_path,
        {
            "subject": "member",
            "attendance": {
                "held": 12,
                "present": 8,
                "absent_excused": 1,
                "absent_unexcused": 3,
                "longest_absence_run": 2,
            },
            "disciplined": True,
            "proposed": "tot",
        },
    )
    assert {r["rule"] for r in member["refusals"]} == {"ANNUAL-4", "ANNUAL-10"}
    assert "meetings_quality" not in member
    exempted = classify(tmp_path, {"subject": "member", "exempted": True, "proposed": "hoan_thanh"})
    assert [r["rule"] for r in exempted["refusals"]] == ["ANNUAL-1"]


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"proposed": "tot"}, "subject"),
        ({"subject": "cell"}, "proposed"),
        ({"subject": "cell", "proposed": "gioi"}, "proposed"),
        ({"subject": "cell", "proposed": "tot", "months_active": 13}, "months_active"),
        (
            {"subject": "cell", "proposed": "tot", "meetings": [{"month": 0, "kind": "regular"}]},
            "meetings[0].month",
        ),
        (
            {"subject": "cell", "proposed": "tot", "meetings": [{"month": 1, "kind": "x"}]},
            "meetings[0].kind",
        ),
        (
            {"subject": "cell", "proposed": "tot", "members": {"rated": 2, "at_least_good": 3}},
            "members.at_least_good",
        ),
        (
            {"subject": "member", "proposed": "tot", "attendance": {"held": 2, "present": 3}},
            "attendance.present",
        ),
        ({"subject": "member", "proposed": "tot", "targets_met_pct": 101}, "targets_met_pct"),
        ({"subject": "member", "proposed": "tot", "disciplined": "yes"}, "disciplined"),
        ([], "object"),
    ],
)
def test_chibo_classify_refuses_bad_input_naming_the_key(tmp_path: Path, data, key: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError, match=re.escape(key)) as error:
        call_command("classify", str(path), stdout=io.StringIO())
    assert error.value.returncode == 1
    with pytest.raises(ClassifyError, match=re.escape(key)):
        classify_json(data)


def test_every_rule_id_the_classification_names_is_in_the_rule_book() -> None:
    book = RULES_MD.read_text(encoding="utf-8")
    for rule in [f"ANNUAL-{n}" for n in range(1, 13)] + [f"SET-{n}" for n in range(1, 7)]:
        assert f"| {rule} |" in book


# --- the record audit and the demo seed --------------------------------------------------


def decided(unit: Unit, level: str, member: Member | None = None, **kw) -> AnnualRating:
    return AnnualRating.objects.create(
        year=2025,
        unit=unit,
        member=member,
        self_level=level,
        verified_level=level,
        decided_level=level,
        **kw,
    )


def rules_of(check, scope: AuditScope = LAST_YEAR) -> list[tuple[str, str]]:
    return [(v.rule, v.url) for v in check(scope)]


def test_the_audit_lists_decided_classifications_the_rules_refuse() -> None:
    empty = Unit.objects.get(code="X001.01")
    decided(empty, "good")  # nothing held in 2025
    listed = rules_of(audit.cell_classifications)
    assert [rule for rule, _url in listed] == ["ANNUAL-6"]
    assert listed[0][1].endswith("?year=2025")
    members = list(Member.objects.filter(unit=empty, status="official")[:2])
    decided(empty, "good", members[0], disciplined=True)
    decided(empty, "failed", members[1], disciplined=True)  # right: not listed
    assert [rule for rule, _u in rules_of(audit.member_classifications)] == ["ANNUAL-4"]
    assert rules_of(audit.member_classifications, AuditScope(year=2024)) == []


def test_the_audit_lists_an_exceeded_quota() -> None:
    cell = Unit.objects.get(code="X001.01")
    members = list(Member.objects.filter(unit=cell, status="official")[:3])
    decided(cell, "excellent", members[0])
    decided(cell, "good", members[1])
    assert [rule for rule, _u in rules_of(audit.member_classifications)] == ["ANNUAL-11"] * 1
    decided(cell, "good", members[2])
    # 1 excellent of 3 rated well or better is 33 % > 20 %: still listed.
    assert [rule for rule, _u in rules_of(audit.member_classifications)] == ["ANNUAL-11"]


def test_the_demo_seed_decides_classifications_that_pass_the_rules() -> None:
    from chibo.demo.history import seed_history

    counts = seed_history(
        members=list(Member.objects.all()),
        weak_cells={Unit.objects.get(code="X001.02").pk},
        end_month=D(2026, 1, 1),
        months=12,
        rng=random.Random(5),
    )
    assert counts["ratings"] > 0
    assert AnnualRating.objects.filter(year=2025, member=None).exclude(decided_level="").exists()
    scope = AuditScope(year=2025)
    assert [v for check in audit.CHECKS for v in check(scope)] == []


def test_the_calendars_give_a_planned_meeting_the_length_the_settings_require() -> None:
    from chibo.meetings.calendar import meetings_ics

    def length(meeting: Meeting) -> datetime.timedelta:
        import icalendar

        text = meetings_ics([meeting], name="x", base_url="http://x")
        event = next(iter(icalendar.Calendar.from_ical(text).walk("VEVENT")))
        ends: datetime.timedelta = event.decoded("dtend") - event.decoded("dtstart")
        return ends

    combined = planned(kind=MeetingKind.COMBINED, day=D(2026, 3, 5))
    assert length(combined) == datetime.timedelta(minutes=120)
    ScoringRules.objects.create(unit=Unit.objects.get(code="LV"), min_minutes_combined=100)
    assert length(Meeting.objects.get(pk=combined.pk)) == datetime.timedelta(minutes=100)


def test_the_member_page_raises_three_months_missed_without_reason(client_for) -> None:
    from chibo.meetings.models import Attendance, AttendanceStatus

    member = Member.objects.get(user__username="dangvien1")
    for month in (3, 4, 5):
        meeting = held(day=D(2026, month, 5))
        Attendance.objects.filter(meeting=meeting, member=member).update(
            status=AttendanceStatus.ABSENT_UNEXCUSED
        )
    url = f"/classification/members/{member.pk}/?year={YEAR}"
    with translation.override("vi"):
        page = client_for("bithu1").get(url).content.decode()
    assert "Điều 8" in page
    with pytest.raises(ValidationError):
        rate(unit=member.unit, year=YEAR, member=member, step="self", level="good", by=None)
