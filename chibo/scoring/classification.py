"""The annual classification of cells and members (domain §6).

Four levels, three steps (self-assessment → verification by the advisory body → decision),
each step kept with who and when. The rules of QĐ 366-QĐ/TW are checked on every step
and explained: some refuse the level (`Finding.blocking`), the others warn. The year's
meeting record is the evidence: for a cell, the quality of its meetings and its
compliance shortfalls; for a member, attendance and participation.

The checks themselves (`check_rating`) are a pure function of the evidence so that
they can be tested on their boundaries without a database.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.lib import seal
from chibo.lib.dates import months_ended
from chibo.meetings.models import (
    PRESENT_STATUSES,
    Attendance,
    AttendanceStatus,
    MeetingRules,
    Speech,
    Task,
    TaskStatus,
)
from chibo.members.models import Member, MemberStatus
from chibo.orgs.models import Unit
from chibo.scoring import seals
from chibo.scoring.annual import AnnualQuality, annual_meeting_quality
from chibo.scoring.compliance import HELD
from chibo.scoring.models import (
    CLASSIFICATION_RANK,
    AnnualRating,
    Classification,
    RatingAmendment,
    RatingTally,
    ScoringRules,
    Step,
)

# Months of unexcused absence in a year after which the cell considers removing a member
# from the rolls (Điều lệ Đảng, Art. 8): the Charter's number, not a province setting.
ART8_MONTHS = 3

Actor = User | None


@dataclass(frozen=True)
class Finding:
    """One rule checked against a proposed level; `rule` is its id in docs/rules.md."""

    message: str
    blocking: bool = False
    rule: str = ""


@dataclass(frozen=True)
class MemberCounts:
    """A cell's members for the older "excellent cell" rule."""

    rated: int = 0
    at_least_good: int = 0
    not_completed: int = 0
    unrated: int = 0

    @classmethod
    def of(cls, levels: list[str]) -> MemberCounts:
        return cls(
            rated=sum(1 for value in levels if value),
            at_least_good=sum(1 for value in levels if value and CLASSIFICATION_RANK[value] >= 2),
            not_completed=sum(1 for value in levels if value == Classification.FAILED),
            unrated=sum(1 for value in levels if not value),
        )


@dataclass(frozen=True)
class MemberRecord:
    """A member's year in the meeting record."""

    expected: int = 0
    present: int = 0
    excused: int = 0
    unexcused: int = 0
    longest_absence: int = 0
    speeches: int = 0
    tasks: int = 0
    tasks_done: int = 0
    # Months of the year in which the member missed a meeting without reason (Art. 8).
    months_unexcused: int = 0

    @property
    def rate(self) -> int | None:
        return round(100 * self.present / self.expected) if self.expected else None


@dataclass(frozen=True)
class Evidence:
    """What the rules look at, besides the level proposed."""

    exempted: bool = False
    # A member suspended from party activity or detained when rated (ANNUAL-1).
    barred: bool = False
    kem_criterion: bool = False
    targets_percent: int | None = None
    disciplined: bool = False
    # A cell: the year's meeting quality (None while undecided) and the current levels
    # of its members (empty string for a member not yet rated).
    is_cell: bool = False
    meeting_quality: AnnualQuality | None = None
    member_levels: list[str] = field(default_factory=list)
    # Counts given directly (`chibo classify`); otherwise read from `member_levels`.
    members: MemberCounts | None = None
    # A member: attendance and participation.
    record: MemberRecord | None = None
    # The quota group (the cell's members, or the cells of one commune-level unit):
    # how many others currently hold "excellent" and "good".
    others_excellent: int = 0
    others_good: int = 0


