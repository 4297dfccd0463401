"""Scoring meetings: facts read from the meeting record, the cell's proposal, the upper
level's confirmation. Both scores are kept; the final level goes onto the meeting."""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.lib import seal
from chibo.lib.submissions import once_per_submission
from chibo.meetings.models import (
    Attendance,
    AttendanceStatus,
    ItemKind,
    Meeting,
    MeetingKind,
    MeetingRules,
    MeetingState,
    Speech,
    TaskStatus,
)
from chibo.meetings.services import lock_meeting, set_quality_level
from chibo.meetings.votes import vote_errors
from chibo.members.models import AWAY_STATUSES, Member, MemberStatus
from chibo.scoring import seals
from chibo.scoring.annual import is_scored
from chibo.scoring.engine import (
    COMPUTERS,
    Breakdown,
    EngineSettings,
    FactsError,
    MeetingFacts,
    MemberFact,
    evaluate,
    required_minutes,
)
from chibo.scoring.models import MeetingScore, Rubric, ScoreAmendment, ScoringRules

Actor = User | None
ABSENT = (AttendanceStatus.ABSENT_EXCUSED, AttendanceStatus.ABSENT_UNEXCUSED)
NOT_COUNTED_AS_MISSED = (MemberStatus.EXEMPTED, *AWAY_STATUSES)


def rubric_for(meeting: Meeting) -> Rubric:
    """The rubric a meeting is scored with: the one it was scored with before, else the
    latest version of the default for its kind."""
    if not is_scored(meeting.kind):  # ANNUAL-12
        raise ValidationError(_("Extraordinary meetings are not scored."))
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
        .values_list("member_id", "status", "member_status")
    )
    streak: dict[int, int] = {}
    closed: set[int] = set()
    for member_id, status, member_status in earlier:
        if member_id in closed or member_status in NOT_COUNTED_AS_MISSED:
            # Meetings missed while exempted, suspended, detained or on special duty are
            # not absences of the member's own doing (domain.md §5).
            continue
        if status in ABSENT:
            streak[member_id] = streak.get(member_id, 0) + 1
        else:
            closed.add(member_id)
    facts = []
    for row in home:
        status, attendance = row.vote_facts()
        facts.append(MemberFact(status, attendance, streak.get(row.member_id, 0)))
    return facts


def settings_for(meeting: Meeting) -> EngineSettings:
    """The settings a meeting is scored with: those its score recorded, else the
    province's settings in force on the meeting's day."""
    recorded = MeetingScore.objects.filter(meeting=meeting).values_list("settings", flat=True)
    for data in recorded:
        if data:
            return EngineSettings.from_dict(data)
    day = timezone.localtime(meeting.scheduled_at).date()
    return ScoringRules.for_unit(meeting.unit, on=day).engine_settings()


def minimum_minutes(meetings: list[Meeting]) -> dict[int, int]:
    """How long each meeting must last under the province's settings in force on its day
    (the calendars' length of a meeting without recorded times): a query per province,
    and one for the cells' sizes when a province sets a shorter minimum for small cells."""
    in_force: dict[str, Any] = {}
    rules = {}
    for meeting in meetings:
        root = meeting.unit.path[: meeting.unit.steplen]
        if root not in in_force:
            in_force[root] = ScoringRules.in_force(meeting.unit)
        day = timezone.localtime(meeting.scheduled_at).date()
        rules[meeting.pk] = in_force[root](day).engine_settings()
    sizes: dict[int, int] = {}
    if any(r.small_cell_size for r in rules.values()):
        sizes = dict(
            Member.objects.filter(
                unit_id__in={m.unit_id for m in meetings},
                status__in=[MemberStatus.OFFICIAL, MemberStatus.PROBATIONARY],
            )
            .values("unit_id")
            .annotate(n=Count("pk"))
            .values_list("unit_id", "n")
        )
    return {m.pk: required_minutes(m.kind, sizes.get(m.unit_id, 0), rules[m.pk]) for m in meetings}


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
        settings=settings_for(meeting),
        left_out=MeetingRules.for_unit(
            meeting.unit, on=timezone.localtime(meeting.scheduled_at).date()
        ).not_expected(),
    )


