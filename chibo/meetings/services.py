"""Changes to meetings: named, atomic actions. Each checks that approved minutes stay
read-only and that nobody else saved the meeting since the form was read."""

from __future__ import annotations

import dataclasses
import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from chibo.lib import history, vntext
from chibo.lib.holidays import move_off_holidays, public_holidays
from chibo.lib.locking import claim
from chibo.lib.richtext import clean_html
from chibo.lib.submissions import once_per_submission
from chibo.meetings import seals, stats
from chibo.meetings.models import (
    PRESENT_STATUSES,
    AgendaItem,
    AgendaTemplate,
    Amendment,
    Attendance,
    AttendanceStatus,
    CalendarFeed,
    Guest,
    ItemKind,
    Meeting,
    MeetingKind,
    MeetingRules,
    MeetingState,
    Speech,
    Task,
    TaskStatus,
    new_token,
)
from chibo.meetings.rules import check_in_opens_at, check_recording_open
from chibo.meetings.votes import vote_errors
from chibo.members.models import (
    ACTIVE_STATUSES,
    AWAY_STATUSES,
    Member,
    MembershipPeriod,
    MemberStatus,
)
from chibo.orgs.models import ProvinceHoliday, Unit

Actor = User | None

DEFAULT_AGENDAS: dict[str, list[tuple[str, str]]] = {
    MeetingKind.REGULAR: [
        (ItemKind.REVIEW, "Kiểm điểm việc thực hiện nghị quyết tháng trước"),
        (ItemKind.SITUATION, "Đánh giá tình hình, kết quả thực hiện nhiệm vụ trong tháng"),
        (ItemKind.CRITICISM, "Tự phê bình và phê bình"),
        (ItemKind.HCM_STUDY, "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh"),
        (ItemKind.NEWS, "Thông tin thời sự, chủ trương, chính sách"),
        (ItemKind.NEXT_TASKS, "Phương hướng, nhiệm vụ tháng tới"),
    ],
    MeetingKind.THEMATIC: [
        (ItemKind.TOPIC, "Trình bày dự thảo báo cáo chuyên đề"),
        (ItemKind.OTHER, "Thảo luận, đóng góp ý kiến"),
        (ItemKind.NEXT_TASKS, "Kết luận và phân công hoàn thiện chuyên đề"),
    ],
    MeetingKind.EXTRAORDINARY: [(ItemKind.OTHER, "Nội dung sinh hoạt bất thường")],
}
DEFAULT_AGENDAS[MeetingKind.COMBINED] = [
    *DEFAULT_AGENDAS[MeetingKind.REGULAR][:-1],
    (ItemKind.TOPIC, "Sinh hoạt chuyên đề"),
    DEFAULT_AGENDAS[MeetingKind.REGULAR][-1],
]


def _check_open(meeting: Meeting) -> None:
    if meeting.is_locked:
        raise ValidationError(
            _("These minutes are approved and read-only; record an amendment instead.")
        )


