"""Scoring meetings: facts read from the meeting record, the cell's proposal, the upper
level's confirmation. Both scores are kept; the final level goes onto the meeting."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.meetings.models import (
    Attendance,
    AttendanceStatus,
    ItemKind,
    Meeting,
    MeetingKind,
    MeetingState,
    Speech,
    TaskStatus,
)
from chibo.meetings.services import set_quality_level
from chibo.members.models import MemberStatus
from chibo.scoring.engine import Breakdown, FactsError, MeetingFacts, MemberFact, evaluate
from chibo.scoring.models import MeetingScore, Rubric

Actor = User | None
ABSENT = (AttendanceStatus.ABSENT_EXCUSED, AttendanceStatus.ABSENT_UNEXCUSED)


def rubric_for(meeting: Meeting) -> Rubric:
    """The rubric a meeting is scored with: the one it was scored with before, else the
    latest version of the default for its kind."""
    existing = MeetingScore.objects.filter(meeting=meeting).select_related("rubric").first()
    if existing is not None:
        return existing.rubric
    code = "HD12-100-CD" if meeting.kind == MeetingKind.THEMATIC else "HD12-100"
    rubric = Rubric.objects.latest_of(code)
    if rubric is None:
        raise ValidationError(_("No rubric %(code)s is defined.") % {"code": code})
    return rubric


def _member_facts(meeting: Meeting, rows: list[Attendance]) -> list[MemberFact]:
    home = [r for r in rows if not r.attached_from_elsewhere]
    day = timezone.localtime(meeting.scheduled_at)
    # Consecutive absences before this meeting, within the year, per member.
    earlier = (
        Attendance.objects.filter(
            meeting__unit_id=meeting.unit_id,
            meeting__scheduled_at__lt=meeting.scheduled_at,
            meeting__scheduled_at__year=day.year,
            member_id__in=[r.member_id for r in home],
        )
        .exclude(meeting__state=MeetingState.CANCELLED)
        .order_by("member_id", "-meeting__scheduled_at")
        .values_list("member_id", "status")
    )
    streak: dict[int, int] = {}
    closed: set[int] = set()
    for member_id, status in earlier:
        if member_id in closed:
            continue
        if status in ABSENT:
            streak[member_id] = streak.get(member_id, 0) + 1
        else:
            closed.add(member_id)
    facts = []
    for row in home:
        if row.status == AttendanceStatus.ATTACHED_ELSEWHERE:
            status, attendance = "attached_elsewhere", "absent_excused"
        elif row.member_status == MemberStatus.EXEMPTED or row.status == AttendanceStatus.EXEMPTED:
            status = "exempted"
            attendance = row.status if row.status != AttendanceStatus.EXEMPTED else "absent_excused"
        else:
            status = (
                "probationary" if row.member_status == MemberStatus.PROBATIONARY else "official"
            )
            attendance = row.status
        facts.append(MemberFact(status, attendance, streak.get(row.member_id, 0)))
    return facts


def facts_from_meeting(meeting: Meeting, judged: dict[str, int] | None = None) -> MeetingFacts:
    """What the rubric needs, read from the meeting's record (a fixed number of queries)."""
    rows = list(meeting.attendance.all())
    items = {item.kind: item for item in meeting.items.all()}
    speakers = Speech.objects.filter(item__meeting=meeting).values("member_id").distinct().count()
    speech_kinds = set(
        Speech.objects.filter(item__meeting=meeting).values_list("item__kind", flat=True)
    )
    day = timezone.localtime(meeting.scheduled_at).date()
    previous = (
        Meeting.objects.filter(unit_id=meeting.unit_id, scheduled_at__lt=meeting.scheduled_at)
        .exclude(state=MeetingState.CANCELLED)
        .order_by("-scheduled_at")
        .first()
    )
    tasks = list(previous.tasks.values_list("status", flat=True)) if previous else []
    review = items.get(ItemKind.REVIEW)
    criticism = items.get(ItemKind.CRITICISM)
    hcm = items.get(ItemKind.HCM_STUDY)
    return MeetingFacts(
        kind=meeting.kind,
        duration_minutes=meeting.duration_minutes,
        members=_member_facts(meeting, rows),
        speakers=speakers,
        drafter_assigned=meeting.drafter_id is not None,
        committee_met=meeting.committee_met_on is not None,
        members_notified=meeting.notified_on is not None,
        materials_days_before=(day - meeting.materials_published_on).days
        if meeting.materials_published_on
        else None,
        draft_resolution=bool(meeting.draft_resolution.strip()),
        minutes_complete=not meeting.missing_for_approval(),
        has_criticism=bool(criticism and (criticism.notes or ItemKind.CRITICISM in speech_kinds)),
        has_hcm_study=bool(hcm and hcm.notes),
        votes_for=meeting.votes_for,
        votes_against=meeting.votes_against or 0,
        votes_abstain=meeting.votes_abstain or 0,
        previous_tasks_total=len(tasks),
        previous_tasks_done=sum(1 for s in tasks if s == TaskStatus.DONE),
        previous_tasks_reviewed=bool(review and review.notes) or not tasks,
        judged=judged or {},
    )


def breakdown(meeting: Meeting, judged: dict[str, int] | None = None) -> Breakdown:
    try:
        return evaluate(facts_from_meeting(meeting, judged), rubric_for(meeting).spec())
    except FactsError as error:
        raise ValidationError(str(error)) from error


def _points(result: Breakdown) -> dict[str, Any]:
    return {c.code: c.points for c in result.criteria}


@transaction.atomic
def propose_score(
    *,
    meeting: Meeting,
    judged: dict[str, int],
    members_for: int | None,
    members_against: int | None,
    by: Actor,
) -> MeetingScore:
    """The cell's score: computed criteria from the record, judged ones as proposed, and
    the members' vote on the proposed level."""
    if meeting.state in (MeetingState.PLANNED, MeetingState.POSTPONED, MeetingState.CANCELLED):
        raise ValidationError(_("Only a meeting that was held can be scored."))
    result = breakdown(meeting, judged)
    score, _created = MeetingScore.objects.get_or_create(
        meeting=meeting, defaults={"rubric": rubric_for(meeting)}
    )
    score.cell_points = _points(result)
    score.cell_total = result.total
    score.cell_level = result.level
    score.members_for, score.members_against = members_for, members_against
    score.proposed_by = by
    score.proposed_at = timezone.now()
    score._history_user = by  # type: ignore[attr-defined]
    score.save()
    set_quality_level(meeting=meeting, level=score.final_level)
    return score


@transaction.atomic
def confirm_score(
    *, meeting: Meeting, judged: dict[str, int], comment: str, by: Actor
) -> MeetingScore:
    """The attending upper-level member confirms or adjusts the judged points."""
    score = MeetingScore.objects.filter(meeting=meeting).first()
    if score is None or score.cell_total is None:
        raise ValidationError(_("The cell has not proposed a score yet."))
    result = breakdown(meeting, judged)
    score.upper_points = _points(result)
    score.upper_total = result.total
    score.upper_level = result.level
    score.upper_comment = comment.strip()
    score.confirmed_by = by
    score.confirmed_at = timezone.now()
    score._history_user = by  # type: ignore[attr-defined]
    score.save()
    set_quality_level(meeting=meeting, level=score.final_level)
    return score
