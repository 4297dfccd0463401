"""Scoring pages: the cell proposes a meeting's score, the upper level confirms it."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, Value
from django.db.models.functions import Coalesce, NullIf
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chibo.lib.dates import months_ended
from chibo.lib.http import actor, add_validation_errors, page_param, year_param
from chibo.lib.locking import VersionField
from chibo.lib.submissions import SubmissionField
from chibo.meetings.access import get_meeting_for_user
from chibo.meetings.models import Meeting, MeetingKind, MeetingState
from chibo.orgs.access import get_unit_for_user, has_perm
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm
from chibo.scoring import seals, services
from chibo.scoring.annual import RANK, annual_level, annual_meeting_quality, unit_months
from chibo.scoring.compliance import (
    HELD,
    REGULAR_KINDS,
    THEMATIC_KINDS,
    cell_compliance,
    compliance,
)
from chibo.scoring.models import Level, MeetingScore, ScoringRules


class ScoreForm(forms.Form):
    """Points for the judged criteria, plus what each flow adds, and the version of the
    meeting the page was read at (a save over a newer one is refused)."""

    version = VersionField()

    def __init__(
        self, *args: Any, criteria: list[Any], initial_points: dict[str, int], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for criterion in criteria:
            if criterion.computed:
                continue
            self.fields[f"judged_{criterion.code}"] = forms.IntegerField(
                label=f"{criterion.code}. {criterion.name}",
                min_value=0,
                max_value=criterion.max,
                initial=initial_points.get(criterion.code, criterion.max),
                help_text=gettext_lazy("0 to %(max)s points") % {"max": criterion.max},
            )

    def judged(self) -> dict[str, int]:
        return {
            name.removeprefix("judged_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("judged_")
        }


class ProposeForm(ScoreForm):
    members_for = forms.IntegerField(
        label=gettext_lazy("Members agreeing with the level"), min_value=0, required=False
    )
    members_against = forms.IntegerField(
        label=gettext_lazy("Members disagreeing"), min_value=0, required=False
    )


class ConfirmForm(ScoreForm):
    comment = forms.CharField(
        label=gettext_lazy("Observation of the upper-level member"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )


class AmendScoreForm(ConfirmForm):
    """A confirmed score is final: the upper level corrects it with a reason."""

    submission = SubmissionField()

    reason = forms.CharField(label=gettext_lazy("Why the score is corrected"), max_length=300)


def _score_page(request: HttpRequest, pk: int, *, upper: bool) -> HttpResponse:
    perm = Perm.CONFIRM_SCORES if upper else Perm.MANAGE_MEETINGS
    meeting = get_meeting_for_user(request.user, pk, action=perm)
    score = MeetingScore.objects.filter(meeting=meeting).first()
    try:
        rubric = services.rubric_for(meeting)
    except ValidationError as error:  # no rubric defined for this kind of meeting
        messages.error(request, " ".join(error.messages))
        return redirect(meeting)
    spec = rubric.spec()
    previous = (
        (score.upper_points or score.cell_points)
        if score and upper
        else (score.cell_points if score else {})
    )
    final = score is not None and score.confirmed_at is not None
    form_class: type[ScoreForm] = (
        (AmendScoreForm if final else ConfirmForm) if upper else ProposeForm
    )
    initial: dict[str, Any] = {"version": meeting.version}
    if score is not None and not upper:
        initial["members_for"] = score.members_for
        initial["members_against"] = score.members_against
    if score is not None and upper:
        initial["comment"] = score.upper_comment
    form = form_class(
        request.POST or None, criteria=spec.criteria, initial_points=previous, initial=initial
    )
    if request.method == "POST" and final and not upper:
        messages.error(request, services.FINAL)
    elif request.method == "POST" and form.is_valid():
        version = form.cleaned_data["version"]
        try:
            if isinstance(form, AmendScoreForm):
                services.amend_score(
                    meeting=meeting,
                    judged=form.judged(),
                    comment=form.cleaned_data["comment"],
                    reason=form.cleaned_data["reason"],
                    version=version,
                    submission=form.cleaned_data["submission"],
                    by=actor(request),
                )
            elif upper:
                assert isinstance(form, ConfirmForm)
                services.confirm_score(
                    meeting=meeting,
                    judged=form.judged(),
                    comment=form.cleaned_data["comment"],
                    version=version,
                    by=actor(request),
                )
            else:
                assert isinstance(form, ProposeForm)
                services.propose_score(
                    meeting=meeting,
                    judged=form.judged(),
                    members_for=form.cleaned_data["members_for"],
                    members_against=form.cleaned_data["members_against"],
                    version=version,
                    by=actor(request),
                )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The score is saved."))
            # Back to the page just used: the upper level may not open the cell's sheet.
            return redirect("scoring:confirm" if upper else "scoring:meeting", pk=meeting.pk)
    result = services.breakdown(meeting, previous or None)
    names = {c.code: c.name for c in spec.criteria}
    return render(
        request,
        "scoring/meeting_score.html",
        {
            "meeting": meeting,
            "unit": meeting.unit,
            "rubric": rubric,
            "rows": [(names[c.code], c) for c in result.criteria],
            "result": result,
            "score": score,
            "seal_status": seals.score_status(score),
            "amendments": [
                (a, _level_label(a.before.get("level")), _level_label(a.after.get("level")))
                for a in (score.amendments.select_related("made_by") if score else [])
            ],
            "final": final,
            "form": None if final and not upper else form,
            "upper": upper,
            "level_label": Level(result.level).label,
            "can_propose": has_perm(request.user, Perm.MANAGE_MEETINGS, meeting.unit),
            "can_confirm": has_perm(request.user, Perm.CONFIRM_SCORES, meeting.unit),
        },
    )


def _level_label(value: str | None) -> str:
    return str(Level(value).label) if value in Level.values else ""


def meeting_score(request: HttpRequest, pk: int) -> HttpResponse:
    return _score_page(request, pk, upper=False)


def confirm_meeting_score(request: HttpRequest, pk: int) -> HttpResponse:
    return _score_page(request, pk, upper=True)


def cell_scorecard(request: HttpRequest, code: str) -> HttpResponse:
    """A cell's year: each month's meetings with the cell's and the upper level's scores."""
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_MEETINGS)
    if not unit.is_cell:
        raise Http404
    year = year_param(request)
    meetings = list(
        Meeting.objects.filter(unit=unit, month__year=year)
        .exclude(state=MeetingState.CANCELLED)
        .order_by("scheduled_at")
    )
    scores = {s.meeting_id: s for s in MeetingScore.objects.filter(meeting__in=meetings)}
    months = []
    for month in range(1, 13):
        held = [(m, scores.get(m.pk)) for m in meetings if m.month.month == month]
        months.append((month, held))
    levels = [s.final_level for s in scores.values() if s.final_level]
    today = timezone.localdate()
    annual = annual_meeting_quality(
        unit,
        year,
        months=months_ended(year, today),
    )
    return render(
        request,
        "scoring/scorecard.html",
        {
            "unit": unit,
            "year": year,
            "months": months,
            "counts": {value: levels.count(value) for value in Level.values},
            "shortfalls": cell_compliance(unit, year),
            "annual": annual,
            "annual_label": Level(annual.level).label if annual.level else "",
            "level_names": dict(Level.choices),
        },
    )


def league(request: HttpRequest, code: str) -> HttpResponse:
    """The cells below a unit ranked by the quality of their year's meetings."""
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_MEETINGS)
    today = timezone.localdate()
    year = year_param(request)
    months = months_ended(year, today)
    cells = list(
        Unit.objects.visible_to(request.user, Perm.VIEW_MEETINGS)
        .cells()
        .filter(path__startswith=unit.path)
        .only("pk", "code", "name", "path", "active_from", "closed_on")
    )
    ids = [c.pk for c in cells]
    # Extraordinary meetings are not scored and do not count (docs/scoring.md).
    held = {
        row["unit_id"]: row
        for row in Meeting.objects.filter(
            unit_id__in=ids, month__year=year, month__month__lte=months, state__in=HELD
        )
        .exclude(kind=MeetingKind.EXTRAORDINARY)
        .values("unit_id")
        .annotate(
            n=Count("pk"),
            regular_months=Count(
                "month",
                filter=Q(kind__in=[MeetingKind.REGULAR, MeetingKind.COMBINED]),
                distinct=True,
            ),
        )
    }
    levels: dict[int, dict[str, int]] = {}
    for row in (
        MeetingScore.objects.filter(
            meeting__unit_id__in=ids,
            meeting__month__year=year,
            meeting__month__month__lte=months,
            meeting__state__in=HELD,
        )
        .exclude(meeting__kind=MeetingKind.EXTRAORDINARY)
        .annotate(final=Coalesce(NullIf("upper_level", Value("")), "cell_level"))
        .values("meeting__unit_id", "final")
        .annotate(n=Count("pk"))
    ):
        if row["final"]:
            levels.setdefault(row["meeting__unit_id"], {})[row["final"]] = row["n"]
    rules = ScoringRules.for_unit(unit, on=datetime.date(year, 12, 31))
    rows = []
    for cell in cells:
        counts = {level: levels.get(cell.pk, {}).get(level, 0) for level in RANK}
        meetings = held.get(cell.pk, {}).get("n", 0)
        # Only the months the cell existed owe a meeting (it held none outside them).
        owed = len(unit_months(cell, year, months))
        missing = max(0, owed - held.get(cell.pk, {}).get("regular_months", 0))
        unscored = meetings - sum(counts.values())
        level = annual_level(
            counts, unscored=unscored, missing=missing, tot_needed=rules.annual_tot_min_tot_meetings
        )
        rows.append((cell, meetings, counts, missing, unscored, level))
    rank: dict[str | None, int] = {None: -1}
    rank.update(RANK)
    rows.sort(key=lambda r: (-rank[r[5]], -r[2]["tot"], r[3], r[0].code))
    page = Paginator(rows, 100).get_page(page_param(request))
    labels = dict(Level.choices)
    return render(
        request,
        "scoring/league.html",
        {
            "unit": unit,
            "year": year,
            "page": page,
            "rows": [(*row, labels.get(row[5] or "", "")) for row in page],
            "totals": {
                label: sum(1 for r in rows if r[5] == value) for value, label in Level.choices
            },
        },
    )