def lock_meeting(
    meeting: Meeting, *, version: int | None = None, open_only: bool = True, bump: bool = True
) -> Meeting:
    """The one way into a change of a meeting or of anything recorded with it (attendance,
    agenda, speeches, guests, tasks, vote, score, amendments), called first inside the
    writer's transaction. It takes the meeting's row lock until the transaction ends and
    reads the meeting again under it (into `meeting`, which the caller read earlier, without
    a lock, perhaps before someone approved it); refuses a change to approved minutes
    unless `open_only` is False; and takes the meeting's next version, refusing when
    someone saved it since `version` (the one the form was read at; None: whatever it is
    now). So two writers of one meeting run one after the other, and the second judges what
    the first left: nothing is added to minutes after they are sealed. `bump=False` is for
    changes that leave the minutes as they are (the progress of a task)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_meeting is called inside the writer's transaction")
    # The cell read with the meeting stays: the lock guards the meeting and what is recorded
    # with it, not the cell, and a meeting never changes cell (one query less a write).
    unit = meeting.unit if Meeting.unit.is_cached(meeting) else None
    meeting.refresh_from_db(from_queryset=Meeting.objects.select_for_update())
    if unit is not None and unit.pk == meeting.unit_id:
        meeting.unit = unit
    if open_only:
        _check_open(meeting)
    if bump:
        claim(meeting, version)
    elif version is not None and version != meeting.version:
        claim(meeting, version)  # refuses: the form was read at an older version
    return meeting


def _record(obj: Any, by: Actor) -> None:
    obj._history_user = by


def _local_month(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date().replace(day=1)


def _agenda(kind: str) -> list[tuple[str, str]]:
    template = AgendaTemplate.objects.filter(kind=kind).first()
    if template is not None and template.items:
        return [(str(k), str(t)) for k, t in template.items]
    return DEFAULT_AGENDAS[kind]


@transaction.atomic
@once_per_submission
def plan_meeting(
    *,
    unit: Unit,
    kind: str,
    scheduled_at: datetime.datetime,
    place: str,
    by: Actor,
    topic: str = "",
    submission: uuid.UUID | None = None,
) -> Meeting:
    """Plan a meeting of a cell, with the agenda of its kind (once per `submission`)."""
    if not unit.kind.holds_meetings:
        raise ValidationError(_("Only party cells hold these meetings."))
    if not unit.is_active(timezone.localtime(scheduled_at).date()):
        raise ValidationError(_("The cell is closed on that day."))
    if kind in (MeetingKind.THEMATIC, MeetingKind.COMBINED) and not topic.strip():
        raise ValidationError({"topic": _("A thematic meeting needs its topic.")})
    meeting = Meeting(
        unit=unit,
        kind=kind,
        month=_local_month(scheduled_at),
        scheduled_at=scheduled_at,
        place=place.strip(),
        topic=topic.strip(),
        created_by=by,
    )
    _record(meeting, by)
    meeting.save()
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, order=n, kind=item_kind, title=title)
        for n, (item_kind, title) in enumerate(_agenda(kind), start=1)
    )
    return meeting


@dataclass(frozen=True)
class Move:
    """A meeting the year planner put on another day than asked, and why (PLAN-1)."""

    meeting: Meeting
    asked: datetime.date
    reason: str


@dataclass
class Schedule:
    """What the year planner made: the meetings, and those it moved off a holiday."""

    meetings: list[Meeting] = dataclasses.field(default_factory=list)
    moves: list[Move] = dataclasses.field(default_factory=list)

    def move_lines(self) -> list[str]:
        return [
            _("%(asked)s is %(reason)s: the meeting is on %(day)s.")
            % {
                "asked": move.asked.strftime("%d/%m/%Y"),
                "reason": move.reason,
                "day": timezone.localtime(move.meeting.scheduled_at).strftime("%d/%m/%Y"),
            }
            for move in self.moves
        ]


@transaction.atomic
def generate_schedule(
    *,
    unit: Unit,
    year: int,
    day: int,
    hour: int,
    place: str,
    thematic_months: tuple[int, ...] = (3, 6, 9, 12),
    topic: str = "",
    by: Actor,
) -> Schedule:
    """A year of monthly meetings on `day` at `hour`; in `thematic_months` the regular and
    thematic meetings share the session. Months that already have a meeting are left. A
    day that is a public holiday or one of the province's days off moves to the next free
    day of its month (PLAN-1), and the result says why."""
    if not 1 <= day <= 28:
        raise ValidationError({"day": _("Choose a day from 1 to 28: every month has it.")})
    rules = MeetingRules.for_unit(unit, on=datetime.date(year, 1, 1))
    closed = {
        **public_holidays(
            year, tet_days_before=rules.tet_days_before, tet_days_after=rules.tet_days_after
        ),
        **ProvinceHoliday.days_of(unit, year),
    }
    planned = set(
        Meeting.objects.filter(unit=unit, month__year=year)
        .exclude(state=MeetingState.CANCELLED)
        .exclude(kind=MeetingKind.EXTRAORDINARY)
        .values_list("month__month", flat=True)
    )
    schedule = Schedule()
    zone = timezone.get_current_timezone()
    for month in range(1, 13):
        if month in planned:
            continue
        combined = month in thematic_months
        asked = datetime.date(year, month, day)
        on, reason = move_off_holidays(asked, closed)
        meeting = plan_meeting(
            unit=unit,
            kind=MeetingKind.COMBINED if combined else MeetingKind.REGULAR,
            scheduled_at=datetime.datetime.combine(on, datetime.time(hour), tzinfo=zone),
            place=place,
            topic=(topic or _("Topic to be chosen")) if combined else "",
            by=by,
        )
        schedule.meetings.append(meeting)
        if on != asked:
            schedule.moves.append(Move(meeting, asked, reason))
    return schedule


@transaction.atomic
def edit_meeting(
    *,
    meeting: Meeting,
    kind: str,
    scheduled_at: datetime.datetime,
    place: str,
    topic: str,
    by: Actor,
    version: int | None = None,
) -> Meeting:
    """Change a planned meeting (a generated schedule is edited this way); a change of
    date is not a postponement, which keeps its reason."""
    lock_meeting(meeting, version=version)
    if meeting.state != MeetingState.PLANNED:
        raise ValidationError(_("Only a planned meeting is edited; postpone or cancel it instead."))
    if kind in (MeetingKind.THEMATIC, MeetingKind.COMBINED) and not topic.strip():
        raise ValidationError({"topic": _("A thematic meeting needs its topic.")})
    meeting.kind = kind
    meeting.scheduled_at = scheduled_at
    meeting.month = _local_month(scheduled_at)
    meeting.place = place.strip()
    meeting.topic = topic.strip()
    _record(meeting, by)
    meeting.save()
    return meeting


@transaction.atomic
def postpone_meeting(
    *, meeting: Meeting, to: datetime.datetime, reason: str, by: Actor, version: int | None = None
) -> Meeting:
    lock_meeting(meeting, version=version)
    if meeting.state not in (MeetingState.PLANNED, MeetingState.POSTPONED):
        raise ValidationError(_("Only a meeting not yet held can be postponed."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason.")})
    meeting.scheduled_at = to
    meeting.state = MeetingState.POSTPONED
    meeting.state_reason = reason.strip()
    _record(meeting, by)
    meeting.save()
    return meeting


@transaction.atomic
def cancel_meeting(
    *, meeting: Meeting, reason: str, by: Actor, version: int | None = None
) -> Meeting:
    lock_meeting(meeting, version=version)
    if meeting.state not in (MeetingState.PLANNED, MeetingState.POSTPONED):
        raise ValidationError(_("Only a meeting not yet held can be cancelled."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason.")})
    meeting.state = MeetingState.CANCELLED
    meeting.state_reason = reason.strip()
    _record(meeting, by)
    meeting.save()
    return meeting


PREPARATION_FIELDS = [
    "drafter",
    "committee_met_on",
    "notified_on",
    "materials_published_on",
    "draft_resolution",
]


@transaction.atomic
def save_preparation(
    *, meeting: Meeting, data: dict[str, Any], by: Actor, version: int | None = None
) -> Meeting:
    lock_meeting(meeting, version=version)
    drafter = data.get("drafter")
    if drafter is not None and drafter.unit_id != meeting.unit_id:
        raise ValidationError({"drafter": _("The drafter must be a member of the cell.")})
    for field in PREPARATION_FIELDS:
        if field in data:
            setattr(meeting, field, data[field])
    meeting.draft_resolution = clean_html(meeting.draft_resolution)
    _record(meeting, by)
    meeting.save()
    return meeting


def attendance_roster(meeting: Meeting) -> list[tuple[Member, Attendance | None]]:
    """The members who belong on the attendance sheet: the cell's members on the day of
    the meeting and those temporarily attached to it, with their row if recorded. The
    members come without their units: the sheet compares `unit_id` and `attached_to_id`
    (reading the two units cost a quarter of the read, twice in each save of the sheet)."""
    day = timezone.localtime(meeting.scheduled_at).date()
    members = list(Member.objects.on_sheet_of(meeting.unit, day).in_vietnamese_order())
    rows = {a.member_id: a for a in meeting.attendance.all()}
    return [(m, rows.get(m.pk)) for m in members]


def statuses_on_day(meeting: Meeting, member_ids: list[int]) -> dict[int, str]:
    """Each member's status on the day of the meeting, from the membership periods (their
    status today when no period covers the day), in one query."""
    day = timezone.localtime(meeting.scheduled_at).date()
    return dict(
        MembershipPeriod.objects.covering(day)
        .filter(member_id__in=member_ids)
        .values_list("member_id", "status")
    )


# Suspended or detained members may not attend (domain.md §5; QĐ 24-QĐ/TW 9.3.2): they are
# absent for that reason, never present and never checked in.
BARRED_STATUSES = (MemberStatus.SUSPENDED, MemberStatus.DETAINED)


def attendance_so_far(meeting: Meeting) -> tuple[list[Attendance], int]:
    """The attendance rows of `meeting` with a row not yet saved for each member of the
    roster nobody has recorded (status unknown, unless they are exempted or attached
    elsewhere), and how many those are: mid-meeting, when only the members who checked in
    have a row, the counts then still read the cell's official members."""
    roster = attendance_roster(meeting)
    on_day = statuses_on_day(meeting, [m.pk for m, row in roster if row is None])
    rows = []
    unrecorded = 0
    for member, row in roster:
        if row is None:
            then = on_day.get(member.pk, member.status)
            status = default_status(member, meeting, then)
            row = Attendance(
                meeting=meeting,
                member=member,
                status="" if status == AttendanceStatus.PRESENT else status,
                member_status=then if then in ACTIVE_STATUSES else MemberStatus.OFFICIAL,
                attached_from_elsewhere=member.unit_id != meeting.unit_id,
            )
            unrecorded += 1
        rows.append(row)
    return rows, unrecorded