def check_rating(
    level: str, evidence: Evidence, rules: ScoringRules, *, step: str
) -> list[Finding]:
    """The rules of domain §6 applied to `level` (blocking findings refuse it): the one
    home of the annual classification rules, called by the pages, `rate`, the record
    audit, the demo seed and `chibo classify`. Each finding names its rule id."""
    findings: list[Finding] = []
    if evidence.exempted:
        return [
            Finding(
                _("Members exempted from party activity are not rated."),
                blocking=True,
                rule="ANNUAL-1",
            )
        ]
    if evidence.barred:
        return [
            Finding(
                _(
                    "Members suspended from party activity or detained are not rated while "
                    "the status lasts."
                ),
                blocking=True,
                rule="ANNUAL-1",
            )
        ]
    above_failed = level != Classification.FAILED
    forcing: list[tuple[str, str]] = []
    if evidence.kem_criterion:
        forcing.append(("ANNUAL-2", _("a criterion is rated Kém")))
    if (
        evidence.targets_percent is not None
        and evidence.targets_percent < rules.min_targets_percent
    ):
        forcing.append(
            (
                "ANNUAL-3",
                _("only %(n)s%% of the targets were met (less than %(min)s%%)")
                % {"n": evidence.targets_percent, "min": rules.min_targets_percent},
            )
        )
    if evidence.disciplined:
        forcing.append(("ANNUAL-4", _("disciplined during the year")))
    quality = evidence.meeting_quality
    if evidence.is_cell and quality is not None and quality.meetings and quality.level == "kem":
        forcing.append(("ANNUAL-5", _("the quality of the year's meetings is Kém")))
    if evidence.is_cell and quality is not None and not quality.meetings and quality.months_owed:
        forcing.append(
            ("ANNUAL-6", _("no meeting was held in the months of the year the cell existed"))
        )
    if above_failed:
        for rule, reason in forcing:
            findings.append(
                Finding(
                    _("Only “did not complete tasks” is possible: %(reason)s.")
                    % {"reason": reason},
                    blocking=True,
                    rule=rule,
                )
            )
    rank = CLASSIFICATION_RANK[level]
    if evidence.is_cell and quality is not None:
        if not quality.meetings:
            findings.append(Finding(_("No meeting of the year is recorded."), rule="ANNUAL-7"))
        elif quality.level is None and rank >= CLASSIFICATION_RANK["good"]:
            findings.append(
                Finding(
                    _(
                        "The quality of the year's meetings is not decided yet: "
                        "%(n)s meetings are not scored."
                    )
                    % {"n": quality.unscored},
                    rule="ANNUAL-7",
                )
            )
        elif quality.level == "trung_binh" and rank >= CLASSIFICATION_RANK["good"]:
            findings.append(
                Finding(
                    _("The year's meetings were only of average quality (Trung bình)."),
                    rule="ANNUAL-7",
                )
            )
        elif quality.level == "kha" and level == Classification.EXCELLENT:
            findings.append(
                Finding(
                    _("The year's meetings were of fair quality (Khá), not good (Tốt)."),
                    rule="ANNUAL-7",
                )
            )
        if quality.months_without_meeting and rank >= CLASSIFICATION_RANK["good"]:
            findings.append(
                Finding(
                    _("%(n)s months of the year had no regular meeting.")
                    % {"n": quality.months_without_meeting},
                    rule="ANNUAL-7",
                )
            )
    if evidence.is_cell and level == Classification.EXCELLENT:
        counts = evidence.members or MemberCounts.of(evidence.member_levels)
        share = rules.excellent_cell_good_share
        if counts.unrated:
            findings.append(
                Finding(
                    _("%(n)s members are not rated yet.") % {"n": counts.unrated},
                    rule="ANNUAL-8",
                )
            )
        if counts.not_completed:
            findings.append(
                Finding(
                    _("%(n)s members did not complete their tasks; an excellent cell has none.")
                    % {"n": counts.not_completed},
                    rule="ANNUAL-8",
                )
            )
        everyone = counts.rated + counts.unrated
        if everyone and counts.at_least_good * 100 < share * everyone:
            findings.append(
                Finding(
                    _(
                        "%(good)s of %(n)s members completed their tasks well or better; "
                        "an excellent cell has at least %(share)s%%."
                    )
                    % {"good": counts.at_least_good, "n": everyone, "share": share},
                    rule="ANNUAL-8",
                )
            )
    record = evidence.record
    if record is not None and record.months_unexcused >= ART8_MONTHS:
        message = _(
            "Missed party activity without a valid reason in %(n)s months of the year: the "
            "cell considers removing the member from the rolls (Điều lệ Đảng, Art. 8)."
        ) % {"n": record.months_unexcused}
        findings.append(
            Finding(message, blocking=rank >= CLASSIFICATION_RANK["good"], rule="ANNUAL-10")
        )
    if record is not None and rank >= CLASSIFICATION_RANK["good"]:
        if record.longest_absence > rules.max_consecutive_absences:
            findings.append(
                Finding(
                    _("Absent from %(n)s meetings in a row during the year.")
                    % {"n": record.longest_absence},
                    rule="ANNUAL-9",
                )
            )
        if record.unexcused:
            findings.append(
                Finding(
                    _("%(n)s unexcused absences during the year.") % {"n": record.unexcused},
                    rule="ANNUAL-9",
                )
            )
    if level == Classification.EXCELLENT and step != Step.SELF:
        excellent = evidence.others_excellent + 1
        base = excellent + evidence.others_good
        if excellent * 100 > rules.excellent_quota_percent * base:
            findings.append(
                Finding(
                    _(
                        "%(n)s of the %(base)s rated “completed tasks well” or better would be "
                        "excellent, more than the quota of %(quota)s%%."
                    )
                    % {"n": excellent, "base": base, "quota": rules.excellent_quota_percent},
                    blocking=rules.quota_blocks,
                    rule="ANNUAL-11",
                )
            )
    return findings


