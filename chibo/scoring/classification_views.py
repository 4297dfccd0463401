"""Annual classification pages: the board of a unit, the rating of a cell or a member,
and the XLSX of a unit's results."""

from __future__ import annotations

import dataclasses
import tempfile
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chibo.lib import seal
from chibo.lib.downloads import file_name, name_download
from chibo.lib.http import actor, add_validation_errors, page_param, year_param
from chibo.lib.replica import reads_from_replica
from chibo.lib.xlsx import Sheet, write_workbook
from chibo.members.access import get_member_for_user
from chibo.members.models import Member, MemberStatus
from chibo.orgs.access import get_unit_for_user, has_perm
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm
from chibo.scoring import seals
from chibo.scoring.access import discipline_rule
from chibo.scoring.classification import (
    CURRENT,
    RATED_STATUSES,
    check_rating,
    evidence_for,
    not_rated_because,
    rate,
    rules_for_year,
)
from chibo.scoring.compliance import cell_compliance
from chibo.scoring.models import AnnualRating, Classification, Level, ScoringRules, Step

LEVELS = dict(Classification.choices)


RATED = RATED_STATUSES


class RatingForm(forms.Form):
    step = forms.ChoiceField(label=gettext_lazy("Step"), widget=forms.RadioSelect)
    level = forms.ChoiceField(
        label=gettext_lazy("Level"), choices=Classification.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=gettext_lazy("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    kem_criterion = forms.BooleanField(
        label=gettext_lazy("A criterion of the year is rated Kém"), required=False
    )
    targets_percent = forms.IntegerField(
        label=gettext_lazy("Targets of the year met (%)"),
        min_value=0,
        max_value=100,
        required=False,
    )
    disciplined = forms.BooleanField(
        label=gettext_lazy("Disciplined during the year"), required=False
    )
    reason = forms.CharField(
        label=gettext_lazy("Why the decided classification is corrected"),
        help_text=gettext_lazy("Only to correct a decided classification: kept beside it."),
        max_length=300,
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    year = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, steps: list[str], decided: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not decided:
            del self.fields["reason"]
        field = self.fields["step"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(value, Step(value).label) for value in steps]


def _allowed_steps(
    request: HttpRequest, unit: Unit, member: Member | None, rating: AnnualRating | None
) -> list[str]:
    user = request.user
    if member is not None and member.status not in RATED:
        return []
    decided = bool(rating and rating.decided_level)
    steps = []
    own = member is not None and member.user_id is not None and member.user_id == user.pk
    if not decided and (own or has_perm(user, Perm.ASSESS, unit)):
        steps.append(Step.SELF.value)
    if not decided and rating and rating.self_level and has_perm(user, Perm.VERIFY_RATINGS, unit):
        steps.append(Step.VERIFY.value)
    if rating and rating.verified_level and has_perm(user, Perm.DECIDE_RATINGS, unit):
        steps.append(Step.DECIDE.value)
    return steps


def _rating_page(
    request: HttpRequest, unit: Unit, member: Member | None, here: str
) -> HttpResponse:
    year = year_param(request)
    rating = (
        AnnualRating.objects.filter(year=year, unit=unit, member=member)
        .select_related("self_by", "verified_by", "decided_by")
        .first()
    )
    steps = _allowed_steps(request, unit, member, rating)
    initial: dict[str, Any] = {"version": rating.version if rating else 0, "year": year}
    if steps:
        initial["step"] = steps[-1]
    if rating is not None:
        initial.update(
            level=rating.level or None,
            kem_criterion=rating.kem_criterion,
            targets_percent=rating.targets_percent,
            disciplined=rating.disciplined,
        )
    form = RatingForm(
        request.POST or None,
        steps=steps,
        decided=bool(rating and rating.decided_level),
        initial=initial,
    )
    if rating is not None and rating.discipline_recorded:
        # A recorded discipline is a fact no step can clear: the box shows it, locked.
        form.fields["disciplined"].disabled = True
    if request.method == "POST":
        if not steps:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                _rating, warnings = rate(
                    unit=unit,
                    year=year,
                    member=member,
                    step=data["step"],
                    level=data["level"],
                    note=data["note"],
                    kem_criterion=data["kem_criterion"],
                    targets_percent=data["targets_percent"],
                    disciplined=data["disciplined"],
                    version=data["version"],
                    reason=data.get("reason", ""),
                    by=actor(request),
                )
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, _("The classification is saved."))
                for finding in warnings:
                    messages.warning(request, finding.message)
                return redirect(f"{here}?year={year}")
    rules = rules_for_year(unit, year)
    evidence = evidence_for(unit, year, member, rating=rating)
    sees_discipline = discipline_rule()(request.user, unit, member)
    # The rules are checked on what the reader may see: the discipline mark, written by
    # supervision, stays out for whoever may not see discipline.
    shown = evidence if sees_discipline else dataclasses.replace(evidence, disciplined=False)
    if rating is not None and rating.level:
        findings = check_rating(rating.level, shown, rules, step=rating.step)
    else:
        # Before any step the page still raises what the cell must consider whatever the
        # level (Điều lệ Art. 8: three months missed without reason).
        findings = [
            f
            for f in check_rating(Classification.COMPLETED, shown, rules, step=Step.SELF)
            if f.rule == "ANNUAL-10"
        ]
    quality = evidence.meeting_quality
    # The steps' notes follow the discipline rule (chibo.scoring.access): free text that
    # may give a discipline or an inspection's conclusion as the reason.
    notes = sees_discipline
    history = (
        [
            (Step.SELF.label, rating.self_level, rating.self_note, rating.self_by, rating.self_at),
            (
                Step.VERIFY.label,
                rating.verified_level,
                rating.verified_note,
                rating.verified_by,
                rating.verified_at,
            ),
            (
                Step.DECIDE.label,
                rating.decided_level,
                rating.decided_note,
                rating.decided_by,
                rating.decided_at,
            ),
        ]
        if rating
        else []
    )
    return render(
        request,
        "scoring/rating.html",
        {
            "unit": unit,
            "member": member,
            "year": year,
            "rating": rating,
            "seal_status": seals.rating_status(rating),
            "amendments": [
                (
                    a,
                    LEVELS.get(a.before.get("level", ""), ""),
                    LEVELS.get(a.after.get("level", ""), ""),
                    _shown_correction(a.before, sees_discipline),
                    _shown_correction(a.after, sees_discipline),
                )
                for a in (rating.amendments.select_related("made_by") if rating else [])
            ],
            "steps": [
                (label, LEVELS.get(level, ""), note if notes else "", by, at)
                for label, level, note, by, at in history
            ],
            "form": form if steps else None,
            "findings": findings,
            "evidence": evidence,
            "quality": quality,
            "quality_label": Level(quality.level).label if quality and quality.level else "",
            "shortfalls": cell_compliance(unit, year) if member is None else [],
            "other_evidence": [
                line
                for path in getattr(settings, "CHIBO_RATING_EVIDENCE", [])
                for line in import_string(path)(request.user, unit, member, year)
            ],
            "sees_discipline": sees_discipline,
            "exempted": member is not None and member.status == MemberStatus.EXEMPTED,
            "not_rated": not_rated_because(member.status) if member is not None else "",
        },
    )


def _shown_correction(content: dict[str, Any], sees: bool) -> dict[str, Any]:
    """An amendment's before or after as the reader may see it: the discipline mark and
    the notes only to those who see discipline (chibo.scoring.access)."""
    if sees:
        return content
    return {**content, "disciplined": False, "note": ""}


def rate_cell(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_MEMBERS)
    if not unit.is_cell:
        raise Http404
    return _rating_page(request, unit, None, reverse("scoring:rate_cell", args=[unit.code]))


def rate_member(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member_for_user(request.user, pk)
    if member.status == MemberStatus.LEFT:
        raise Http404
    return _rating_page(
        request, member.unit, member, reverse("scoring:rate_member", args=[member.pk])
    )


def _cells_below(request: HttpRequest, unit: Unit) -> list[Unit]:
    return list(
        Unit.objects.visible_to(request.user, Perm.VIEW_MEMBERS)
        .cells()
        .filter(path__startswith=unit.path)
        .order_by("path")
        .only("pk", "code", "name", "path", "depth")
    )


def board(request: HttpRequest, code: str) -> HttpResponse:
    """A unit's classification for a year: the cell and its members, or the cells below."""
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_MEMBERS)
    year = year_param(request)
    context: dict[str, Any] = {"unit": unit, "year": year, "levels": LEVELS}
    if unit.is_cell:
        cell_rating = AnnualRating.objects.filter(year=year, unit=unit, member__isnull=True).first()
        ratings = {
            r.member_id: r
            for r in AnnualRating.objects.filter(year=year, unit=unit, member__isnull=False)
        }
        members = list(
            Member.objects.filter(unit=unit)
            .exclude(status=MemberStatus.LEFT)
            .order_by("sort_key", "pk")
            .only("pk", "full_name", "status", "unit_id")
        )
        member_rows = [(m, ratings.get(m.pk), not_rated_because(m.status)) for m in members]
        member_counts = _count([r.level for r in ratings.values()])
        context.update(
            cell_rating=cell_rating,
            member_rows=member_rows,
            member_counts=member_counts,
            quota=_quota_line(member_counts, rules_for_year(unit, year)),
        )
        return render(request, "scoring/classification_cell.html", context)
    cells = _cells_below(request, unit)
    ids = [c.pk for c in cells]
    cell_levels = dict(
        AnnualRating.objects.filter(year=year, unit_id__in=ids, member__isnull=True)
        .annotate(current=CURRENT)
        .values_list("unit_id", "current")
    )
    per_cell: dict[int, dict[str, int]] = {}
    for row in (
        AnnualRating.objects.filter(year=year, unit_id__in=ids, member__isnull=False)
        .annotate(current=CURRENT)
        .values("unit_id", "current")
        .annotate(n=Count("pk"))
    ):
        if row["current"]:
            per_cell.setdefault(row["unit_id"], {})[row["current"]] = row["n"]
    roster = dict(
        Member.objects.filter(unit_id__in=ids, status__in=RATED)
        .values("unit_id")
        .annotate(n=Count("pk"))
        .values_list("unit_id", "n")
    )
    rows: list[tuple[Unit, str, list[int], int]] = []
    for cell in cells:
        counts = per_cell.get(cell.pk, {})
        rows.append(
            (
                cell,
                str(LEVELS.get(cell_levels.get(cell.pk) or "", "")),
                [counts.get(value, 0) for value in Classification.values],
                roster.get(cell.pk, 0) - sum(counts.values()),
            )
        )
    member_totals: dict[str, int] = {}
    for counts in per_cell.values():
        for value, n in counts.items():
            member_totals[value] = member_totals.get(value, 0) + n
    cell_counts = _count([value for value in cell_levels.values() if value])
    rules = rules_for_year(unit, year)
    context.update(
        page=Paginator(rows, 100).get_page(page_param(request)),
        cell_counts=cell_counts,
        cells_unrated=len(cells) - sum(n for _label, n in cell_counts),
        member_counts=_count_from(member_totals),
        members_unrated=sum(roster.values()) - sum(member_totals.values()),
        quota=_quota_line(_count_from(member_totals), rules),
        cell_quota=_quota_line(cell_counts, rules),
    )
    return render(request, "scoring/classification_board.html", context)


def _count(values: list[str]) -> list[tuple[str, int]]:
    return [(str(label), values.count(value)) for value, label in Classification.choices]


def _count_from(totals: dict[str, int]) -> list[tuple[str, int]]:
    return [(str(label), totals.get(value, 0)) for value, label in Classification.choices]


def _quota_line(counts: list[tuple[str, int]], rules: ScoringRules) -> str:
    excellent, good = counts[0][1], counts[1][1]
    base = excellent + good
    if not base:
        return ""
    share = round(100 * excellent / base)
    return _(
        "Excellent: %(n)s of %(base)s rated well or better (%(share)s%%; quota %(quota)s%%)."
    ) % {"n": excellent, "base": base, "share": share, "quota": rules.excellent_quota_percent}


@reads_from_replica()
def export(request: HttpRequest, code: str) -> FileResponse:
    """The classification results of every cell and member below a unit, as XLSX."""
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_MEMBERS)
    year = year_param(request)
    cells = _cells_below(request, unit)
    ids = [c.pk for c in cells]
    ratings = AnnualRating.objects.filter(year=year, unit_id__in=ids).select_related("decided_by")
    by_cell = {r.unit_id: r for r in ratings if r.member_id is None}
    by_member = {r.member_id: r for r in ratings if r.member_id is not None}
    statuses = dict(MemberStatus.choices)
    yes = _("yes")
    sees_discipline = discipline_rule()

    def steps(r: AnnualRating | None, unit: Unit, member: Member | None = None) -> list[Any]:
        if r is None:
            return ["", "", "", "", None, "", "", "", "", ""]
        # The mark and the notes: the field rules of chibo.scoring.access.
        sees = sees_discipline(request.user, unit, member)
        return [
            LEVELS.get(r.self_level, ""),
            LEVELS.get(r.verified_level, ""),
            LEVELS.get(r.decided_level, ""),
            (r.decided_by.get_full_name() or r.decided_by.username) if r.decided_by else "",
            timezone.localtime(r.decided_at).date() if r.decided_at else None,
            yes if r.kem_criterion else "",
            r.targets_percent,
            yes if r.disciplined and sees else "",
            (r.decided_note or r.verified_note or r.self_note) if sees else "",
            seal.display(r.seal) if r.seal else "",
        ]

    step_headers = [
        _("Self-assessment"),
        _("Verified level"),
        _("Decided level"),
        _("Decided by"),
        _("Decided on"),
        _("A criterion rated Kém"),
        _("Targets met (%)"),
        _("Disciplined"),
        _("Notes"),
        _("Seal"),
    ]
    members = (
        Member.objects.filter(unit_id__in=ids)
        .exclude(status=MemberStatus.LEFT)
        .select_related("unit")
        .order_by("unit__path", "sort_key", "pk")
        .only("pk", "full_name", "birth_date", "status", "user_id", "unit__code", "unit__path")
    )

    def member_rows() -> Any:
        for m in members.iterator(chunk_size=2000):
            not_rated = not_rated_because(m.status)
            first = [m.unit.code, m.full_name, m.birth_date, statuses.get(m.status, "")]
            if not_rated:
                yield [*first, not_rated]
            else:
                yield [*first, *steps(by_member.get(m.pk), m.unit, m)]

    title = _("ANNUAL CLASSIFICATION %(year)s — %(unit)s") % {"year": year, "unit": unit.name}
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    write_workbook(
        spool,
        [
            Sheet(
                _("Cells"),
                title,
                [_("Code"), _("Cell"), *step_headers],
                ([c.code, c.name, *steps(by_cell.get(c.pk), c)] for c in cells),
                widths=[12, 32, 24, 24, 24, 20, 12, 10, 10, 10, 30, 26],
            ),
            Sheet(
                _("Members"),
                title,
                [_("Cell"), _("Full name"), _("Date of birth"), _("Status"), *step_headers],
                member_rows(),
                widths=[12, 28, 12, 14, 24, 24, 24, 20, 12, 10, 10, 10, 30, 26],
            ),
        ],
    )
    spool.seek(0)
    response = FileResponse(spool)
    name_download(response, file_name(f"Xếp loại {year} {unit.name}", "xlsx"))
    return response