def default_status(member: Member, meeting: Meeting, status: str | None = None) -> str:
    status = status or member.status
    if status == MemberStatus.EXEMPTED:
        return AttendanceStatus.EXEMPTED
    if status in AWAY_STATUSES:
        return AttendanceStatus.ABSENT_EXCUSED
    if member.unit_id == meeting.unit_id and member.attached_to_id is not None:
        return AttendanceStatus.ATTACHED_ELSEWHERE
    return AttendanceStatus.PRESENT


def _row_error(message: str, member: Member, **more: Any) -> ValidationError:
    """An error of one member's row of the attendance sheet: the form marks that row
    (`params["member"]`)."""
    return ValidationError(
        message % {"name": member, **more}, code="attendance_row", params={"member": member.pk}
    )


# The fields of an attendance row the sheet writes.
SHEET_FIELDS = ["status", "reason", "member_status", "attached_from_elsewhere"]


@transaction.atomic
def record_attendance(
    *,
    meeting: Meeting,
    entries: dict[int, tuple[str, str]],
    by: Actor,
    version: int | None = None,
) -> list[Attendance]:
    """Write the attendance sheet: `entries` maps each member to (status, reason)."""
    lock_meeting(meeting, version=version)
    if meeting.state == MeetingState.CANCELLED:
        raise ValidationError(_("A cancelled meeting has no attendance."))
    check_recording_open(meeting, _("the attendance"))
    on_sheet = attendance_roster(meeting)
    roster = {m.pk: m for m, _row in on_sheet}
    unknown = set(entries) - set(roster)
    if unknown:
        raise ValidationError(_("Some of these people are not members of the cell that day."))
    on_day = statuses_on_day(meeting, list(entries))
    errors = []
    for member_id, (status, reason) in list(entries.items()):
        member_status = on_day.get(member_id, roster[member_id].status)
        if status not in AttendanceStatus.values:
            errors.append(
                _row_error(_("%(name)s: choose an attendance status."), roster[member_id])
            )
        if member_status in BARRED_STATUSES and status in PRESENT_STATUSES:
            errors.append(
                _row_error(
                    _("%(name)s is %(status)s that day and cannot attend."),
                    roster[member_id],
                    status=MemberStatus(member_status).label.lower(),
                )
            )
        if member_status in AWAY_STATUSES and not reason.strip():
            # The decision is the reason: the status is written in the reason column.
            reason = str(MemberStatus(member_status).label)
            entries[member_id] = (status, reason)
        if status == AttendanceStatus.ABSENT_EXCUSED and not reason.strip():
            errors.append(
                _row_error(_("%(name)s: give the reason for the absence."), roster[member_id])
            )
    if errors:
        raise ValidationError(errors)
    # Read with the roster, under the meeting's lock (only the roster's rows are written).
    existing = {member.pk: row for member, row in on_sheet if row is not None}
    rows = []
    added: list[Attendance] = []
    changed: list[Attendance] = []
    refigure = False  # whether what the rollups read of the rows changed
    for member_id, (status, reason) in entries.items():
        member = roster[member_id]
        row = existing.get(member_id) or Attendance(meeting=meeting, member=member)
        rows.append(row)
        status_then = on_day.get(member_id, member.status)
        wanted = (
            status,
            reason.strip()
            if status in (AttendanceStatus.ABSENT_EXCUSED, AttendanceStatus.ABSENT_UNEXCUSED)
            else "",
            status_then if status_then in ACTIVE_STATUSES else MemberStatus.OFFICIAL,
            member.unit_id != meeting.unit_id,
        )
        held = (row.status, row.reason, row.member_status, row.attached_from_elsewhere)
        if row.pk is not None and held == wanted:
            # Unchanged: a sheet saved again writes (and records in the history) only the
            # rows that changed; the month's end sees each sheet saved many times.
            continue
        before = stats.row_figures(row if row.pk is not None else None)
        row.status, row.reason, row.member_status, row.attached_from_elsewhere = wanted
        refigure = refigure or stats.row_figures(row) != before
        _record(row, by)
        (changed if row.pk is not None else added).append(row)
    # Written, with their history, a statement per kind rather than two per row: a first
    # save of a sheet of 32 is 4 statements instead of 64.
    marked = history.bulk_reason()
    if added:
        bulk_create_with_history(added, Attendance, default_change_reason=marked)
    if changed:
        # An update per set of values written (a sheet saved again changes a few rows, to two
        # or three statuses) rather than Django's `bulk_update`, whose CASE over every row
        # and field was a quarter of the save; then their history, as `bulk_update` would.
        by_values: dict[tuple[Any, ...], list[int]] = {}
        for row in changed:
            by_values.setdefault(tuple(getattr(row, f) for f in SHEET_FIELDS), []).append(row.pk)
        for values, pks in by_values.items():
            written = dict(zip(SHEET_FIELDS, values, strict=True))
            Attendance.objects.filter(pk__in=pks).update(**written)
        bulk_update_with_history(changed, Attendance, [], default_change_reason=marked)
    if refigure:
        stats.refresh(meeting)
    return rows