def breakdown(meeting: Meeting, judged: dict[str, int] | None = None) -> Breakdown:
    try:
        return evaluate(facts_from_meeting(meeting, judged), rubric_for(meeting).spec())
    except FactsError as error:
        raise ValidationError(str(error)) from error


def _points(result: Breakdown) -> dict[str, Any]:
    return {c.code: c.points for c in result.criteria}


FINAL = _(
    "The score is confirmed and final. A correction is recorded as an amendment, with its "
    "reason, beside the original."
)


def _locked_score(meeting: Meeting, version: int | None) -> MeetingScore | None:
    """Take the meeting's row lock (every writer of a meeting and its score does, so they
    run one after another) and refuse a form read before someone else's save; then the
    score as it is now."""
    lock_meeting(meeting, version=version, open_only=False)
    return MeetingScore.objects.filter(meeting=meeting).first()


@transaction.atomic
def propose_score(
    *,
    meeting: Meeting,
    judged: dict[str, int],
    members_for: int | None,
    members_against: int | None,
    by: Actor,
    version: int | None = None,
) -> MeetingScore:
    """The cell's score: computed criteria from the record, judged ones as proposed, and
    the members' vote on the proposed level. Refused once the upper level has confirmed."""
    existing = _locked_score(meeting, version)
    if existing is not None and existing.confirmed_at is not None:
        raise ValidationError(FINAL)
    if meeting.state in (MeetingState.PLANNED, MeetingState.POSTPONED, MeetingState.CANCELLED):
        raise ValidationError(_("Only a meeting that was held can be scored."))
    # The members' vote on the proposed level is held to the roll of the resolution's vote.
    errors = vote_errors(
        {"members_for": members_for, "members_against": members_against},
        meeting.attendance_counts().roll,
    )
    if errors:
        raise ValidationError(errors)
    result = breakdown(meeting, judged)
    score = existing or MeetingScore(meeting=meeting, rubric=rubric_for(meeting))
    score.settings = settings_for(meeting).as_dict()
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
    *,
    meeting: Meeting,
    judged: dict[str, int],
    comment: str,
    by: Actor,
    version: int | None = None,
) -> MeetingScore:
    """The attending upper-level member confirms or adjusts the judged points, once: a
    confirmed score is final (a second confirmation, even one sent at the same moment, is
    refused; corrections are amendments)."""
    score = _locked_score(meeting, version)
    if score is None or score.cell_total is None:
        raise ValidationError(_("The cell has not proposed a score yet."))
    if score.confirmed_at is not None:
        raise ValidationError(FINAL)
    result = breakdown(meeting, judged)
    score.upper_points = _points(result)
    score.upper_total = result.total
    score.upper_level = result.level
    score.upper_comment = comment.strip()
    score.confirmed_by = by
    score.confirmed_at = timezone.now()
    score.seal = seal.digest(seals.score_content(score, []))
    score._history_user = by  # type: ignore[attr-defined]
    score.save()
    set_quality_level(meeting=meeting, level=score.final_level)
    return score


def _upper(score: MeetingScore) -> dict[str, Any]:
    return {
        "points": score.upper_points,
        "total": score.upper_total,
        "level": score.upper_level,
        "comment": score.upper_comment,
    }