# Evidence read from the database -------------------------------------------------------


def rules_for_year(unit: Unit, year: int) -> ScoringRules:
    """The settings a year is classified with: those in force at its end."""
    return ScoringRules.for_unit(unit, on=datetime.date(year, 12, 31))


def record_from_rows(
    rows: list[tuple[str, datetime.date]], speeches: int = 0, tasks: int = 0, tasks_done: int = 0
) -> MemberRecord:
    """A member's year from her attendance rows `(status, meeting month)` in meeting order,
    exempted and attached-elsewhere rows left out."""
    longest = streak = 0
    for status, _month in rows:
        streak = 0 if status in PRESENT_STATUSES else streak + 1
        longest = max(longest, streak)
    statuses = [s for s, _m in rows]
    return MemberRecord(
        expected=len(rows),
        present=sum(1 for s in statuses if s in PRESENT_STATUSES),
        excused=sum(1 for s in statuses if s == AttendanceStatus.ABSENT_EXCUSED),
        unexcused=sum(1 for s in statuses if s == AttendanceStatus.ABSENT_UNEXCUSED),
        longest_absence=longest,
        speeches=speeches,
        tasks=tasks,
        tasks_done=tasks_done,
        months_unexcused=len({m.month for s, m in rows if s == AttendanceStatus.ABSENT_UNEXCUSED}),
    )


NOT_EXPECTED = (AttendanceStatus.EXEMPTED, AttendanceStatus.ATTACHED_ELSEWHERE)


def expected_rows(rows: QuerySet[Attendance], left_out: frozenset[str]) -> QuerySet[Attendance]:
    """The attendance rows that count for a member's year: meetings missed while exempted,
    attached elsewhere or on special duty, and in the statuses the province's setting leaves
    out (`left_out`: by default suspended and detained), are not the member's absences
    (`chibo.meetings.votes.expected_to_attend`)."""
    return rows.exclude(status__in=NOT_EXPECTED).exclude(member_status__in=left_out)


def left_out_in(unit: Unit, year: int) -> frozenset[str]:
    """STATUS-2: the statuses the unit's province leaves out of attendance at `year`'s end."""
    return MeetingRules.for_unit(unit, on=datetime.date(year, 12, 31)).not_expected()