# Members may check themselves in from half an hour before the meeting (TIME-1,
# `check_in_opens_at`) until it ends (or four hours after its start when no end is
# recorded); after 15 minutes they are late.
CHECKIN_CLOSES = datetime.timedelta(hours=4)
LATE_AFTER = datetime.timedelta(minutes=15)


@transaction.atomic
def check_in(
    *, meeting: Meeting, member: Member, by: Actor, version: int | None = None
) -> Attendance:
    """A member marks their own presence by scanning the meeting's QR code."""
    # Members check in while the secretary is typing the minutes: a check-in leaves the
    # meeting's version as it is, so that it does not refuse the secretary's next save. The
    # row lock still orders it against approval.
    lock_meeting(meeting, version=version, bump=False)
    now = timezone.now()
    start = meeting.started_at or meeting.scheduled_at
    end = meeting.ended_at or start + CHECKIN_CLOSES
    if meeting.state == MeetingState.CANCELLED or not (check_in_opens_at(start) <= now <= end):
        raise ValidationError(_("Check-in is open only while the meeting is on."))
    # The membership period that puts the member on the sheet that day gives their status
    # then too: one query.
    day = timezone.localtime(meeting.scheduled_at).date()
    status_then = (
        MembershipPeriod.objects.on_sheet_of(meeting.unit_id, day)
        .filter(member=member)
        .values_list("status", flat=True)
        .first()
    )
    if status_then is None:
        raise ValidationError(_("You are not on this meeting's attendance list."))
    if status_then in BARRED_STATUSES:
        raise ValidationError(
            _("A member who is %(status)s cannot check in.")
            % {"status": MemberStatus(status_then).label.lower()}
        )
    found = Attendance.objects.filter(meeting=meeting, member=member).first()
    before = stats.row_figures(found)
    row = found or Attendance(
        meeting=meeting,
        member=member,
        member_status=status_then if status_then in ACTIVE_STATUSES else MemberStatus.OFFICIAL,
        attached_from_elsewhere=member.unit_id != meeting.unit_id,
    )
    row.status = AttendanceStatus.LATE if now > start + LATE_AFTER else AttendanceStatus.PRESENT
    row.reason = ""
    row.checked_in_at = now
    _record(row, by)
    row.save()
    if stats.row_figures(row) != before:  # not a second scan of the code
        stats.refresh(meeting)
    return row


