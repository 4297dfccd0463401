"""The rubric engine on boundary cases, and `chibo score`."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from chibo.scoring.defaults import DEFAULT_RUBRICS
from chibo.scoring.engine import FactsError, RubricSpec, evaluate, facts_from_json

REGULAR = RubricSpec.from_data("HD12-100", DEFAULT_RUBRICS["HD12-100"])
THEMATIC = RubricSpec.from_data("HD12-100-CD", DEFAULT_RUBRICS["HD12-100-CD"])


def perfect(**overrides: Any) -> dict[str, Any]:
    """A meeting that earns every computed point: 20 official members, all present."""
    data: dict[str, Any] = {
        "kind": "regular",
        "duration_minutes": 100,
        "members": [{"status": "official", "attendance": "present"} for _ in range(20)],
        "speakers": 6,
        "preparation": {
            "drafter_assigned": True,
            "committee_met": True,
            "members_notified": True,
            "materials_days_before": 1,
            "draft_resolution": True,
        },
        "minutes": {"complete": True, "has_criticism": True, "has_hcm_study": True},
        "vote": {"for": 20, "against": 0, "abstain": 0},
        "previous_tasks": {"total": 5, "done": 4, "reviewed": True},
        "judged": {"3c": 10, "3e": 5, "3f": 5},
    }
    data.update(overrides)
    if "vote" not in overrides:
        # Everyone who may vote votes for: never more than the official members present.
        present = ("present", "late", "left_early")
        voters = [
            m for m in data["members"] if m["status"] == "official" and m["attendance"] in present
        ]
        data["vote"] = {"for": len(voters), "against": 0, "abstain": 0}
    return data


def score(data: dict[str, Any], rubric: RubricSpec = REGULAR) -> dict[str, Any]:
    result = evaluate(facts_from_json(data), rubric).as_dict()
    result["by_code"] = {c["code"]: c["points"] for c in result["criteria"]}
    return result


def test_the_rubric_sums_to_100_in_both_variants() -> None:
    assert sum(c.max for c in REGULAR.criteria) == 100
    assert sum(c.max for c in THEMATIC.criteria) == 100
    assert score(perfect())["total"] == 100
    assert score(perfect())["level"] == "tot"


def attendance(
    present: int, absent_excused: int = 0, absent_unexcused: int = 0
) -> list[dict[str, Any]]:
    return (
        [{"status": "official", "attendance": "present"}] * present
        + [{"status": "official", "attendance": "absent_excused"}] * absent_excused
        + [{"status": "official", "attendance": "absent_unexcused"}] * absent_unexcused
    )


def test_exactly_85_percent_is_not_enough() -> None:
    result = score(perfect(members=attendance(17, absent_excused=3), vote={"for": 17}))
    assert result["attendance_rate"] == 0.85
    assert result["by_code"]["1a"] == 0
    result = score(perfect(members=attendance(18, absent_excused=2), vote={"for": 18}))
    assert result["by_code"]["1a"] == 10


def test_90_points_without_the_required_full_marks_is_kha() -> None:
    # Lose 1a only (10 points): 90 points, but 1a must be full for Tốt.
    result = score(perfect(members=attendance(17, absent_excused=3), vote={"for": 17}))
    assert result["total"] == 90
    assert result["level"] == "kha"
    # Lose 10 judged points instead: 90 points with every required full mark, Tốt.
    result = score(perfect(judged={"3c": 0, "3e": 5, "3f": 5}))
    assert (result["total"], result["level"]) == (90, "tot")


def test_a_fourth_consecutive_absence_loses_1c() -> None:
    third = perfect(
        members=[
            *attendance(19),
            {
                "status": "official",
                "attendance": "absent_excused",
                "consecutive_absences_before": 2,
            },
        ]
    )
    assert score(third)["by_code"]["1c"] == 5
    fourth = perfect(
        members=[
            *attendance(19),
            {
                "status": "official",
                "attendance": "absent_excused",
                "consecutive_absences_before": 3,
            },
        ]
    )
    assert score(fourth)["by_code"]["1c"] == 0
    came_back = perfect(
        members=[
            *attendance(19),
            {"status": "official", "attendance": "present", "consecutive_absences_before": 5},
        ]
    )
    assert score(came_back)["by_code"]["1c"] == 5


def test_exempted_and_attached_members_are_not_expected() -> None:
    members = [
        *attendance(18),
        {"status": "exempted", "attendance": "absent_excused", "consecutive_absences_before": 9},
        {"status": "attached_elsewhere", "attendance": "absent_unexcused"},
    ]
    result = score(perfect(members=members, vote={"for": 18}))
    assert result["attendance_rate"] == 1.0
    assert result["by_code"]["1b"] == 5
    assert result["by_code"]["1c"] == 5


def test_vote_denominators() -> None:
    members = [
        *attendance(6, absent_excused=2, absent_unexcused=1),  # 9 official: 2 excused out
        {"status": "probationary", "attendance": "present"},  # does not vote
        {"status": "exempted", "attendance": "present"},  # counts when present
        {"status": "exempted", "attendance": "absent_excused"},  # does not
        {"status": "attached_elsewhere", "attendance": "absent_excused"},
        {"status": "suspended", "attendance": "absent_unexcused"},
    ]
    result = score(perfect(members=members, vote={"for": 4}))
    assert result["vote_denominator"] == 8  # 9 - 2 + 1
    assert result["vote_passed"] is False  # 4 is not more than half of 8
    result = score(perfect(members=members, vote={"for": 5}))
    assert result["vote_passed"] is True
    assert result["by_code"]["4a"] == 5


def test_speakers_duration_and_previous_tasks_steps() -> None:
    assert score(perfect(speakers=6))["by_code"]["3b"] == 10  # 30 % of 20
    assert score(perfect(speakers=5))["by_code"]["3b"] == 5
    assert score(perfect(speakers=2))["by_code"]["3b"] == 0
    assert score(perfect(duration_minutes=89))["by_code"]["3a"] == 0
    assert score(perfect(kind="combined", duration_minutes=110))["by_code"]["3a"] == 0
    assert score(perfect(kind="combined", duration_minutes=120))["by_code"]["3a"] == 10
    assert (
        score(perfect(previous_tasks={"total": 4, "done": 2, "reviewed": True}))["by_code"]["4c"]
        == 5
    )
    assert (
        score(perfect(previous_tasks={"total": 4, "done": 1, "reviewed": True}))["by_code"]["4c"]
        == 0
    )
    assert (
        score(perfect(previous_tasks={"total": 4, "done": 4, "reviewed": False}))["by_code"]["4c"]
        == 0
    )
    assert (
        score(perfect(previous_tasks={"total": 0, "done": 0, "reviewed": True}))["by_code"]["4c"]
        == 10
    )


def test_the_thematic_variant_judges_the_report() -> None:
    result = score(perfect(kind="thematic", judged={"3c": 10, "3e": 5, "3f": 5}), THEMATIC)
    assert result["by_code"]["4c"] == 0  # not judged yet
    result = score(
        perfect(kind="thematic", judged={"3c": 10, "3e": 5, "3f": 5, "4c": 10}), THEMATIC
    )
    assert result["total"] == 100


def test_levels_at_their_thresholds() -> None:
    base = perfect(judged={})  # 80: Khá
    assert score(base)["level"] == "kha"
    low = perfect(judged={}, minutes={}, vote={}, previous_tasks={})  # loses 3d, 4a, 4b, 4c
    assert score(low)["total"] == 55
    assert score(low)["level"] == "trung_binh"
    lower = {**low, "preparation": {}}
    assert score(lower)["total"] == 40
    assert score(lower)["level"] == "kem"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ([], "object"),
        ({"members": []}, "kind"),
        ({"kind": "weekly", "members": []}, "kind"),
        ({"kind": "regular"}, "members"),
        (
            {"kind": "regular", "members": [{"status": "boss", "attendance": "present"}]},
            "members[0].status",
        ),
        ({"kind": "regular", "members": [{"status": "official"}]}, "members[0].attendance"),
        ({"kind": "regular", "members": [], "speakers": "many"}, "speakers"),
        ({"kind": "regular", "members": [], "vote": {"for": True}}, "vote.for"),
        ({"kind": "regular", "members": [], "judged": {"3c": 11}}, "judged.3c"),
        (
            {"kind": "regular", "members": [], "previous_tasks": {"total": 1, "done": 2}},
            "previous_tasks.done",
        ),
    ],
)
def test_bad_input_names_the_key(data: Any, key: str) -> None:
    with pytest.raises(FactsError, match=key.replace("[", r"\[").replace("]", r"\]")):
        evaluate(facts_from_json(data), REGULAR)


@pytest.mark.django_db
def test_the_score_command(tmp_path: Path) -> None:
    path = tmp_path / "meeting.json"
    path.write_text(json.dumps(perfect()), encoding="utf-8")
    out = io.StringIO()
    call_command("score", str(path), stdout=out)
    result = json.loads(out.getvalue())
    assert (result["total"], result["level"], result["rubric"]) == (100, "tot", "HD12-100 v1")
    assert {"code", "points", "max", "computed", "reason"} <= set(result["criteria"][0])
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("score", str(path))
    path.write_text(json.dumps({"kind": "regular", "members": [{}]}), encoding="utf-8")
    with pytest.raises(CommandError, match=r"members\[0\]\.status"):
        call_command("score", str(path))
    path.write_text(json.dumps(perfect()), encoding="utf-8")
    with pytest.raises(CommandError, match="NOPE"):
        call_command("score", str(path), "--rubric", "NOPE")