def member_record(member: Member, year: int) -> MemberRecord:
    """Attendance and participation of `member` in the meetings held in `year` (3 queries)."""
    rows = list(
        expected_rows(
            Attendance.objects.filter(
                member=member, meeting__month__year=year, meeting__state__in=HELD
            ),
            left_out_in(member.unit, year),
        )
        .order_by("meeting__scheduled_at")
        .values_list("status", "meeting__month")
    )
    speeches = Speech.objects.filter(
        member=member, item__meeting__month__year=year, item__meeting__state__in=HELD
    ).count()
    tasks = Task.objects.filter(owner=member, deadline__year=year).aggregate(
        n=Count("pk"), done=Count("pk", filter=Q(status=TaskStatus.DONE))
    )
    return record_from_rows(rows, speeches, tasks["n"], tasks["done"])


def quota_counts(levels: list[str]) -> tuple[int, int]:
    """How many of `levels` (the others of a quota group) are "excellent" and "good"."""
    return levels.count(Classification.EXCELLENT), levels.count(Classification.GOOD)


# A rating's furthest step's level, as an SQL expression (`.annotate(current=CURRENT)`).
CURRENT = Coalesce(
    NullIf("decided_level", Value("")), NullIf("verified_level", Value("")), "self_level"
)


# ANNUAL-1: who is on a cell's list of members rated for the year. Exempted members are not
# rated (QĐ 366); nor, as chibo reads domain §3 and §5, are members suspended from party
# activity or detained, who take no part in it (QĐ 24 9.3.2) and so can neither assess
# themselves before the cell nor be judged on the year's activity while the status lasts.
# Members on special duty in the armed forces are rated: they remain active members whose
# absence the decision approves (their missed meetings are not absences, STATUS-2).
RATED_STATUSES = (MemberStatus.OFFICIAL, MemberStatus.PROBATIONARY, MemberStatus.SPECIAL_DUTY)
NOT_RATED_WHILE = (MemberStatus.SUSPENDED, MemberStatus.DETAINED)


def not_rated_because(status: str) -> str:
    """Why a member in `status` is not on the rating list (ANNUAL-1; empty: rated)."""
    if status == MemberStatus.EXEMPTED:
        return _("not rated (exempted)")
    if status in NOT_RATED_WHILE:
        return _("not rated (%(status)s)") % {"status": MemberStatus(status).label.lower()}
    return ""


def rated_members(unit: Unit) -> QuerySet[Member]:
    """The members of a cell rated this year (ANNUAL-1): on the roster, not exempted,
    suspended or detained."""
    return Member.objects.filter(unit=unit, status__in=RATED_STATUSES)


# The kind level of commune-level units (Đảng ủy xã / phường / đặc khu / trực thuộc Tỉnh
# ủy, orgs' unit kinds): the cells under one of them form a quota group (docs/scoring.md).
COMMUNE_LEVEL = 30


def quota_unit(unit: Unit) -> Unit:
    """The unit whose cells form `unit`'s quota group: its nearest ancestor of commune
    level or above (the cell itself when it has none), whatever the depth between them."""
    paths = [unit.path[:end] for end in range(unit.steplen, len(unit.path), unit.steplen)]
    above = (
        Unit.objects.filter(path__in=paths, kind__level__lte=COMMUNE_LEVEL)
        .order_by("-depth")
        .first()
    )
    return above or unit


def _quota_counts(year: int, unit: Unit, member: Member | None) -> tuple[int, int]:
    """How many others of the quota group currently hold "excellent" and "good"."""
    if member is not None:
        group = AnnualRating.objects.filter(year=year, unit=unit, member__isnull=False).exclude(
            member=member
        )
    else:
        group = AnnualRating.objects.filter(
            year=year,
            member__isnull=True,
            unit__path__startswith=quota_unit(unit).path,
            unit__kind__holds_meetings=True,
        ).exclude(unit=unit)
    counts = dict(
        group.annotate(current=CURRENT)
        .values("current")
        .annotate(n=Count("pk"))
        .values_list("current", "n")
    )
    return counts.get(Classification.EXCELLENT, 0), counts.get(Classification.GOOD, 0)