MINUTES_FIELDS = [
    "chair",
    "minutes_secretary",
    "started_at",
    "ended_at",
    "conclusion",
    "resolution",
]


@transaction.atomic
def save_minutes(
    *,
    meeting: Meeting,
    data: dict[str, Any],
    item_notes: dict[int, str],
    by: Actor,
    version: int | None = None,
) -> Meeting:
    """Write the minutes: who chaired, the times, each item, the conclusion, the resolution.
    Saving minutes marks the meeting as held."""
    lock_meeting(meeting, version=version)
    if meeting.state == MeetingState.CANCELLED:
        raise ValidationError(_("A cancelled meeting has no minutes."))
    check_recording_open(meeting, _("the minutes"))
    for field in ("chair", "minutes_secretary"):
        person = data.get(field)
        if person is not None and person.unit_id != meeting.unit_id:
            raise ValidationError({field: _("Choose a member of the cell.")})
    start, end = data.get("started_at"), data.get("ended_at")
    if start and end and end <= start:
        raise ValidationError({"ended_at": _("The meeting must end after it starts.")})
    # What the rollups read of the meeting itself (chibo.meetings.stats): its state and its
    # length. The texts, typed and autosaved many times a meeting, leave them as they are.
    figures = (meeting.state, meeting.duration_minutes)
    for field in MINUTES_FIELDS:
        if field in data:
            setattr(meeting, field, data[field])
    meeting.conclusion = clean_html(meeting.conclusion)
    meeting.resolution = clean_html(meeting.resolution)
    if meeting.state in (MeetingState.PLANNED, MeetingState.POSTPONED):
        meeting.state = MeetingState.HELD
    _record(meeting, by)
    meeting.save()
    for item in meeting.items.all() if item_notes else ():
        if item.pk in item_notes:
            notes = clean_html(item_notes[item.pk])
            if notes != item.notes:
                item.notes = notes
                _record(item, by)
                item.save()
    if (meeting.state, meeting.duration_minutes) != figures:
        stats.refresh(meeting)
    return meeting