def compliance_page(request: HttpRequest, code: str) -> HttpResponse:
    """The shortfalls of the cells below a unit in a year, to act on."""
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_MEETINGS)
    today = timezone.localdate()
    year = year_param(request)
    months = months_ended(year, today)
    cells = list(
        Unit.objects.visible_to(request.user, Perm.VIEW_MEETINGS)
        .cells()
        .filter(path__startswith=unit.path)
        .order_by("path")
        .only("pk", "code", "name", "path", "depth", "active_from", "closed_on")
    )
    # The meeting regime across every cell in one query: which months had a regular
    # meeting and which quarters a thematic one.
    regular: dict[int, set[int]] = {}
    thematic: dict[int, set[int]] = {}
    for unit_id, month, kind in (
        Meeting.objects.filter(
            unit_id__in=[c.pk for c in cells],
            month__year=year,
            month__month__lte=months,
            state__in=HELD,
        )
        .values_list("unit_id", "month", "kind")
        .distinct()
    ):
        if kind in REGULAR_KINDS:
            regular.setdefault(unit_id, set()).add(month.month)
        if kind in THEMATIC_KINDS:
            thematic.setdefault(unit_id, set()).add((month.month + 2) // 3)
    gaps = {}
    for c in cells:
        # Only the months (and whole quarters) the cell existed owe meetings.
        owed = unit_months(c, year, months)
        quarters = [q for q in range(1, 5) if all(3 * q - i in owed for i in range(3))]
        gaps[c.pk] = (
            sum(1 for m in owed if m not in regular.get(c.pk, ())),
            sum(1 for q in quarters if q not in thematic.get(c.pk, ())),
        )
    only_short = request.GET.get("only") == "short"
    listed = [c for c in cells if not only_short or any(gaps[c.pk])]
    page = Paginator(listed, 50).get_page(page_param(request))
    details = compliance(list(page), year, today=today)
    return render(
        request,
        "scoring/compliance.html",
        {
            "unit": unit,
            "year": year,
            "only_short": only_short,
            "page": page,
            "rows": [(cell, gaps[cell.pk], details[cell.pk]) for cell in page],
            "cells": len(cells),
            "cells_missing_months": sum(1 for m, _q in gaps.values() if m),
            "missed_months": sum(m for m, _q in gaps.values()),
            "cells_missing_quarters": sum(1 for _m, q in gaps.values() if q),
        },
    )
