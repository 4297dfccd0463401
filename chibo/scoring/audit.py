"""Stored annual classifications checked against the rule book (docs/rules.md, "Annual
quality and classification"): a decided level that the rules refuse, or that exceeds the
quota of its group. Each check reads in bulk and asks `classification.check_rating`,
the rules' one home."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from chibo.lib.audit import AuditScope, Violation, covers
from chibo.lib.batches import batches
from chibo.lib.dates import months_ended
from chibo.meetings.models import Attendance, Meeting
from chibo.members.models import MemberStatus
from chibo.orgs.models import Unit
from chibo.scoring.annual import UNSCORED_KINDS, meetings_quality, unit_months
from chibo.scoring.classification import (
    COMMUNE_LEVEL,
    CURRENT,
    NOT_RATED_WHILE,
    RATED_STATUSES,
    Evidence,
    Finding,
    check_rating,
    expected_rows,
    left_out_in,
    quota_counts,
    record_from_rows,
)
from chibo.scoring.compliance import HELD
from chibo.scoring.models import AnnualRating, MeetingScore, ScoringRules, Step

# A decided level breaks the rule book when a rule refuses it, or when it exceeds the
# quota (which only warns while the decision is taken, unless the province makes it block).
QUOTA_RULE = "ANNUAL-11"


def _breaches(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.blocking or f.rule == QUOTA_RULE]


class _Rules:
    """The settings in force at each year's end, per province, read once each."""

    def __init__(self) -> None:
        self.kept: dict[tuple[str, int], ScoringRules] = {}

    def __call__(self, unit: Unit, year: int) -> ScoringRules:
        key = (unit.path[: unit.steplen], year)
        if key not in self.kept:
            self.kept[key] = ScoringRules.for_unit(unit, on=datetime.date(year, 12, 31))
        return self.kept[key]


def _decided(scope: AuditScope, *, cells: bool) -> list[AnnualRating]:
    ratings = AnnualRating.objects.filter(
        scope.units(), member__isnull=cells, decided_level__gt=""
    ).select_related("unit", "member")
    if scope.year is not None:
        ratings = ratings.filter(year=scope.year)
    return list(ratings.order_by("unit__path", "year", "member_id"))


@covers("ANNUAL-2", "ANNUAL-3", "ANNUAL-4", "ANNUAL-5", "ANNUAL-6", "ANNUAL-11")
def cell_classifications(scope: AuditScope) -> Iterator[Violation]:
    """Decided classifications of cells that the rules refuse (ANNUAL-2 to 6) or that
    exceed the quota of the cells under one commune-level unit (ANNUAL-11)."""
    ratings = _decided(scope, cells=True)
    if not ratings:
        return
    rules_for = _Rules()
    years = {r.year for r in ratings}
    ids = [r.unit_id for r in ratings]
    scores = dict(
        MeetingScore.objects.filter(
            meeting__unit_id__in=ids, meeting__month__year__in=years, meeting__state__in=HELD
        ).values_list("meeting_id", "upper_level")
    )
    cell_scores = dict(
        MeetingScore.objects.filter(
            meeting__unit_id__in=ids, meeting__month__year__in=years, meeting__state__in=HELD
        ).values_list("meeting_id", "cell_level")
    )
    meetings: dict[tuple[int, int], list[tuple[int, str, str]]] = {}
    for pk, unit_id, month, kind in Meeting.objects.filter(
        unit_id__in=ids, month__year__in=years, state__in=HELD
    ).values_list("pk", "unit_id", "month", "kind"):
        level = scores.get(pk) or cell_scores.get(pk) or ""
        meetings.setdefault((unit_id, month.year), []).append((month.month, kind, level))
    member_levels: dict[tuple[int, int], list[str]] = {}
    for unit_id, year, current in (
        AnnualRating.objects.filter(unit_id__in=ids, year__in=years, member__isnull=False)
        .annotate(current=CURRENT)
        .values_list("unit_id", "year", "current")
    ):
        member_levels.setdefault((unit_id, year), []).append(current or "")
    # The quota group of each cell: its nearest commune-level unit.
    communes = set(
        Unit.objects.filter(kind__level__lte=COMMUNE_LEVEL).values_list("path", flat=True)
    )
    group_of: dict[int, str] = {}
    for r in ratings:
        path, step = r.unit.path, r.unit.steplen
        above = [path[:end] for end in range(len(path) - step, 0, -step) if path[:end] in communes]
        group_of[r.pk] = above[0] if above else path
    condition = Q()
    for path in set(group_of.values()):
        condition |= Q(unit__path__startswith=path)
    group_rows = list(
        AnnualRating.objects.filter(
            condition, year__in=years, member__isnull=True, unit__kind__holds_meetings=True
        )
        .annotate(current=CURRENT)
        .values_list("pk", "unit__path", "year", "current")
    )
    for rating in ratings:
        year, unit = rating.year, rating.unit
        rules = rules_for(unit, year)
        owed = unit_months(unit, year, months_ended(year))
        group = group_of[rating.pk]
        others = [
            current or ""
            for pk, path, y, current in group_rows
            if y == year and pk != rating.pk and path.startswith(group)
        ]
        others_excellent, others_good = quota_counts(others)
        evidence = Evidence(
            is_cell=True,
            meeting_quality=meetings_quality(
                meetings.get((unit.pk, year), []),
                len(owed),
                tot_needed=rules.annual_tot_min_tot_meetings,
            ),
            member_levels=member_levels.get((unit.pk, year), []),
            kem_criterion=rating.kem_criterion,
            targets_percent=rating.targets_percent,
            disciplined=rating.disciplined,
            others_excellent=others_excellent,
            others_good=others_good,
        )
        findings = check_rating(rating.decided_level, evidence, rules, step=Step.DECIDE)
        url = reverse("scoring:rate_cell", args=[unit.code]) + f"?year={year}"
        record = _("Classification %(year)s — %(unit)s") % {"year": year, "unit": unit.name}
        for finding in _breaches(findings):
            yield Violation(finding.rule, record, url, finding.message)


