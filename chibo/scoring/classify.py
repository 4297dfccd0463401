"""`chibo classify`: the annual classification rules on one subject given as JSON.

The input is read into the same `Evidence` the classification pages build from the
database, and judged by the same function (`classification.check_rating`); the year's
meeting quality comes from `annual.meetings_quality`, as on the pages. Nothing here
decides a rule: this module only reads and writes JSON (docs/scoring.md).
"""

from __future__ import annotations

from typing import Any

from chibo.scoring.annual import meetings_quality
from chibo.scoring.classification import (
    Evidence,
    MemberCounts,
    MemberRecord,
    check_rating,
)
from chibo.scoring.engine import KINDS
from chibo.scoring.models import ScoringRules

# The levels as the input names them (Vietnamese, without diacritics) and as stored.
PROPOSED = {
    "xuat_sac": "excellent",
    "tot": "good",
    "hoan_thanh": "completed",
    "khong_hoan_thanh": "failed",
}
MEETING_LEVELS = {"tot", "kha", "trung_binh", "kem", "unscored"}
STEPS = {"self", "verify", "decide"}


class ClassifyError(ValueError):
    """The input is not of the documented shape; the message names the key."""


def _value(data: dict[str, Any], key: str, kind: type, default: Any, *, path: str = "") -> Any:
    name = f"{path}{key}"
    if key not in data or (data[key] is None and default is None):
        if default is ...:
            raise ClassifyError(f"missing key: {name}")
        return default
    value = data[key]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ClassifyError(f"{name}: expected a whole number, got {value!r}")
    if not isinstance(value, kind):
        raise ClassifyError(f"{name}: expected {kind.__name__}, got {value!r}")
    return value


def _count(
    data: dict[str, Any], key: str, *, path: str, top: int | None = None, default: int = 0
) -> int:
    value: int = _value(data, key, int, default, path=path)
    if value < 0:
        raise ClassifyError(f"{path}{key}: must not be negative")
    if top is not None and value > top:
        raise ClassifyError(f"{path}{key}: must be at most {top}")
    return value


def _choice(
    data: dict[str, Any], key: str, choices: Any, default: Any = ..., path: str = ""
) -> str:
    value: str = _value(data, key, str, default, path=path)
    if value not in choices:
        raise ClassifyError(f"{path}{key}: one of {', '.join(sorted(choices))}, got {value!r}")
    return value


def evidence_from_json(data: Any, rules: ScoringRules) -> tuple[str, str, Evidence]:
    """(level proposed, step, evidence) from the input of `chibo classify`."""
    if not isinstance(data, dict):
        raise ClassifyError("the input must be a JSON object")
    subject = _choice(data, "subject", {"cell", "member"})
    year = _value(data, "year", int, None)
    if year is not None and not 1930 <= year <= 2100:
        raise ClassifyError(f"year: expected a year, got {year!r}")
    months_active = _count(data, "months_active", path="", top=12, default=12)
    proposed = PROPOSED[_choice(data, "proposed", PROPOSED)]
    step = _choice(data, "step", STEPS, "decide")
    targets = _value(data, "targets_met_pct", int, None)
    if targets is not None and not 0 <= targets <= 100:
        raise ClassifyError("targets_met_pct: must be from 0 to 100")
    quota = _value(data, "quota", dict, {})
    common: dict[str, Any] = {
        "exempted": _value(data, "exempted", bool, False),
        "kem_criterion": _value(data, "criterion_kem", bool, False),
        "targets_percent": targets,
        "disciplined": _value(data, "disciplined", bool, False),
        "others_excellent": _count(quota, "excellent", path="quota."),
        "others_good": _count(quota, "good", path="quota."),
    }
    if subject == "cell":
        meetings = []
        for n, item in enumerate(_value(data, "meetings", list, [])):
            where = f"meetings[{n}]."
            if not isinstance(item, dict):
                raise ClassifyError(f"meetings[{n}]: expected an object")
            month = _value(item, "month", int, ..., path=where)
            if not 1 <= month <= 12:
                raise ClassifyError(f"{where}month: must be from 1 to 12")
            kind = _choice(item, "kind", KINDS, path=where)
            level = _choice(item, "level", MEETING_LEVELS, "unscored", path=where)
            meetings.append((month, kind, level))
        members = _value(data, "members", dict, None)
        counts = None
        if members is not None:
            rated = _count(members, "rated", path="members.")
            counts = MemberCounts(
                rated=rated,
                at_least_good=_count(members, "at_least_good", path="members.", top=rated),
                not_completed=_count(members, "not_completed", path="members.", top=rated),
            )
            if counts.at_least_good + counts.not_completed > rated:
                raise ClassifyError(
                    "members.at_least_good: with members.not_completed, at most members.rated"
                )
        quality = meetings_quality(
            meetings, months_active, tot_needed=rules.annual_tot_min_tot_meetings
        )
        return (
            proposed,
            step,
            Evidence(is_cell=True, meeting_quality=quality, members=counts, **common),
        )
    attendance = _value(data, "attendance", dict, {})
    where = "attendance."
    held = _count(attendance, "held", path=where)
    present = _count(attendance, "present", path=where, top=held)
    excused = _count(attendance, "absent_excused", path=where, top=held - present)
    unexcused = _count(attendance, "absent_unexcused", path=where, top=held - present - excused)
    longest = _count(attendance, "longest_absence_run", path=where, top=excused + unexcused)
    # One regular meeting a month: unless the months are given, each unexcused absence is
    # taken as a month missed without reason (Điều lệ Art. 8).
    months = (
        _count(attendance, "months_absent_unexcused", path=where, top=unexcused)
        if "months_absent_unexcused" in attendance
        else min(unexcused, months_active)
    )
    record = MemberRecord(
        expected=held,
        present=present,
        excused=excused,
        unexcused=unexcused,
        longest_absence=longest,
        months_unexcused=months,
    )
    return proposed, step, Evidence(record=record, **common)


def classify_json(data: Any, rules: ScoringRules | None = None) -> dict[str, Any]:
    """The output of `chibo classify` for its input (docs/scoring.md)."""
    rules = rules or ScoringRules()
    level, step, evidence = evidence_from_json(data, rules)
    findings = check_rating(level, evidence, rules, step=step)
    result: dict[str, Any] = {
        "allowed": not any(f.blocking for f in findings),
        "refusals": [{"rule": f.rule, "message": f.message} for f in findings if f.blocking],
        "warnings": [{"rule": f.rule, "message": f.message} for f in findings if not f.blocking],
    }
    if evidence.meeting_quality is not None:
        result["meetings_quality"] = evidence.meeting_quality.as_dict()
    return result