def evidence_for(
    unit: Unit,
    year: int,
    member: Member | None = None,
    *,
    rating: AnnualRating | None = None,
) -> Evidence:
    """Everything the rules need about one subject, from the database."""
    others_excellent, others_good = _quota_counts(year, unit, member)
    kem_criterion = rating.kem_criterion if rating else False
    targets_percent = rating.targets_percent if rating else None
    disciplined = rating.disciplined if rating else False
    if member is not None:
        return Evidence(
            exempted=member.status == MemberStatus.EXEMPTED,
            barred=member.status in NOT_RATED_WHILE,
            record=member_record(member, year),
            others_excellent=others_excellent,
            others_good=others_good,
            kem_criterion=kem_criterion,
            targets_percent=targets_percent,
            disciplined=disciplined,
        )
    levels = dict(
        AnnualRating.objects.filter(year=year, unit=unit, member__isnull=False)
        .annotate(current=CURRENT)
        .values_list("member_id", "current")
    )
    return Evidence(
        is_cell=True,
        # Every month of the year that has ended, the months the cell existed only.
        meeting_quality=annual_meeting_quality(unit, year, months=months_ended(year)),
        member_levels=[
            levels.get(pk) or "" for pk in rated_members(unit).values_list("pk", flat=True)
        ],
        others_excellent=others_excellent,
        others_good=others_good,
        kem_criterion=kem_criterion,
        targets_percent=targets_percent,
        disciplined=disciplined,
    )


@transaction.atomic
def rate(
    *,
    unit: Unit,
    year: int,
    member: Member | None = None,
    step: str,
    level: str,
    note: str = "",
    kem_criterion: bool = False,
    targets_percent: int | None = None,
    disciplined: bool = False,
    version: int | None = None,
    reason: str = "",
    by: Actor,
) -> tuple[AnnualRating, list[Finding]]:
    """Record one step of a classification; refuse it when a rule says no.

    Returns the rating and the warnings the rules raised. `version` is the version the
    person saw: a save over someone else's newer save is refused. A decided classification
    is final: deciding again corrects it, which needs a `reason` and is recorded as an
    amendment beside the original decision (who decided and when stay as they were).
    """
    if level not in Classification.values or step not in Step.values:
        raise ValidationError(_("Choose a level."))
    if member is not None and member.unit_id != unit.pk:
        raise ValidationError(_("The member is not in this cell."))
    if not unit.is_cell:
        raise ValidationError(_("Only cells and their members are classified here."))
    rating = (
        AnnualRating.objects.select_for_update().filter(year=year, unit=unit, member=member).first()
    ) or AnnualRating(year=year, unit=unit, member=member)
    if version is not None and version != rating.version:
        raise ValidationError(
            _("Someone else saved this classification meanwhile. Reload the page and try again.")
        )
    if step == Step.VERIFY and not rating.self_level:
        raise ValidationError(_("The self-assessment comes first."))
    if step == Step.DECIDE and not rating.verified_level:
        raise ValidationError(_("The verification comes before the decision."))
    if step != Step.DECIDE and rating.decided_level:
        raise ValidationError(
            _("The classification is decided; only the deciding level can change it.")
        )
    amending = step == Step.DECIDE and bool(rating.decided_level)
    if amending and not reason.strip():
        raise ValidationError(
            {"reason": _("The classification is decided and final: say why it is corrected.")}
        )
    before = _decision(rating)
    rating.kem_criterion = kem_criterion
    rating.targets_percent = targets_percent
    # A discipline recorded by supervision or by the deciding level is a fact: no later
    # step clears it (the deciding level records one by deciding with it ticked).
    rating.disciplined = disciplined or rating.discipline_recorded
    if step == Step.DECIDE and disciplined:
        rating.discipline_recorded = True
    findings = check_rating(
        level,
        evidence_for(unit, year, member, rating=rating),
        rules_for_year(unit, year),
        step=step,
    )
    blocking = [f.message for f in findings if f.blocking]
    if blocking:
        raise ValidationError(blocking)
    now = timezone.now()
    prefix = {Step.SELF: "self", Step.VERIFY: "verified", Step.DECIDE: "decided"}[Step(step)]
    setattr(rating, f"{prefix}_level", level)
    setattr(rating, f"{prefix}_note", note)
    if not amending:
        setattr(rating, f"{prefix}_by", by)
        setattr(rating, f"{prefix}_at", now)
    rating.version += 1
    if rating.decided_level and not amending:
        rating.seal = seal.digest(seals.rating_content(rating, []))
    rating._history_user = by  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            rating.save()
    except IntegrityError:  # someone else made the first save of this rating meanwhile
        raise ValidationError(
            _("Someone else saved this classification meanwhile. Reload the page and try again.")
        ) from None
    if amending:
        _amend(rating, before, reason.strip(), by)
    refresh_tally(unit, year)
    return rating, findings


