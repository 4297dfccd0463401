"""Compliance with the meeting regime (HD 12): what each cell did not do, month by month.

A regular meeting every month, a thematic one every quarter, long enough, well attended,
minutes approved in time, nobody absent too many times in a row. Each shortfall is listed
so that someone can act on it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.lib.dates import months_ended
from chibo.meetings.models import (
    PRESENT_STATUSES,
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingKind,
    MeetingRules,
    MeetingState,
)
from chibo.meetings.votes import DEFAULT_NOT_EXPECTED, expected_to_attend
from chibo.members.models import Member
from chibo.orgs.models import Unit
from chibo.scoring.annual import unit_months
from chibo.scoring.engine import required_minutes
from chibo.scoring.models import ScoringRules

HELD = (MeetingState.HELD, MeetingState.APPROVED)
REGULAR_KINDS = (MeetingKind.REGULAR, MeetingKind.COMBINED)
THEMATIC_KINDS = (MeetingKind.THEMATIC, MeetingKind.COMBINED)


@dataclass(frozen=True)
class Shortfall:
    """One thing the cell did not do, in one period."""

    period: str  # "2026-03", "2026-Q1", "2026"
    message: str


def cell_compliance(
    unit: Unit, year: int, *, today: datetime.date | None = None
) -> list[Shortfall]:
    """The shortfalls of a cell in `year`, up to today."""
    return compliance([unit], year, today=today)[unit.pk]


def compliance(
    cells: list[Unit], year: int, *, today: datetime.date | None = None
) -> dict[int, list[Shortfall]]:
    """The shortfalls of each of `cells` (of one province) in `year`, up to today, in a
    fixed number of queries whatever the number of cells."""
    today = today or timezone.localdate()
    result: dict[int, list[Shortfall]] = {cell.pk: [] for cell in cells}
    if not cells:
        return result
    rules_on = ScoringRules.in_force(cells[0])
    meetings = list(
        Meeting.objects.filter(unit_id__in=list(result), month__year=year, state__in=HELD).order_by(
            "scheduled_at"
        )
    )
    # STATUS-2: the statuses the province leaves out of the rate, on each meeting's day.
    left_out_on = MeetingRules.in_force(cells[0])
    rows = [
        Row(
            meeting_id, member_id, status, attached, member_status,
            left_out_on(timezone.localtime(scheduled_at).date()).not_expected(),
        )
        for meeting_id, member_id, status, attached, member_status, scheduled_at in (
            Attendance.objects.filter(
                meeting__unit_id__in=list(result),
                meeting__month__year=year,
                meeting__state__in=HELD,
            )
            .order_by("meeting__scheduled_at", "pk")
            .values_list(
                "meeting_id", "member_id", "status", "attached_from_elsewhere", "member_status",
                "meeting__scheduled_at",
            )
        )
    ]  # fmt: skip
    by_meeting: dict[int, list[Row]] = {}
    for row in rows:
        by_meeting.setdefault(row.meeting_id, []).append(row)
    by_cell: dict[int, list[Meeting]] = {}
    for meeting in meetings:
        by_cell.setdefault(meeting.unit_id, []).append(meeting)
    months = months_ended(year, today)
    year_end = rules_on(datetime.date(year, 12, 31))
    absent: dict[int, dict[int, int]] = {}
    for cell in cells:
        held_by_cell = by_cell.get(cell.pk, [])
        # Only the months the cell existed owe meetings.
        owed = unit_months(cell, year, months)
        result[cell.pk] = _shortfalls(held_by_cell, by_meeting, year, owed, rules_on)
        absent[cell.pk] = _longest_absences(
            [row for m in held_by_cell for row in by_meeting.get(m.pk, [])],
            year_end.max_consecutive_absences,
        )
    # The names of those absent too often, in one query for all the cells.
    names = dict(
        Member.objects.filter(
            pk__in=[pk for streaks in absent.values() for pk in streaks]
        ).values_list("pk", "full_name")
    )
    for cell_id, streaks in absent.items():
        for member_id, count in sorted(streaks.items(), key=lambda item: names[item[0]]):
            result[cell_id].append(
                Shortfall(
                    str(year),
                    _("%(name)s was absent from %(n)s meetings in a row")
                    % {"name": names[member_id], "n": count},
                )
            )
    return result


class Row(NamedTuple):
    """One attendance row, as the checks read it."""

    meeting_id: int
    member_id: int
    status: str
    attached_from_elsewhere: bool
    member_status: str = ""
    left_out: frozenset[str] = DEFAULT_NOT_EXPECTED

    @property
    def expected(self) -> bool:
        """In the attendance rate and able to miss the meeting (`expected_to_attend`, with
        the statuses the province's setting leaves out on the meeting's day)."""
        return (
            not self.attached_from_elsewhere
            and self.status not in (AttendanceStatus.EXEMPTED, AttendanceStatus.ATTACHED_ELSEWHERE)
            and expected_to_attend(self.member_status, self.left_out)
        )


def _longest_absences(rows: list[Row], limit: int) -> dict[int, int]:
    """Members whose longest run of absences (in meeting order) is over `limit`."""
    streaks: dict[int, int] = {}
    worst: dict[int, int] = {}
    for row in rows:
        if not row.expected:
            continue
        if row.status in PRESENT_STATUSES:
            streaks[row.member_id] = 0
            continue
        streaks[row.member_id] = streaks.get(row.member_id, 0) + 1
        worst[row.member_id] = max(worst.get(row.member_id, 0), streaks[row.member_id])
    return {pk: n for pk, n in worst.items() if n > limit}


def _shortfalls(
    meetings: list[Meeting],
    by_meeting: dict[int, list[Row]],
    year: int,
    owed: list[int],
    rules_on: Callable[[datetime.date], ScoringRules],
) -> list[Shortfall]:
    shortfalls: list[Shortfall] = []
    last = max(owed, default=0)
    for month in range(1, last + 1):
        period = f"{year}-{month:02d}"
        held = [m for m in meetings if m.month.month == month]
        if month in owed and not any(m.kind in REGULAR_KINDS for m in held):
            shortfalls.append(Shortfall(period, _("no regular meeting was held")))
        for meeting in held:
            local = timezone.localtime(meeting.scheduled_at)
            day = local.strftime("%d/%m")
            rules = rules_on(local.date())
            attendance = by_meeting.get(meeting.pk, [])
            minutes = meeting.duration_minutes
            size = sum(
                1
                for a in attendance
                if not a.attached_from_elsewhere and a.status != AttendanceStatus.ATTACHED_ELSEWHERE
            )
            need = required_minutes(meeting.kind, size, rules.engine_settings())
            # The minimum length is HD 12's for the monthly meetings, not extraordinary ones.
            if minutes is not None and minutes < need and meeting.kind != MeetingKind.EXTRAORDINARY:
                shortfalls.append(
                    Shortfall(
                        period,
                        _("the meeting of %(day)s lasted %(n)s minutes, less than %(need)s")
                        % {"day": day, "n": minutes, "need": need},
                    )
                )
            expected = [a for a in attendance if a.expected]
            if expected:
                rate = sum(1 for a in expected if a.status in PRESENT_STATUSES) / len(expected)
                if rate * 100 <= rules.attendance_threshold:
                    shortfalls.append(
                        Shortfall(
                            period,
                            _("attendance at the meeting of %(day)s was %(rate)s%%")
                            % {"day": day, "rate": round(rate * 100)},
                        )
                    )
            end = meeting.ended_at or meeting.scheduled_at
            deadline = end + datetime.timedelta(days=rules.minutes_approval_days)
            approved = meeting.approved_at
            if (approved and approved > deadline) or (not approved and timezone.now() > deadline):
                shortfalls.append(
                    Shortfall(
                        period,
                        _("the minutes of %(day)s were not approved within %(n)s days")
                        % {"day": day, "n": rules.minutes_approval_days},
                    )
                )
    for quarter in range(1, last // 3 + 1):
        months = range(3 * quarter - 2, 3 * quarter + 1)
        if not all(month in owed for month in months):
            continue  # the cell did not exist for the whole quarter
        if not any(m.kind in THEMATIC_KINDS and m.month.month in months for m in meetings):
            shortfalls.append(Shortfall(f"{year}-Q{quarter}", _("no thematic meeting was held")))
    return shortfalls
