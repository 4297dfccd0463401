"""The record audit's checks on meetings (docs/rules.md: "Votes and member statuses", "Time
and roles of a meeting").

Each check reads the records of its scope in bulk (a fixed number of queries) and judges
them with the rule's one function (`chibo.meetings.votes`, `chibo.meetings.rules`); see
chibo.lib.audit.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator

from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chibo.lib.audit import AuditScope, Violation, covers
from chibo.lib.batches import batches
from chibo.meetings import votes
from chibo.meetings.models import (
    PRESENT_STATUSES,
    Attendance,
    Meeting,
    MeetingState,
    Speech,
)
from chibo.meetings.rules import absent_roles, check_in_opens_at, recorded_too_early
from chibo.meetings.services import BARRED_STATUSES
from chibo.members.models import MemberStatus

# A QR check-in writes the row at the moment it stamps (`checked_in_at`): a history row this
# close after its stamp is the check-in itself, which keeps its own window (TIME-1).
CHECK_IN_WRITE = datetime.timedelta(seconds=5)


def _meetings(scope: AuditScope) -> Q:
    query = scope.units()
    if scope.year is not None:
        query &= Q(month__year=scope.year)
    return query


def _within(scope: AuditScope, through: str) -> Q:
    """The same filter as `_meetings`, on records reached through `through` ("meeting__")."""
    query = scope.units(f"{through}unit__")
    if scope.year is not None:
        query &= Q(**{f"{through}month__year": scope.year})
    return query


def _in_key_order(keys: Iterable[int]) -> Iterator[Meeting]:
    """The meetings of `keys` with their cells, in the order of their keys (a batch of keys
    a query)."""
    for batch in batches(sorted(keys)):
        yield from Meeting.objects.filter(pk__in=batch).select_related("unit").order_by("pk")


def _violations(
    rule: str, found: dict[int, datetime.datetime], message: str
) -> Iterator[Violation]:
    """One violation per meeting of `found` (meeting → the earliest moment at fault)."""
    for meeting in _in_key_order(found):
        moment = date_format(timezone.localtime(found[meeting.pk]), "d/m/Y H:i")
        start = date_format(timezone.localtime(meeting.scheduled_at), "d/m/Y H:i")
        yield Violation(
            rule,
            str(meeting),
            meeting.get_absolute_url(),
            message % {"moment": moment, "start": start},
        )


def _earliest(rows: Iterable[tuple[int, datetime.datetime]]) -> dict[int, datetime.datetime]:
    found: dict[int, datetime.datetime] = {}
    for meeting_id, moment in rows:
        if meeting_id not in found or moment < found[meeting_id]:
            found[meeting_id] = moment
    return found


@covers("TIME-1")
def recorded_before_start(scope: AuditScope) -> Iterator[Violation]:
    """TIME-1: attendance, minutes, votes or approval recorded before the meeting's start,
    read from the approval time and the history of the meeting, its attendance rows and its
    speeches (each history row carries when it was written), then from the stored fields
    alone for records loaded without history (`_stored_too_early`). One violation a
    meeting and kind of finding."""
    approved = _earliest(
        (pk, at)
        for pk, at, start in Meeting.objects.filter(
            _meetings(scope), state=MeetingState.APPROVED, approved_at__isnull=False
        ).values_list("pk", "approved_at", "scheduled_at")
        if at is not None and recorded_too_early(at, start)
    )
    # A meeting's own history: the minutes, the vote and the approval set the state to
    # held or approved; the time compared is the one scheduled when the row was written.
    minutes = (
        (pk, at)
        for pk, at, start in Meeting.history.filter(
            _meetings(scope), state__in=[MeetingState.HELD, MeetingState.APPROVED]
        ).values_list("id", "history_date", "scheduled_at")
        if recorded_too_early(at, start)
    )
    speeches = (
        (pk, at)
        for pk, at, start in Speech.history.filter(_within(scope, "item__meeting__"))
        .exclude(history_type="-")
        .values_list("item__meeting_id", "history_date", "item__meeting__scheduled_at")
        if recorded_too_early(at, start)
    )
    written = _earliest([*minutes, *speeches])
    attendance = _earliest(
        (pk, at)
        for pk, at, checked_in, start in Attendance.history.filter(_within(scope, "meeting__"))
        .exclude(history_type="-")
        .values_list("meeting_id", "history_date", "checked_in_at", "meeting__scheduled_at")
        if recorded_too_early(at, start)
        and not (checked_in is not None and at - checked_in < CHECK_IN_WRITE)
    )
    yield from _violations(
        "TIME-1",
        approved,
        _("Minutes approved at %(moment)s, before the meeting's start (%(start)s)."),
    )
    yield from _violations(
        "TIME-1",
        written,
        _("Minutes or the vote recorded at %(moment)s, before the meeting's start (%(start)s)."),
    )
    yield from _violations(
        "TIME-1",
        attendance,
        _("Attendance recorded at %(moment)s, before the meeting's start (%(start)s)."),
    )
    yield from _stored_too_early(scope, seen={*approved, *written, *attendance})


def _stored_too_early(scope: AuditScope, *, seen: set[int]) -> Iterator[Violation]:
    """TIME-1 on the stored fields alone, for records loaded without history (an import,
    the shell), on the meetings not in `seen` (already listed from their history): a meeting
    recorded held or approved, or with attendance other than check-ins, while its start has
    not come; minutes whose recorded end is before the scheduled start; a check-in stamped
    before check-in opened."""
    now = timezone.now()
    written = (
        Meeting.objects.filter(_meetings(scope), scheduled_at__gt=now)
        .filter(
            Q(state__in=[MeetingState.HELD, MeetingState.APPROVED])
            | Q(attendance__isnull=False, attendance__checked_in_at__isnull=True)
        )
        .exclude(pk__in=seen)
        .values_list("pk", flat=True)
        .distinct()
    )
    ahead = dict.fromkeys(written, now)
    yield from _violations(
        "TIME-1",
        ahead,
        _(
            "Minutes or attendance are recorded, though the meeting's start (%(start)s) has "
            "not come (seen %(moment)s)."
        ),
    )
    seen = seen | set(ahead)
    ended = _earliest(
        (pk, end)
        for pk, end, start in Meeting.objects.filter(_meetings(scope), ended_at__isnull=False)
        .exclude(pk__in=seen)
        .values_list("pk", "ended_at", "scheduled_at")
        if end is not None and recorded_too_early(end, start)
    )
    yield from _violations(
        "TIME-1",
        ended,
        _("The minutes say the meeting ended at %(moment)s, before its start (%(start)s)."),
    )
    seen = seen | set(ended)
    stamped = _earliest(
        (pk, at)
        for pk, at, started, start in Attendance.objects.filter(
            _within(scope, "meeting__"), checked_in_at__isnull=False
        )
        .exclude(meeting_id__in=seen)
        .values_list("meeting_id", "checked_in_at", "meeting__started_at", "meeting__scheduled_at")
        if at is not None and at < check_in_opens_at(min(start, started or start))
    )
    yield from _violations(
        "TIME-1",
        stamped,
        _("A check-in is stamped %(moment)s, before check-in opened (start %(start)s)."),
    )


@covers("ROLE-1")
def approved_with_roles_absent(scope: AuditScope) -> Iterator[Violation]:
    """ROLE-1: approved minutes whose chair or minutes secretary is not recorded present."""
    approved = Meeting.objects.filter(_meetings(scope), state=MeetingState.APPROVED)
    roles = {
        pk: (chair, secretary)
        for pk, chair, secretary in approved.filter(
            Q(chair__isnull=False) | Q(minutes_secretary__isnull=False)
        ).values_list("pk", "chair_id", "minutes_secretary_id")
    }
    # Only the chair's and the secretary's rows are read: at most two a meeting.
    present: dict[int, set[int]] = {}
    for meeting_id, member_id in Attendance.objects.filter(
        _within(scope, "meeting__"),
        Q(member_id=F("meeting__chair_id")) | Q(member_id=F("meeting__minutes_secretary_id")),
        meeting__state=MeetingState.APPROVED,
        status__in=PRESENT_STATUSES,
    ).values_list("meeting_id", "member_id"):
        present.setdefault(meeting_id, set()).add(member_id)
    lacking = {
        pk: absent_roles(chair, secretary, present.get(pk, set()))
        for pk, (chair, secretary) in roles.items()
    }
    lacking = {pk: what for pk, what in lacking.items() if what}
    for meeting in _in_key_order(lacking):
        yield Violation(
            "ROLE-1",
            str(meeting),
            meeting.get_absolute_url(),
            _("Minutes approved without %(what)s.")
            % {"what": ", ".join(str(w) for w in lacking[meeting.pk])},
        )


TIME_CHECKS = (recorded_before_start, approved_with_roles_absent)


LABELS = {
    "votes_for": gettext_lazy("For"),
    "votes_against": gettext_lazy("Against"),
    "votes_abstain": gettext_lazy("Abstain"),
}


def _voted_meetings(scope: AuditScope) -> list[Meeting]:
    meetings = Meeting.objects.filter(_meetings(scope), state=MeetingState.APPROVED).exclude(
        votes_for__isnull=True, votes_against__isnull=True, votes_abstain__isnull=True
    )
    return list(
        meetings.select_related("unit").only(
            "pk", "kind", "scheduled_at", "votes_for", "votes_against", "votes_abstain",
            "unit__name",
        )
    )  # fmt: skip


@covers("VOTE-2", "VOTE-3")
def approved_votes(scope: AuditScope) -> Iterator[Violation]:
    """VOTE-2 and VOTE-3: approved minutes whose votes are more than the official members
    present who may vote, or whose figures cannot be (negative, missing beside others)."""
    for meetings in batches(_voted_meetings(scope)):
        yield from _votes_of(meetings)


def _votes_of(meetings: list[Meeting]) -> Iterator[Violation]:
    rows: dict[int, list[Attendance]] = {m.pk: [] for m in meetings}
    for row in Attendance.objects.filter(
        meeting_id__in=list(rows), attached_from_elsewhere=False
    ).only("meeting_id", "status", "member_status"):
        rows[row.meeting_id].append(row)
    for meeting in meetings:
        roll = votes.vote_roll(r.vote_facts() for r in rows[meeting.pk])
        figures = {
            "votes_for": meeting.votes_for,
            "votes_against": meeting.votes_against,
            "votes_abstain": meeting.votes_abstain,
        }
        for problem in votes.vote_problems(
            figures,
            roll,
            required=("votes_for",) if any(v is not None for v in figures.values()) else (),
        ):
            yield Violation(
                problem.rule,
                str(meeting),
                meeting.get_absolute_url(),
                f"{LABELS[problem.field]}: {problem.message}",
            )


@covers("STATUS-3")
def barred_present(scope: AuditScope) -> Iterator[Violation]:
    """STATUS-3: a member suspended or detained that day recorded as present."""
    rows = Attendance.objects.filter(
        scope.units("meeting__unit__"),
        member_status__in=BARRED_STATUSES,
        status__in=votes.PRESENT,
    ).select_related("meeting__unit", "member")
    if scope.year is not None:
        rows = rows.filter(meeting__month__year=scope.year)
    for row in rows:
        yield Violation(
            "STATUS-3",
            str(row.meeting),
            row.meeting.get_absolute_url(),
            _("%(name)s is recorded present while %(status)s.")
            % {"name": row.member, "status": MemberStatus(row.member_status).label.lower()},
        )


VOTE_CHECKS = (approved_votes, barred_present)


CHECKS = (*VOTE_CHECKS, *TIME_CHECKS)
