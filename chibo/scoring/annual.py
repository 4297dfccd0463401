"""A cell's meeting quality over a year, from the levels of its meetings (domain §5).

Default (Phú Thọ rule): Tốt when every meeting of the year is Khá or better and at least
the configured number are Tốt; Khá when every meeting is Trung bình or better; otherwise
Trung bình, or Kém when a meeting was Kém. A month without its regular meeting counts as
a meeting below Trung bình. Meetings not yet scored leave the year undecided.
"""

from __future__ import annotations

from dataclasses import dataclass

from chibo.meetings.models import Meeting, MeetingKind, MeetingState
from chibo.orgs.models import Unit
from chibo.scoring.models import MeetingScore, ScoringRules

RANK = {"tot": 3, "kha": 2, "trung_binh": 1, "kem": 0}


@dataclass(frozen=True)
class AnnualQuality:
    """The year's level and what it rests on."""

    level: str | None  # None while meetings remain unscored
    meetings: int
    tot: int
    unscored: int
    months_without_meeting: int


def annual_meeting_quality(unit: Unit, year: int, *, months: int = 12) -> AnnualQuality:
    """The quality of `unit`'s meetings over the first `months` months of `year`."""
    rules = ScoringRules.for_unit(unit)
    meetings = list(
        Meeting.objects.filter(
            unit=unit,
            month__year=year,
            month__month__lte=months,
            state__in=[MeetingState.HELD, MeetingState.APPROVED],
        ).values_list("pk", "month", "kind")
    )
    levels = dict(
        MeetingScore.objects.filter(meeting_id__in=[pk for pk, _m, _k in meetings]).values_list(
            "meeting_id", "upper_level"
        )
    )
    cell_levels = dict(
        MeetingScore.objects.filter(meeting_id__in=[pk for pk, _m, _k in meetings]).values_list(
            "meeting_id", "cell_level"
        )
    )
    final = [levels.get(pk) or cell_levels.get(pk) or "" for pk, _m, _k in meetings]
    regular_months = {
        month.month
        for _pk, month, kind in meetings
        if kind in (MeetingKind.REGULAR, MeetingKind.COMBINED)
    }
    missing = months - len(regular_months)
    scored = [level for level in final if level]
    counts = {level: scored.count(level) for level in RANK}
    unscored = len(final) - len(scored)
    level = annual_level(counts, unscored=unscored, missing=missing, rules=rules)
    return AnnualQuality(level, len(meetings), counts["tot"], unscored, missing)


def annual_level(
    counts: dict[str, int], *, unscored: int, missing: int, rules: ScoringRules
) -> str | None:
    """The year's level from how many meetings got each level (the rule of the module)."""
    if unscored:
        return None
    if not sum(counts.values()):
        # Nothing held: Kém once months have passed; nothing to judge before that.
        return "kem" if missing else None
    if counts.get("kem", 0):
        return "kem"
    lowest = min(RANK[level] for level, n in counts.items() if n)
    tot_enough = counts.get("tot", 0) >= rules.annual_tot_min_tot_meetings
    if missing == 0 and lowest >= RANK["kha"] and tot_enough:
        return "tot"
    if missing == 0 and lowest >= RANK["trung_binh"]:
        return "kha"
    return "trung_binh"
