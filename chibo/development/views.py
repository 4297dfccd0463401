"""Pages of party development: a unit's candidates, one candidate's pipeline, and the
unit's year (targets, admissions by group, probation clocks)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chibo.development import figures, services
from chibo.development.access import get_candidate_for_user
from chibo.development.models import ORDER, UPPER_STAGES, Candidate, Stage, Target, position
from chibo.lib.http import actor, add_validation_errors, page_param, year_param
from chibo.lib.locking import VersionField
from chibo.lib.submissions import SubmissionField
from chibo.members.forms import DateInput
from chibo.members.models import Member
from chibo.orgs.access import get_unit_for_user, has_perm, has_perm_above
from chibo.orgs.permissions import Perm


class CandidateForm(forms.ModelForm[Candidate]):
    listed_on = forms.DateField(label=gettext_lazy("Listed on"), widget=DateInput())
    submission = SubmissionField()

    class Meta:
        model = Candidate
        fields = [
            "full_name",
            "gender",
            "birth_date",
            "ethnicity",
            "religion",
            "occupation",
            "private_enterprise",
            "foreign_invested",
            "business_owner",
            "rural",
        ]
        widgets = {"birth_date": DateInput()}


class AdvanceForm(forms.Form):
    on = forms.DateField(label=gettext_lazy("Reached on"), widget=DateInput())
    certificate_on = forms.DateField(
        label=gettext_lazy("Certificate issued on"), widget=DateInput(), required=False
    )
    introducer = forms.ModelChoiceField(
        label=gettext_lazy("Introducer"), queryset=Member.objects.none(), required=False
    )
    introducer_known_since = forms.DateField(
        label=gettext_lazy("Introducer worked with the candidate since"),
        widget=DateInput(),
        required=False,
    )
    mentor = forms.ModelChoiceField(
        label=gettext_lazy("Mentor"), queryset=Member.objects.none(), required=False
    )
    decision = forms.CharField(label=gettext_lazy("Decision"), max_length=120, required=False)
    votes_for = forms.IntegerField(
        label=gettext_lazy("Official members for"), min_value=0, max_value=10_000, required=False
    )
    votes_against = forms.IntegerField(
        label=gettext_lazy("Official members against"),
        min_value=0,
        max_value=10_000,
        required=False,
    )
    version = VersionField()

    def __init__(self, *args: Any, candidate: Candidate, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = Member.objects.active().filter(unit=candidate.unit).in_vietnamese_order()
        stage = services.next_stage(candidate)
        for name, needed in (
            ("certificate_on", Stage.CLASS),
            ("introducer", Stage.INTRODUCED),
            ("introducer_known_since", Stage.INTRODUCED),
            ("mentor", Stage.ADMITTED),
            ("decision", Stage.DECIDED),
        ):
            if stage != needed and not (name == "decision" and stage == Stage.OFFICIAL):
                del self.fields[name]
        if stage in services.VOTED_STAGES:
            roll = services.personnel_roll_on(candidate.unit, timezone.localdate())
            self.fields["votes_for"].required = True
            self.fields["votes_for"].help_text = gettext_lazy(
                "The cell has %(n)s official members who vote; the resolution needs at least "
                "two thirds of them (Điều lệ Đảng, Art. 4 and 5)."
            ) % {"n": roll}
        else:
            del self.fields["votes_for"]
            del self.fields["votes_against"]
        for name in ("introducer", "mentor"):
            if name in self.fields:
                self.fields[name].queryset = members  # type: ignore[attr-defined]


def candidates(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_MEMBERS)
    can_add = unit.is_cell and has_perm(request.user, Perm.MANAGE_MEMBERS, unit)
    form = CandidateForm(request.POST or None, initial={"listed_on": timezone.localdate()})
    if request.method == "POST":
        if not can_add:
            raise Http404
        if form.is_valid():
            data = {
                k: v for k, v in form.cleaned_data.items() if k not in ("listed_on", "submission")
            }
            try:
                candidate = services.add_candidate(
                    unit=unit,
                    data=data,
                    listed_on=form.cleaned_data["listed_on"],
                    submission=form.cleaned_data["submission"],
                    by=actor(request),
                )
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, _("The candidate is listed."))
                return redirect(candidate)
    stage = request.GET.get("stage", "")
    shown = (
        Candidate.objects.visible_to(request.user)
        .filter(
            unit__path__startswith=unit.path,
        )
        .select_related("unit")
    )
    if stage in Stage.values:
        shown = shown.filter(stage=stage)
    page = Paginator(shown.order_by("unit__path", "full_name"), 50).get_page(page_param(request))
    return render(
        request,
        "development/candidates.html",
        {
            "unit": unit,
            "page": page,
            "form": form if can_add else None,
            "stages": Stage.choices,
            "stage": stage,
        },
    )


def candidate(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_candidate_for_user(request.user, pk)
    can_manage = has_perm(request.user, Perm.MANAGE_MEMBERS, item.unit)
    stage = services.next_stage(item)
    upper_stage = stage in UPPER_STAGES
    if upper_stage:
        can_manage = has_perm_above(request.user, Perm.MANAGE_MEMBERS, item.unit)
    form = None
    if can_manage and stage is not None:
        form = AdvanceForm(
            request.POST or None,
            candidate=item,
            initial={"on": timezone.localdate(), "version": item.version},
        )
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.advance(
                    candidate=item,
                    on=data["on"],
                    version=data["version"],
                    certificate_on=data.get("certificate_on"),
                    introducer=data.get("introducer"),
                    introducer_known_since=data.get("introducer_known_since"),
                    mentor=data.get("mentor"),
                    decision=data.get("decision") or "",
                    votes_for=data.get("votes_for"),
                    votes_against=data.get("votes_against") or 0,
                    by=actor(request),
                )
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, _("The stage is recorded."))
                return redirect(item)
    today = timezone.localdate()
    before_resolution = item.stage != Stage.DROPPED and position(item.stage) < position(
        Stage.CELL_RESOLUTION
    )
    return render(
        request,
        "development/candidate.html",
        {
            "candidate": item,
            "unit": item.unit,
            "steps": [(s.label, item.dates.get(s.value)) for s in ORDER],
            "next_stage": stage.label if stage else "",
            "upper_stage": upper_stage,
            "form": form,
            "problems": services.problems_on(item, today) if before_resolution else [],
            "clock": services.clock(item),
            "today": today,
        },
    )


def progress(user: Any, unit: Any, year: int) -> dict[str, Any]:
    """Admissions of `year` below `unit` against its target, by group (a fixed number of
    queries)."""
    below = Candidate.objects.visible_to(user).filter(unit__path__startswith=unit.path)
    counts = figures.admissions(below, datetime.date(year, 1, 1), datetime.date(year, 12, 31))
    target = Target.objects.filter(unit=unit, year=year).first()
    by_stage = dict(below.values_list("stage").annotate(n=Count("pk")))
    return {"counts": counts, "target": target, "by_stage": by_stage}


def development(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_MEMBERS)
    year = year_param(request)
    can_set = has_perm(request.user, Perm.MANAGE_MEMBERS, unit)
    if request.method == "POST":
        if not can_set:
            raise Http404
        try:
            admissions = int(request.POST.get("admissions", ""))
            if not 0 <= admissions <= 100_000:
                raise ValueError
        except ValueError:
            messages.error(request, _("Give the target as a whole number."))
        else:
            services.set_target(unit=unit, year=year, admissions=admissions, by=actor(request))
            messages.success(request, _("The target is saved."))
        return redirect(f"{request.path}?year={year}")
    year_figures = progress(request.user, unit, year)
    rules = services.rules_for(unit)  # one province, one set of rules
    waiting = [
        (c, services.clock(c, rules))
        for c in Candidate.objects.visible_to(request.user)
        .filter(
            unit__path__startswith=unit.path,
            stage=Stage.ADMITTED,
        )
        .select_related("unit")[:200]
    ]
    today = timezone.localdate()
    return render(
        request,
        "development/development.html",
        {
            "unit": unit,
            "year": year,
            "figures": year_figures,
            "labels": {s.value: s.label for s in Stage},
            "waiting": sorted(waiting, key=lambda pair: pair[1].due_by if pair[1] else today),
            "today": today,
            "can_set": can_set,
            "groups": figures.GROUP_LABELS,
            # Those whose next stage is decided above the cell.
            "awaiting_upper": [Stage.CELL_RESOLUTION, Stage.BASIC_RESOLUTION],
        },
    )