@transaction.atomic
@once_per_submission
def add_guest(
    *,
    meeting: Meeting,
    name: str,
    title: str,
    is_upper_attendee: bool,
    by: Actor,
    version: int | None = None,
    submission: uuid.UUID | None = None,
) -> Guest:
    lock_meeting(meeting, version=version)
    if not name.strip():
        raise ValidationError({"name": _("Give the guest's name.")})
    guest = Guest.objects.create(
        meeting=meeting,
        name=vntext.nfc(name),
        title=vntext.nfc(title),
        is_upper_attendee=is_upper_attendee,
    )
    stats.refresh(meeting)
    return guest


@transaction.atomic
def note_upper_attendee(*, meeting: Meeting, name: str, title: str) -> bool:
    """Add the upper-level member who attended to the guests of minutes still being
    written (supervision calls this when a visit is recorded). Approved minutes stay as the
    meeting approved them: the visit itself is the record of the attendance then, and
    nothing is written here (False)."""
    lock_meeting(meeting, open_only=False, bump=False)
    if meeting.is_locked:
        return False
    if not meeting.guests.filter(name=vntext.nfc(name), is_upper_attendee=True).exists():
        Guest.objects.create(
            meeting=meeting, name=vntext.nfc(name), title=vntext.nfc(title), is_upper_attendee=True
        )
        claim(meeting, None)  # the minutes changed: forms read before are out of date
        stats.refresh(meeting)
    return True