@transaction.atomic
@once_per_submission
def amend_score(
    *,
    meeting: Meeting,
    judged: dict[str, int],
    comment: str,
    reason: str,
    by: Actor,
    version: int | None = None,
    submission: uuid.UUID | None = None,
) -> ScoreAmendment:
    """Correct a confirmed score: the upper level's points, level and comment change, the
    amendment keeps them as they were, with who, when and why, and is sealed in turn."""
    score = _locked_score(meeting, version)
    if score is None or score.confirmed_at is None:
        raise ValidationError(_("Only a confirmed score is amended; confirm it instead."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the score is corrected.")})
    result = breakdown(meeting, judged)
    before = _upper(score)
    score.upper_points = _points(result)
    score.upper_total = result.total
    score.upper_level = result.level
    score.upper_comment = comment.strip()
    amendment = ScoreAmendment.objects.create(
        score=score, before=before, after=_upper(score), reason=reason.strip(), made_by=by
    )
    amendment.seal = seal.digest(seals.score_content(score))
    amendment.save(update_fields=["seal"])
    score._history_user = by  # type: ignore[attr-defined]
    score.save()
    set_quality_level(meeting=meeting, level=score.final_level)
    return amendment


CODE_PATTERN = re.compile(r"^[0-9]{1,2}[a-z]{0,2}$")
TOTAL_POINTS = 100


def clean_rubric(data: dict[str, Any]) -> dict[str, Any]:
    """Check the content of a rubric version; raise ValidationError naming what is wrong."""
    errors: list[str] = []
    criteria = data.get("criteria") or []
    if not criteria:
        errors.append(_("A rubric needs at least one criterion."))
    codes = [c["code"] for c in criteria]
    for criterion in criteria:
        code = criterion["code"]
        if not CODE_PATTERN.match(code):
            errors.append(
                _("Criterion code %(code)s: use a number and up to two letters, like 3g.")
                % {"code": code}
            )
        if criterion["computed"] and code not in COMPUTERS:
            errors.append(
                _("Criterion %(code)s cannot be computed: only judged points are possible.")
                % {"code": code}
            )
        if not str(criterion["name"]).strip():
            errors.append(_("Criterion %(code)s needs a name.") % {"code": code})
        if not 1 <= criterion["max"] <= TOTAL_POINTS:
            errors.append(
                _("Criterion %(code)s: the points must be from 1 to 100.") % {"code": code}
            )
    duplicated = sorted({code for code in codes if codes.count(code) > 1})
    if duplicated:
        errors.append(
            _("Criterion codes used twice: %(codes)s.") % {"codes": ", ".join(duplicated)}
        )
    total = sum(c["max"] for c in criteria)
    if criteria and total != TOTAL_POINTS:
        errors.append(
            _("The criteria add up to %(total)s points; the sheet has %(n)s.")
            % {"total": total, "n": TOTAL_POINTS}
        )
    thresholds = data.get("thresholds") or {}
    values = [thresholds.get(k) for k in ("tot", "kha", "trung_binh")]
    if not all(isinstance(v, int) for v in values) or not (
        TOTAL_POINTS >= values[0] > values[1] > values[2] > 0  # type: ignore[operator]
    ):
        errors.append(
            _(
                "The thresholds must go down from Tốt to Khá to Trung bình, "
                "from 100 down to 1 point."
            )
        )
    unknown = sorted(set(data.get("full_marks_for_tot") or []) - set(codes))
    if unknown:
        errors.append(
            _("Full marks for Tốt name criteria not in the rubric: %(codes)s.")
            % {"codes": ", ".join(unknown)}
        )
    if errors:
        raise ValidationError(errors)
    return data


@transaction.atomic
@once_per_submission
def new_rubric_version(
    *, code: str, name: str, content: dict[str, Any], by: Actor, submission: uuid.UUID | None = None
) -> Rubric:
    """Add the next version of rubric `code`; meetings scored from now on use it, those
    already scored keep theirs."""
    clean_rubric(content)
    latest = Rubric.objects.select_for_update().filter(code=code).order_by("-version").first()
    if latest is None:
        raise ValidationError(_("No rubric %(code)s is defined.") % {"code": code})
    return Rubric.objects.create(
        code=code,
        version=latest.version + 1,
        name=name.strip() or latest.name,
        criteria=content["criteria"],
        thresholds=content["thresholds"],
        full_marks_for_tot=content["full_marks_for_tot"],
        created_by=by,
    )
