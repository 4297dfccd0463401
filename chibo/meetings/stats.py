"""The rollups: per-meeting figures and per-cell-month sums (architecture: `meetings` owns
them, refreshes them inside the transaction of every change, and `chibo rebuild_rollups`
recomputes them from scratch).

One function, `refresh`, is called by every service that changes what the figures read:
attendance, speeches, times, guests, state, kind and month, the quality level.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from chibo.lib.dates import quarter_of
from chibo.meetings import votes
from chibo.meetings.models import (
    PRESENT_STATUSES,
    Attendance,
    AttendanceStatus,
    CellMonth,
    Guest,
    Meeting,
    MeetingKind,
    MeetingRules,
    MeetingState,
    MeetingStats,
    Speech,
)
from chibo.members.models import Member

# Rows left out of the attendance rate: by the row's mark, and by the member's status that
# day (`chibo.meetings.votes.expected_to_attend`).
HELD = (MeetingState.HELD, MeetingState.APPROVED)
REGULAR = (MeetingKind.REGULAR, MeetingKind.COMBINED)
THEMATIC = (MeetingKind.THEMATIC, MeetingKind.COMBINED)
NOT_EXPECTED = (AttendanceStatus.EXEMPTED, AttendanceStatus.ATTACHED_ELSEWHERE)
LEVEL_FIELDS = {
    "tot": "level_tot",
    "kha": "level_kha",
    "trung_binh": "level_trung_binh",
    "kem": "level_kem",
}
STAT_FIELDS = [
    "expected", "present", "absent_excused", "absent_unexcused", "speakers",
    "leaders_expected", "leaders_present", "leaders_speaking", "upper_attended",
    "duration_minutes",
]  # fmt: skip


def row_figures(row: Attendance | None) -> tuple[object, ...]:
    """What `_meeting_figures` reads of one attendance row (None: no row), so that a save
    that leaves this as it was for every row it writes may leave the figures as they are
    (a sheet saved again with a reason corrected, a member late rather than present, a
    second scan of the check-in code). The member's leadership post is not the row's."""
    if row is None:
        return ()
    status = row.status
    return (
        row.attached_from_elsewhere,
        status in NOT_EXPECTED,
        status in PRESENT_STATUSES,
        status == AttendanceStatus.ABSENT_EXCUSED,
        status == AttendanceStatus.ABSENT_UNEXCUSED,
        row.member_status,
    )


def _left_out(meetings: list[Meeting]) -> dict[int, frozenset[str]]:
    """STATUS-2: the statuses each meeting's province leaves out of the attendance rate on
    the meeting's day (one query a province; `meetings` come with their unit)."""
    in_force: dict[str, Callable[[datetime.date], MeetingRules]] = {}
    result: dict[int, frozenset[str]] = {}
    for meeting in meetings:
        root = meeting.unit.path[: meeting.unit.steplen]
        if root not in in_force:
            in_force[root] = MeetingRules.in_force(meeting.unit)
        day = timezone.localtime(meeting.scheduled_at).date()
        result[meeting.pk] = in_force[root](day).not_expected()
    return result


def _meeting_figures(meetings: list[Meeting]) -> dict[int, MeetingStats]:
    """The figures of `meetings` from their rows (a fixed number of queries)."""
    ids = [m.pk for m in meetings]
    stats = {
        m.pk: MeetingStats(meeting_id=m.pk, duration_minutes=m.duration_minutes) for m in meetings
    }
    leaders: dict[int, set[int]] = {pk: set() for pk in ids}
    left_out = _left_out(meetings)
    for meeting_id, member_id, status, member_status, leader in (
        Attendance.objects.filter(meeting_id__in=ids, attached_from_elsewhere=False)
        .exclude(status__in=NOT_EXPECTED)
        .values_list(
            "meeting_id", "member_id", "status", "member_status", "member__holds_leadership_post"
        )
    ):
        if not votes.expected_to_attend(member_status, left_out[meeting_id]):
            continue
        s = stats[meeting_id]
        present = status in PRESENT_STATUSES
        s.expected += 1
        s.present += present
        s.absent_excused += status == AttendanceStatus.ABSENT_EXCUSED
        s.absent_unexcused += status == AttendanceStatus.ABSENT_UNEXCUSED
        if leader:
            s.leaders_expected += 1
            s.leaders_present += present
            leaders[meeting_id].add(member_id)
    for meeting_id, member_id in (
        # Without the model's ordering, which DISTINCT would otherwise also compare: one
        # row per member who spoke, not per speech.
        Speech.objects.filter(item__meeting_id__in=ids)
        .order_by()
        .values_list("item__meeting_id", "member_id")
        .distinct()
    ):
        stats[meeting_id].speakers += 1
        stats[meeting_id].leaders_speaking += member_id in leaders[meeting_id]
    for meeting_id in (
        Guest.objects.filter(meeting_id__in=ids, is_upper_attendee=True)
        .values_list("meeting_id", flat=True)
        .distinct()
    ):
        stats[meeting_id].upper_attended = True
    return stats