@transaction.atomic
@once_per_submission
def add_agenda_item(
    *,
    meeting: Meeting,
    title: str,
    kind: str,
    by: Actor,
    version: int | None = None,
    submission: uuid.UUID | None = None,
) -> AgendaItem:
    """Adjust the agenda of one meeting: a new item goes last."""
    lock_meeting(meeting, version=version)
    last = meeting.items.order_by("-order").values_list("order", flat=True).first() or 0
    item = AgendaItem(meeting=meeting, order=last + 1, kind=kind, title=vntext.nfc(title))
    _record(item, by)
    item.save()
    return item


@transaction.atomic
def remove_agenda_item(*, item: AgendaItem, by: Actor, version: int | None = None) -> None:
    lock_meeting(item.meeting, version=version)
    if item.speeches.exists() or item.notes:
        raise ValidationError(_("This item already has minutes: clear them first."))
    _record(item, by)
    item.delete()


@transaction.atomic
@once_per_submission
def add_speech(
    *,
    item: AgendaItem,
    member: Member,
    gist: str,
    by: Actor,
    version: int | None = None,
    submission: uuid.UUID | None = None,
) -> Speech:
    lock_meeting(item.meeting, version=version)
    check_recording_open(item.meeting, _("the minutes"))
    if member.unit_id != item.meeting.unit_id and member.attached_to_id != item.meeting.unit_id:
        raise ValidationError({"member": _("Choose a member of the cell.")})
    if not gist.strip():
        raise ValidationError({"gist": _("Write the gist of what was said.")})
    speech = Speech(item=item, member=member, gist=clean_html(gist))
    _record(speech, by)
    speech.save()
    stats.refresh(item.meeting)
    return speech


@transaction.atomic
def record_vote(
    *,
    meeting: Meeting,
    votes_for: int,
    against: int,
    abstain: int,
    by: Actor,
    version: int | None = None,
) -> Meeting:
    """Record the vote on the resolution. The votes cast cannot be more than the official
    members present who may vote (QĐ 24-QĐ/TW 9.3.2, `chibo.meetings.votes`)."""
    lock_meeting(meeting, version=version)
    check_recording_open(meeting, _("the vote"))
    counts = meeting.attendance_counts()
    errors = vote_errors(
        {"votes_for": votes_for, "votes_against": against, "votes_abstain": abstain},
        counts.roll,
        required=("votes_for", "votes_against", "votes_abstain"),
    )
    if errors:
        raise ValidationError(errors)
    meeting.votes_for, meeting.votes_against, meeting.votes_abstain = votes_for, against, abstain
    _record(meeting, by)
    meeting.save()
    return meeting