@covers("ANNUAL-1", "ANNUAL-2", "ANNUAL-3", "ANNUAL-4", "ANNUAL-10", "ANNUAL-11")
def member_classifications(scope: AuditScope) -> Iterator[Violation]:
    """Decided classifications of members that the rules refuse (ANNUAL-1 to 4, 10) or
    that exceed the quota of their cell (ANNUAL-11)."""
    ratings = _decided(scope, cells=False)
    if not ratings:
        return
    rules_for = _Rules()
    years = {r.year for r in ratings}
    rows: dict[tuple[int, int], list[tuple[str, datetime.date]]] = {}
    # STATUS-2: each member's rows without those in a status the province leaves out at the
    # year's end (read once per province and year).
    unit_of = {r.member_id: r.unit for r in ratings}
    left_out: dict[tuple[str, int], frozenset[str]] = {}
    attendance = (
        row
        for members in batches(sorted(pk for pk in unit_of if pk is not None))
        for row in expected_rows(
            Attendance.objects.filter(
                member_id__in=members, meeting__month__year__in=years, meeting__state__in=HELD
            ),
            frozenset(),
        )
        .order_by("member_id", "meeting__scheduled_at")
        .values_list("member_id", "status", "member_status", "meeting__month")
    )
    for member_id, status, member_status, month in attendance:
        unit = unit_of[member_id]
        key = (unit.path[: unit.steplen], month.year)
        if key not in left_out:
            left_out[key] = left_out_in(unit, month.year)
        if member_status in left_out[key]:
            continue
        rows.setdefault((member_id, month.year), []).append((status, month))
    levels: dict[tuple[int, int], list[tuple[int, str]]] = {}
    for member_id, unit_id, year, current in (
        AnnualRating.objects.filter(
            unit_id__in={r.unit_id for r in ratings}, year__in=years, member__isnull=False
        )
        .annotate(current=CURRENT)
        .values_list("member_id", "unit_id", "year", "current")
    ):
        levels.setdefault((unit_id, year), []).append((member_id, current or ""))
    rated = (*RATED_STATUSES, MemberStatus.EXEMPTED, *NOT_RATED_WHILE)
    for rating in ratings:
        member, year = rating.member, rating.year
        assert member is not None
        others = [lv for pk, lv in levels.get((rating.unit_id, year), []) if pk != member.pk]
        others_excellent, others_good = quota_counts(others)
        evidence = Evidence(
            exempted=member.status == MemberStatus.EXEMPTED,
            barred=member.status in NOT_RATED_WHILE,
            record=record_from_rows(rows.get((member.pk, year), [])),
            kem_criterion=rating.kem_criterion,
            targets_percent=rating.targets_percent,
            disciplined=rating.disciplined,
            others_excellent=others_excellent,
            others_good=others_good,
        )
        if member.status not in rated:
            continue  # left the party or the cell: the record stands as it was decided
        findings = check_rating(
            rating.decided_level, evidence, rules_for(rating.unit, year), step=Step.DECIDE
        )
        url = reverse("scoring:rate_member", args=[member.pk]) + f"?year={year}"
        record = _("Classification %(year)s — %(member)s (%(unit)s)") % {
            "year": year,
            "member": member.full_name,
            "unit": rating.unit.name,
        }
        for finding in _breaches(findings):
            yield Violation(finding.rule, record, url, finding.message)


@covers("ANNUAL-12")
def scored_extraordinary_meetings(scope: AuditScope) -> Iterator[Violation]:
    """ANNUAL-12: a score recorded for a meeting of a kind that is not scored."""
    query = scope.units("meeting__unit__") & Q(meeting__kind__in=UNSCORED_KINDS)
    if scope.year is not None:
        query &= Q(meeting__month__year=scope.year)
    meetings = Meeting.objects.filter(
        pk__in=MeetingScore.objects.filter(query).values("meeting_id")
    ).select_related("unit")
    for meeting in meetings.order_by("pk"):
        yield Violation(
            "ANNUAL-12",
            str(meeting),
            meeting.get_absolute_url(),
            _("A score is recorded for an extraordinary meeting, which is not scored."),
        )


CHECKS = (cell_classifications, member_classifications, scored_extraordinary_meetings)