def _cell_month(unit_id: int, month: datetime.date, meetings: list[Meeting]) -> CellMonth:
    row = CellMonth(unit_id=unit_id, month=month, quarter=quarter_of(month))
    for meeting in meetings:
        s: MeetingStats = meeting.stats_cache  # type: ignore[attr-defined]
        row.meetings += 1
        row.regular_held |= meeting.kind in REGULAR
        row.thematic_held |= meeting.kind in THEMATIC
        for name in (
            "expected", "present", "speakers", "leaders_expected", "leaders_present",
            "leaders_speaking",
        ):  # fmt: skip
            setattr(row, name, getattr(row, name) + getattr(s, name))
        row.upper_attended += s.upper_attended
        level = LEVEL_FIELDS.get(meeting.quality_level)
        if level:
            setattr(row, level, getattr(row, level) + 1)
        else:
            row.unscored += 1
    return row


def _compute(
    cell_months: Iterable[tuple[int, datetime.date]],
) -> tuple[list[MeetingStats], list[CellMonth]]:
    keys = set(cell_months)
    if not keys:
        return [], []
    condition = Q()
    for unit_id, month in keys:
        condition |= Q(unit_id=unit_id, month=month)
    meetings = list(Meeting.objects.filter(condition, state__in=HELD).select_related("unit"))
    figures = _meeting_figures(meetings)
    grouped: dict[tuple[int, datetime.date], list[Meeting]] = {key: [] for key in keys}
    for meeting in meetings:
        meeting.stats_cache = figures[meeting.pk]  # type: ignore[attr-defined]
        grouped[(meeting.unit_id, meeting.month)].append(meeting)
    rows = [_cell_month(u, m, ms) for (u, m), ms in grouped.items() if ms]
    return list(figures.values()), rows


@transaction.atomic(savepoint=False)
def refresh(*meetings: Meeting, also: Iterable[tuple[int, datetime.date]] = ()) -> None:
    """Recompute the figures of `meetings` and of their cells' months (and of the cell
    months in `also`, e.g. the month a meeting was moved out of). Inside the writer's
    transaction without a savepoint of its own (two round trips less a save): nothing
    catches its failure, which fails the write."""
    keys = {(m.unit_id, m.month) for m in meetings} | set(also)
    condition = Q()
    for unit_id, month in keys:
        condition |= Q(unit_id=unit_id, month=month)
    # Meetings of these cell-months that are no longer held lose their figures.
    MeetingStats.objects.filter(meeting__in=Meeting.objects.filter(condition)).delete()
    CellMonth.objects.filter(condition).delete()
    stats, rows = _compute(keys)
    MeetingStats.objects.bulk_create(stats)
    CellMonth.objects.bulk_create(rows)


def leadership_changed(member: Member) -> None:
    """The figures count the members holding a leadership post by their present flag: when
    it changes, those of every meeting the member has a row in, and their cell-months, are
    computed again (`members.services.update_member`, settings.CHIBO_LEADERSHIP_CHANGED)."""
    months = set(
        Attendance.objects.filter(member=member)
        .values_list("meeting__unit_id", "meeting__month")
        .distinct()
    )
    if months:
        refresh(also=months)


def rebuild() -> tuple[int, int]:
    """Recompute every rollup from scratch, a month at a time; returns (meetings,
    cell-months)."""
    with transaction.atomic():
        MeetingStats.objects.all().delete()
        CellMonth.objects.all().delete()
        months = list(
            Meeting.objects.filter(state__in=HELD)
            .order_by()
            .values_list("month", flat=True)
            .distinct()
        )
        n_stats = n_rows = 0
        for month in sorted(months):
            meetings = list(
                Meeting.objects.filter(month=month, state__in=HELD).select_related("unit")
            )
            figures = _meeting_figures(meetings)
            grouped: dict[int, list[Meeting]] = {}
            for meeting in meetings:
                meeting.stats_cache = figures[meeting.pk]  # type: ignore[attr-defined]
                grouped.setdefault(meeting.unit_id, []).append(meeting)
            MeetingStats.objects.bulk_create(figures.values(), batch_size=2000)
            CellMonth.objects.bulk_create(
                [_cell_month(unit_id, month, ms) for unit_id, ms in grouped.items()],
                batch_size=2000,
            )
            n_stats += len(figures)
            n_rows += len(grouped)
    return n_stats, n_rows