@transaction.atomic
@once_per_submission
def add_task(
    *,
    meeting: Meeting,
    title: str,
    deadline: datetime.date,
    by: Actor,
    owner: Member | None = None,
    owned_by_committee: bool = False,
    version: int | None = None,
    submission: uuid.UUID | None = None,
) -> Task:
    lock_meeting(meeting, version=version)
    if owner is None and not owned_by_committee:
        raise ValidationError(
            {"owner": _("Give the task an owner: a member or the cell committee.")}
        )
    if owner is not None and owner.unit_id != meeting.unit_id:
        raise ValidationError({"owner": _("Choose a member of the cell.")})
    task = Task(
        meeting=meeting,
        title=title.strip(),
        deadline=deadline,
        owner=owner,
        owned_by_committee=owned_by_committee and owner is None,
    )
    _record(task, by)
    task.save()
    return task


@transaction.atomic
def update_task(*, task: Task, status: str, progress: str, by: Actor) -> Task:
    """Tasks move on after approval too: their progress is reviewed at later meetings
    (not part of the sealed minutes, so the meeting's version stays)."""
    lock_meeting(task.meeting, open_only=False, bump=False)
    task.refresh_from_db(from_queryset=Task.objects.select_for_update())
    if status not in TaskStatus.values:
        raise ValidationError({"status": _("Choose a status.")})
    task.status = status
    if progress.strip():
        stamp = timezone.localdate().strftime("%d/%m/%Y")
        task.progress = f"{task.progress}\n{stamp}: {progress.strip()}".strip()
    task.done_on = timezone.localdate() if status == TaskStatus.DONE else None
    _record(task, by)
    task.save()
    return task


@transaction.atomic
def approve_minutes(*, meeting: Meeting, by: Actor, version: int | None = None) -> Meeting:
    lock_meeting(meeting, version=version)
    check_recording_open(meeting, _("the approval of the minutes"))
    missing = meeting.missing_for_approval()
    if missing:
        raise ValidationError(
            _("The minutes still lack: %(items)s.") % {"items": ", ".join(str(m) for m in missing)}
        )
    meeting.state = MeetingState.APPROVED
    meeting.approved_at = timezone.now()
    meeting.approved_by = by
    _record(meeting, by)
    meeting.save()
    seals.seal_minutes(meeting)
    return meeting


QUALITY_LABELS = {"tot": "Tốt", "kha": "Khá", "trung_binh": "Trung bình", "kem": "Kém"}


def set_quality_level(*, meeting: Meeting, level: str) -> None:
    """Keep the final quality level on the meeting row (scoring calls this when a score
    changes, in the same transaction); it also reaches approved minutes."""
    if level and level not in QUALITY_LABELS:
        raise ValidationError(_("Unknown quality level."))
    Meeting.objects.filter(pk=meeting.pk).update(quality_level=level)
    meeting.quality_level = level
    stats.refresh(meeting)


AMENDABLE = {"conclusion": _("chair's conclusion"), "resolution": _("resolution")}


@transaction.atomic
@once_per_submission
def amend_minutes(
    *,
    meeting: Meeting,
    field: str,
    text: str,
    reason: str,
    by: Actor,
    version: int | None = None,
    submission: uuid.UUID | None = None,
) -> Amendment:
    """Correct approved minutes: the original stays beside the correction."""
    lock_meeting(meeting, version=version, open_only=False)
    if not meeting.is_locked:
        raise ValidationError(_("Minutes not yet approved are edited directly."))
    if field not in AMENDABLE:
        raise ValidationError({"field": _("This part of the minutes cannot be amended.")})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the minutes are corrected.")})
    amendment = Amendment.objects.create(
        meeting=meeting,
        field=field,
        before=getattr(meeting, field),
        after=clean_html(text),
        reason=reason.strip(),
        made_by=by,
    )
    setattr(meeting, field, amendment.after)
    _record(meeting, by)
    meeting.save()
    seals.seal_minutes(meeting, amendment)
    return amendment


@transaction.atomic
def renew_calendar_feed(*, user: User) -> tuple[CalendarFeed, bool]:
    """The person's calendar addresses: made the first time, given a new token after (the
    old addresses stop working). Returns the feed and whether it was new."""
    feed, created = CalendarFeed.objects.select_for_update().get_or_create(user=user)
    if not created:
        feed.token = new_token()
        feed.save(update_fields=["token"])
    return feed, created
