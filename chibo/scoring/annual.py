"""A cell's meeting quality over a year, from the levels of its meetings (domain §5).

Default (Phú Thọ rule): Tốt when every meeting of the year is Khá or better and at least
the configured number are Tốt; Khá when every meeting is Trung bình or better; otherwise
Trung bình, or Kém when a meeting was Kém. A month without its regular meeting counts as
a meeting below Trung bình. Meetings not yet scored leave the year undecided.

Only the months the cell existed count (`active_months`): a cell founded in May, or
closed in September, missed no meeting before May or after September. Extraordinary
meetings are not scored and do not count (docs/scoring.md, "Extraordinary meetings").
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from chibo.meetings.models import Meeting, MeetingKind, MeetingState
from chibo.orgs.models import Unit
from chibo.scoring.models import MeetingScore, ScoringRules

RANK = {"tot": 3, "kha": 2, "trung_binh": 1, "kem": 0}
REGULAR_KINDS = (MeetingKind.REGULAR, MeetingKind.COMBINED)


@dataclass(frozen=True)
class AnnualQuality:
    """The year's level and what it rests on."""

    level: str | None  # None while meetings remain unscored
    meetings: int
    tot: int
    unscored: int
    months_without_meeting: int
    months_owed: int = 0  # months of the year that owed a regular meeting

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def active_months(
    active_from: datetime.date | None, closed_on: datetime.date | None, year: int, last: int
) -> list[int]:
    """The months 1..`last` of `year` a unit existed throughout: open on the month's first
    day and not closed before its last (a month it opened or closed in owes no meeting)."""
    return [
        month
        for month in range(1, last + 1)
        if existed_throughout(active_from, closed_on, datetime.date(year, month, 1))
    ]


def existed_throughout(
    active_from: datetime.date | None, closed_on: datetime.date | None, month: datetime.date
) -> bool:
    """Whether a unit existed for the whole month starting on `month` (the rule of
    `active_months`, for the dashboards' cell-months too)."""
    end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    if active_from and active_from > month:
        return False
    return not (closed_on and closed_on <= end)


def unit_months(unit: Unit, year: int, last: int) -> list[int]:
    return active_months(unit.active_from, unit.closed_on, year, last)


# ANNUAL-12: HD 12's sheets score the monthly regular and thematic meetings; an
# extraordinary meeting has its own single matter and no sheet (docs/scoring.md).
UNSCORED_KINDS = frozenset({MeetingKind.EXTRAORDINARY.value})


def is_scored(kind: str) -> bool:
    """Whether a meeting of `kind` is scored and counts in the year's meeting quality."""
    return kind not in UNSCORED_KINDS


def meetings_quality(
    meetings: Iterable[tuple[int, str, str]], owed: int, *, tot_needed: int
) -> AnnualQuality:
    """The year's quality from its meetings, each `(month, kind, level)` with level ""
    (or "unscored") when not scored, when `owed` months owed a regular meeting (the rule
    of the module; `chibo classify` and the classification pages call it)."""
    counted = [m for m in meetings if is_scored(m[1])]
    regular_months = {month for month, kind, _level in counted if kind in REGULAR_KINDS}
    missing = max(0, owed - len(regular_months))
    scored = [level for _m, _k, level in counted if level and level != "unscored"]
    counts = {level: scored.count(level) for level in RANK}
    unscored = len(counted) - len(scored)
    level = annual_level(counts, unscored=unscored, missing=missing, tot_needed=tot_needed)
    return AnnualQuality(level, len(counted), counts["tot"], unscored, missing, owed)


def annual_meeting_quality(unit: Unit, year: int, *, months: int = 12) -> AnnualQuality:
    """The quality of `unit`'s meetings over the first `months` months of `year`, the
    months it existed only."""
    rules = ScoringRules.for_unit(unit, on=datetime.date(year, 12, 31))
    meetings = list(
        Meeting.objects.filter(
            unit=unit,
            month__year=year,
            month__month__lte=months,
            state__in=[MeetingState.HELD, MeetingState.APPROVED],
        ).values_list("pk", "month", "kind")
    )
    scores = {
        meeting_id: upper or cell
        for meeting_id, upper, cell in MeetingScore.objects.filter(
            meeting_id__in=[pk for pk, _m, _k in meetings]
        ).values_list("meeting_id", "upper_level", "cell_level")
    }
    owed = unit_months(unit, year, months)
    return meetings_quality(
        [(m.month, kind, scores.get(pk) or "") for pk, m, kind in meetings],
        len(owed),
        tot_needed=rules.annual_tot_min_tot_meetings,
    )


def annual_level(
    counts: dict[str, int], *, unscored: int, missing: int, tot_needed: int
) -> str | None:
    """The year's level from how many meetings got each level."""
    if unscored:
        return None
    if not sum(counts.values()):
        # Nothing held: Kém once months have passed; nothing to judge before that.
        return "kem" if missing else None
    if counts.get("kem", 0):
        return "kem"
    lowest = min(RANK[level] for level, n in counts.items() if n)
    tot_enough = counts.get("tot", 0) >= tot_needed
    if missing == 0 and lowest >= RANK["kha"] and tot_enough:
        return "tot"
    if missing == 0 and lowest >= RANK["trung_binh"]:
        return "kha"
    return "trung_binh"