def _decision(rating: AnnualRating) -> dict[str, Any]:
    """What a decision holds, as an amendment keeps it before and after."""
    return {
        "level": rating.decided_level,
        "note": rating.decided_note,
        "kem_criterion": rating.kem_criterion,
        "targets_percent": rating.targets_percent,
        "disciplined": rating.disciplined,
    }


def _amend(rating: AnnualRating, before: dict[str, Any], reason: str, by: Actor) -> None:
    """Record the correction of a decided (and saved) classification; it carries the seal
    the classification must match from now on, its own seal keeps the decision's."""
    amendment = RatingAmendment.objects.create(
        rating=rating, before=before, after=_decision(rating), reason=reason, made_by=by
    )
    amendment.seal = seal.digest(seals.rating_content(rating))
    amendment.save(update_fields=["seal"])


@transaction.atomic
def note_discipline(*, unit: Unit, year: int, member: Member | None, by: Actor) -> AnnualRating:
    """Mark the year's classification of a cell or member as disciplined (the inspection
    app calls this when it records a discipline). A decided classification is sealed anew:
    the history keeps the decision as it was."""
    rating = AnnualRating.objects.select_for_update().filter(
        year=year, unit=unit, member=member
    ).first() or AnnualRating(year=year, unit=unit, member=member)
    if rating.discipline_recorded:
        return rating
    if rating.disciplined:
        # A step had ticked it already: the decision's content stays as it is, but from now
        # on it is a recorded fact that no later step can clear.
        rating.discipline_recorded = True
        rating._history_user = by  # type: ignore[attr-defined]
        rating.save(update_fields=["discipline_recorded"])
        return rating
    before = _decision(rating)
    rating.disciplined = True
    rating.discipline_recorded = True
    rating.version += 1
    rating._history_user = by  # type: ignore[attr-defined]
    rating.save()
    if rating.decided_level:
        # The decision is final: the discipline reaches it as an amendment beside it.
        _amend(rating, before, _("A discipline was recorded after the decision."), by)
    return rating


# --- tallies for the dashboards ----------------------------------------------------------------


def _tallies(filters: Q) -> list[RatingTally]:
    tallies: dict[tuple[int, int], RatingTally] = {}
    for unit_id, year, member_id, current, n in (
        AnnualRating.objects.filter(filters)
        .annotate(current=CURRENT)
        .values_list("unit_id", "year", "member_id", "current")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        tally = tallies.get((unit_id, year))
        if tally is None:  # not `setdefault`: that would make a tally for every row
            tally = tallies[unit_id, year] = RatingTally(unit_id=unit_id, year=year)
        if not current:
            continue
        if member_id is None:
            tally.cell_level = current
        else:
            setattr(tally, current, getattr(tally, current) + n)
    return list(tallies.values())


def refresh_tally(unit: Unit, year: int) -> None:
    """Recompute the tally of one cell and year (called by `rate`, in its transaction)."""
    RatingTally.objects.filter(unit=unit, year=year).delete()
    RatingTally.objects.bulk_create(_tallies(Q(unit=unit, year=year)))


def rebuild_tallies() -> int:
    with transaction.atomic():
        RatingTally.objects.all().delete()
        rows = _tallies(Q())
        RatingTally.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
