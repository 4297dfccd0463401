"""Supervision pages: the visit plan and its coverage, a visit and its observation, the
visits of a meeting, working groups."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chibo.lib.http import actor, add_validation_errors, page_param, year_param
from chibo.lib.locking import VersionField
from chibo.lib.submissions import SubmissionField
from chibo.meetings.access import get_meeting_for_user
from chibo.members.models import Member
from chibo.orgs.access import get_province_for_user, get_unit_for_user, has_perm
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm
from chibo.scoring.compliance import compliance
from chibo.scoring.models import Level, MeetingScore
from chibo.supervision import services
from chibo.supervision.access import (
    get_group_for_user,
    get_inspection_for_user,
    get_visit_for_user,
)
from chibo.supervision.models import (
    Finding,
    GroupReport,
    InspectionItem,
    ReportState,
    Sanction,
    SanctionKind,
    SupervisionRules,
    SupportAction,
    Visit,
    VisitState,
    WorkingGroup,
)

MONTHS = list(range(1, 13))


# --- the plan and its coverage ------------------------------------------------------------


def plan(request: HttpRequest, code: str) -> HttpResponse:
    """Who attends which cell meeting in a year below a unit, and what was done."""
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_SUPERVISION)
    year = year_param(request)
    can_plan = not unit.is_cell and has_perm(request.user, Perm.MANAGE_SUPERVISION, unit)
    gaps: list[str] = []
    if request.method == "POST":
        if not can_plan:
            raise Http404
        dry_run = request.POST.get("dry_run") == "1"
        try:
            report = services.plan_visits(unit=unit, year=year, by=actor(request), dry_run=dry_run)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect(f"{request.path}?year={year}")
        gaps = report.gap_lines()
        count = len(report.plan.assignments)
        if dry_run:
            messages.info(request, _("Preview: %(n)s visits would be planned.") % {"n": count})
        else:
            messages.success(request, _("%(n)s visits planned.") % {"n": count})
        if not gaps:
            return redirect(f"{request.path}?year={year}")
    cells = list(
        Unit.objects.visible_to(request.user, Perm.VIEW_SUPERVISION)
        .cells()
        .filter(path__startswith=unit.path)
        .order_by("path")
        .only("pk", "code", "name", "path", "is_weak")
    )
    page = Paginator(cells, 50).get_page(page_param(request))
    visits = (
        Visit.objects.filter(
            meeting__unit__in=[c.pk for c in page], meeting__month__year=year
        )
        .select_related("user", "meeting")
        .only("pk", "state", "meeting__unit_id", "meeting__month", "user__username",
              "user__first_name", "user__last_name")
        .order_by("meeting__scheduled_at")
    )  # fmt: skip
    grid: dict[int, dict[int, list[Visit]]] = {}
    for visit in visits:
        grid.setdefault(visit.meeting.unit_id, {}).setdefault(visit.meeting.month.month, []).append(
            visit
        )
    all_visits = Visit.objects.filter(
        meeting__unit__in=[c.pk for c in cells], meeting__month__year=year
    )
    people = list(
        all_visits.values("user_id", "user__username", "user__first_name", "user__last_name")
        .annotate(
            planned=Count("pk"),
            done=Count("pk", filter=Q(state=VisitState.DONE)),
            missed=Count("pk", filter=Q(state=VisitState.MISSED)),
        )
        .order_by("user__username")
    )
    by_month = {
        row["meeting__month__month"]: row
        for row in all_visits.values("meeting__month__month").annotate(
            planned=Count("pk"), done=Count("pk", filter=Q(state=VisitState.DONE))
        )
    }
    return render(
        request,
        "supervision/plan.html",
        {
            "unit": unit,
            "year": year,
            "page": page,
            "months": MONTHS,
            "rows": [(c, [grid.get(c.pk, {}).get(m, []) for m in MONTHS]) for c in page],
            "people": people,
            "by_month": [(m, by_month.get(m, {})) for m in MONTHS],
            "can_plan": can_plan,
            "gaps": gaps,
        },
    )


def my_visits(request: HttpRequest) -> HttpResponse:
    visits = list(
        Visit.objects.filter(user_id=request.user.pk or 0)
        .select_related("meeting__unit")
        .order_by("-meeting__scheduled_at")[:200]
    )
    now = timezone.now()
    return render(
        request,
        "supervision/my_visits.html",
        {
            "upcoming": [v for v in reversed(visits) if v.meeting.scheduled_at >= now],
            "past": [v for v in visits if v.meeting.scheduled_at < now],
        },
    )


# --- one visit ----------------------------------------------------------------------------


class ObservationForm(forms.Form):
    state = forms.ChoiceField(
        label=gettext_lazy("Did you attend?"),
        choices=[
            (VisitState.DONE, VisitState.DONE.label),
            (VisitState.MISSED, VisitState.MISSED.label),
        ],
        widget=forms.RadioSelect,
    )
    observation = forms.CharField(
        label=gettext_lazy("What you observed"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    guidance = forms.CharField(
        label=gettext_lazy("Guidance given to the cell"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


def visit_detail(request: HttpRequest, pk: int) -> HttpResponse:
    visit = get_visit_for_user(request.user, pk)
    own = visit.user_id == request.user.pk
    form = None
    if own:
        form = ObservationForm(
            request.POST or None,
            initial={
                "state": visit.state if visit.state != VisitState.PLANNED else VisitState.DONE,
                "observation": visit.observation,
                "guidance": visit.guidance,
                "version": visit.version,
            },
        )
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_observation(
                    visit=visit,
                    state=data["state"],
                    observation=data["observation"],
                    guidance=data["guidance"],
                    version=data["version"],
                    by=actor(request),
                )
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, _("Your observation is saved."))
                return redirect(visit)
    meeting = visit.meeting
    return render(
        request,
        "supervision/visit.html",
        {
            "visit": visit,
            "meeting": meeting,
            "unit": meeting.unit,
            "form": form,
            "can_confirm": own and has_perm(request.user, Perm.CONFIRM_SCORES, meeting.unit),
        },
    )


# --- the visits of a meeting ----------------------------------------------------------------


class AssignForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("User name of the attendee"), max_length=150)
    submission = SubmissionField()


def meeting_visits(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk)
    can_manage = has_perm(request.user, Perm.MANAGE_SUPERVISION, meeting.unit)
    form = AssignForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if form is None:
            raise Http404
        remove = request.POST.get("remove")
        try:
            if remove:
                visit = Visit.objects.filter(meeting=meeting, pk=remove).first()
                if visit is None:
                    raise Http404
                services.remove_visit(visit=visit, by=actor(request))
                messages.success(request, _("The attendee is removed."))
                return redirect("supervision:meeting_visits", pk=meeting.pk)
            if form.is_valid():
                user = User.objects.filter(
                    username=form.cleaned_data["username"], is_active=True
                ).first()
                if user is None or not has_perm(user, Perm.VIEW_SUPERVISION, meeting.unit):
                    raise ValidationError(_("No one of that name supervises this cell."))
                services.assign_visit(
                    meeting=meeting,
                    user=user,
                    submission=form.cleaned_data["submission"],
                    by=actor(request),
                )
                messages.success(request, _("The attendee is assigned."))
                return redirect("supervision:meeting_visits", pk=meeting.pk)
        except ValidationError as error:
            add_validation_errors(form, error)
    visits = list(
        Visit.objects.filter(meeting=meeting).select_related("user").order_by("planned_at")
    )
    return render(
        request,
        "supervision/meeting_visits.html",
        {
            "meeting": meeting,
            "unit": meeting.unit,
            "visits": visits,
            "form": form,
            "can_manage": can_manage,
        },
    )


# --- working groups -------------------------------------------------------------------------


class GroupForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200)
    submission = SubmissionField()
    leader = forms.CharField(label=gettext_lazy("Leader (user name)"), max_length=150)
    members = forms.CharField(
        label=gettext_lazy("Members (user names)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=gettext_lazy("Separated by commas or spaces."),
    )
    units = forms.CharField(
        label=gettext_lazy("Assigned units (codes)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Separated by commas or spaces."),
    )
    starts_on = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=gettext_lazy("Until"), widget=forms.DateInput(attrs={"type": "date"})
    )
    decision = forms.CharField(label=gettext_lazy("Decision"), max_length=120, required=False)
    version = VersionField(required=False)

    def clean_leader(self) -> User:
        name = self.cleaned_data["leader"].strip()
        user = User.objects.filter(username=name, is_active=True).first()
        if user is None:
            raise ValidationError(_("No user %(name)s.") % {"name": name})
        return user

    def clean_members(self) -> list[User]:
        names = [n for n in re.split(r"[\s,;]+", self.cleaned_data["members"]) if n]
        users = list(User.objects.filter(username__in=names, is_active=True))
        missing = sorted(set(names) - {u.username for u in users})
        if missing:
            raise ValidationError(_("No user %(name)s.") % {"name": ", ".join(missing)})
        return users

    def clean_units(self) -> list[Unit]:
        codes = [c for c in re.split(r"[\s,;]+", self.cleaned_data["units"]) if c]
        units = list(Unit.objects.filter(code__in=codes))
        missing = sorted(set(codes) - {u.code for u in units})
        if missing:
            raise ValidationError(_("No unit %(code)s.") % {"code": ", ".join(missing)})
        return units


def _group_initial(group: WorkingGroup) -> dict[str, Any]:
    return {
        "name": group.name,
        "leader": group.leader.username,
        "members": " ".join(u.username for u in group.members.order_by("username")),
        "units": " ".join(u.code for u in group.units.order_by("path")),
        "starts_on": group.starts_on,
        "ends_on": group.ends_on,
        "decision": group.decision,
        "version": group.version,
    }


def _save_group(
    request: HttpRequest, form: GroupForm, unit: Unit, group: WorkingGroup | None
) -> WorkingGroup | None:
    data = form.cleaned_data
    try:
        return services.save_group(
            group=group,
            unit=unit,
            name=data["name"],
            leader=data["leader"],
            members=data["members"],
            units=data["units"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            decision=data["decision"],
            version=data["version"],
            submission=data["submission"],
            by=actor(request),
        )
    except ValidationError as error:
        add_validation_errors(form, error)
        return None


def groups(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_SUPERVISION)
    can_manage = not unit.is_cell and has_perm(request.user, Perm.MANAGE_SUPERVISION, unit)
    form = None
    if can_manage:
        today = timezone.localdate()
        form = GroupForm(
            request.POST or None,
            initial={"starts_on": today, "ends_on": datetime.date(today.year, 12, 31)},
        )
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            group = _save_group(request, form, unit, None)
            if group is not None:
                messages.success(request, _("The working group is set up."))
                return redirect(group)
    rows = list(
        WorkingGroup.objects.filter(unit__path__startswith=unit.path)
        .filter(unit__in=Unit.objects.visible_to(request.user, Perm.VIEW_SUPERVISION))
        .select_related("unit", "leader")
        .annotate(n_members=Count("members", distinct=True), n_units=Count("units", distinct=True))
        .order_by("-starts_on", "name")
    )
    overdue = {group.pk for group, _due in services.overdue_reports(
        WorkingGroup.objects.filter(pk__in=[g.pk for g in rows])
    )}  # fmt: skip
    return render(
        request,
        "supervision/groups.html",
        {
            "unit": unit,
            "groups": rows,
            "form": form,
            "today": timezone.localdate(),
            "overdue": overdue,
        },
    )


def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_group_for_user(request.user, pk)
    can_manage = has_perm(request.user, Perm.MANAGE_SUPERVISION, group.unit)
    form = GroupForm(request.POST or None, initial=_group_initial(group)) if can_manage else None
    if form is not None:
        form.fields["version"].required = True
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid() and _save_group(request, form, group.unit, group) is not None:
            messages.success(request, _("The working group is saved."))
            return redirect(group)
    members = list(group.members.order_by("username"))
    units = list(group.units.order_by("path"))
    paths = [u.path for u in units]
    unit_q = Q()
    for path in paths:
        unit_q |= Q(meeting__unit__path__startswith=path)
    visits = Visit.objects.filter(
        unit_q if paths else Q(pk__in=[]),
        user__in=[*members, group.leader],
        meeting__scheduled_at__date__gte=group.starts_on,
        meeting__scheduled_at__date__lte=group.ends_on,
    )
    by_month = list(
        visits.values("meeting__month")
        .annotate(planned=Count("pk"), done=Count("pk", filter=Q(state=VisitState.DONE)))
        .order_by("meeting__month")
    )
    by_person = list(
        visits.values("user__username")
        .annotate(planned=Count("pk"), done=Count("pk", filter=Q(state=VisitState.DONE)))
        .order_by("user__username")
    )
    reports = {(r.year, r.half): r for r in GroupReport.objects.filter(group=group)}
    today = timezone.localdate()
    dues = []
    for due in services.reports_due(group):
        report = reports.get((due.year, due.half))
        state = report.state if report else ReportState.DRAFT
        dues.append((due, report, due.due_on < today and state == ReportState.DRAFT))
    return render(
        request,
        "supervision/group.html",
        {
            "dues": dues,
            "group": group,
            "unit": group.unit,
            "members": members,
            "units": units,
            "by_month": by_month,
            "by_person": by_person,
            "form": form,
        },
    )


# --- working-group reports -------------------------------------------------------------------


class ReportForm(forms.Form):
    results = forms.CharField(
        label=gettext_lazy("Results"), widget=forms.Textarea(attrs={"rows": 8}), required=False
    )
    shortcomings = forms.CharField(
        label=gettext_lazy("Shortcomings and their causes"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    proposals = forms.CharField(
        label=gettext_lazy("Proposals"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class EvaluationForm(forms.Form):
    level = forms.ChoiceField(
        label=gettext_lazy("Level"),
        choices=Level.choices,
        widget=forms.RadioSelect,
    )
    evaluation = forms.CharField(
        label=gettext_lazy("Evaluation of the Organisation Commission"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


PERIOD = re.compile(r"^(\d{4})(-H1)?$")


def group_report(request: HttpRequest, pk: int, period: str) -> HttpResponse:
    group = get_group_for_user(request.user, pk)
    match = PERIOD.match(period)
    if match is None:
        raise Http404
    year, half = int(match.group(1)), bool(match.group(2))
    try:
        report = services.draft_report(group, year, half)
    except ValidationError as error:
        raise Http404 from error
    user = request.user
    in_group = group.leader_id == user.pk or group.members.filter(pk=user.pk or 0).exists()
    can_write = in_group and report.state == ReportState.DRAFT
    can_evaluate = report.state != ReportState.DRAFT and has_perm(
        user, Perm.MANAGE_SUPERVISION, group.unit
    )
    form = ReportForm(
        request.POST if request.method == "POST" and can_write else None,
        initial={
            "results": report.results,
            "shortcomings": report.shortcomings,
            "proposals": report.proposals,
            "version": report.version,
        },
    )
    evaluation = EvaluationForm(
        request.POST if request.method == "POST" and can_evaluate else None,
        initial={
            "level": report.evaluation_level or None,
            "evaluation": report.evaluation,
            "version": report.version,
        },
    )
    if request.method == "POST":
        if not (can_write or can_evaluate):
            raise Http404
        try:
            if can_write and form.is_valid():
                data = form.cleaned_data
                services.save_report(
                    report=report,
                    results=data["results"],
                    shortcomings=data["shortcomings"],
                    proposals=data["proposals"],
                    submit="submit" in request.POST,
                    version=data["version"],
                    by=actor(request),
                )
                messages.success(request, _("The report is saved."))
                return redirect(report)
            if can_evaluate and evaluation.is_valid():
                services.evaluate_report(
                    report=report,
                    level=evaluation.cleaned_data["level"],
                    evaluation=evaluation.cleaned_data["evaluation"],
                    version=evaluation.cleaned_data["version"],
                    by=actor(request),
                )
                messages.success(request, _("The evaluation is saved."))
                return redirect(report)
        except ValidationError as error:
            add_validation_errors(form if can_write else evaluation, error)
    return render(
        request,
        "supervision/report.html",
        {
            "group": group,
            "unit": group.unit,
            "report": report,
            "figures": report.figures,
            "form": form if can_write else None,
            "evaluation_form": evaluation if can_evaluate else None,
        },
    )


# --- weak and priority cells ------------------------------------------------------------------

FLAGS = {
    "weak": ("is_weak", gettext_lazy("weak cell")),
    "rural": ("is_rural", gettext_lazy("rural")),
    "difficult": ("is_difficult_area", gettext_lazy("difficult area")),
    "enterprise": ("is_non_state_enterprise", gettext_lazy("in a non-state enterprise")),
}


def _quarter_averages(cell_ids: list[int], year: int) -> dict[int, list[int | None]]:
    """Each cell's average final score per quarter over `year` and the year before."""
    sums: dict[tuple[int, int], list[int]] = {}
    for unit_id, month, cell_total, upper_total in MeetingScore.objects.filter(
        meeting__unit_id__in=cell_ids, meeting__month__year__in=[year - 1, year]
    ).values_list("meeting__unit_id", "meeting__month", "cell_total", "upper_total"):
        total = upper_total if upper_total is not None else cell_total
        if total is not None:
            index = (month.year - year + 1) * 4 + (month.month - 1) // 3
            sums.setdefault((unit_id, index), []).append(total)
    return {
        cell: [
            round(sum(sums[(cell, q)]) / len(sums[(cell, q)])) if (cell, q) in sums else None
            for q in range(8)
        ]
        for cell in cell_ids
    }


def priority_cells(request: HttpRequest, code: str) -> HttpResponse:
    """Weak, rural, difficult-area and enterprise cells: their compliance, scores and the
    support they received."""
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_SUPERVISION)
    year = year_param(request)
    flag = request.GET.get("flag", "")
    if flag in FLAGS:
        condition = Q(**{FLAGS[flag][0]: True})
    else:
        flag = ""
        condition = Q()
        for field, _label in FLAGS.values():
            condition |= Q(**{field: True})
    cells = (
        Unit.objects.visible_to(request.user, Perm.VIEW_SUPERVISION)
        .cells()
        .filter(condition, path__startswith=unit.path)
        .order_by("-is_weak", "path")
    )
    page = Paginator(cells, 50).get_page(page_param(request))
    ids = [c.pk for c in page]
    shortfalls = compliance(list(page), year)
    averages = _quarter_averages(ids, year)
    support: dict[int, list[SupportAction]] = {}
    for action in SupportAction.objects.filter(unit_id__in=ids).order_by("-on"):
        support.setdefault(action.unit_id, []).append(action)
    rows = []
    for cell in page:
        actions = support.get(cell.pk, [])
        rows.append(
            (cell, len(shortfalls[cell.pk]), [a for a in averages[cell.pk] if a is not None],
             actions[:1], len(actions))
        )  # fmt: skip
    return render(
        request,
        "supervision/priority_cells.html",
        {
            "unit": unit,
            "year": year,
            "flag": flag,
            "flags": [(key, label) for key, (_f, label) in FLAGS.items()],
            "page": page,
            "rows": rows,
        },
    )


class SupportForm(forms.ModelForm[SupportAction]):
    class Meta:
        model = SupportAction
        fields = ["on", "by_whom", "what"]
        widgets = {
            "on": forms.DateInput(attrs={"type": "date"}),
            "what": forms.Textarea(attrs={"rows": 3}),
        }


def cell_support(request: HttpRequest, code: str) -> HttpResponse:
    """The support a cell received and the trend of its scores since."""
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_SUPERVISION)
    if not unit.is_cell:
        raise Http404
    can_record = has_perm(request.user, Perm.MANAGE_SUPERVISION, unit) or has_perm(
        request.user, Perm.CONFIRM_SCORES, unit
    )
    form = SupportForm(request.POST or None, initial={"on": timezone.localdate()})
    if request.method == "POST":
        if not can_record:
            raise Http404
        if form.is_valid():
            action = form.save(commit=False)
            action.unit = unit
            action.recorded_by = actor(request)
            action._history_user = actor(request)  # type: ignore[attr-defined]
            action.save()
            messages.success(request, _("The support is recorded."))
            return redirect("supervision:support", code=unit.code)
    actions = list(SupportAction.objects.filter(unit=unit).order_by("-on"))
    scores = list(
        MeetingScore.objects.filter(meeting__unit=unit)
        .select_related("meeting")
        .order_by("meeting__scheduled_at")
    )
    first = actions[-1].on if actions else None

    def average(items: list[MeetingScore]) -> int | None:
        totals = [
            s.upper_total if s.upper_total is not None else s.cell_total
            for s in items
            if s.cell_total is not None
        ]
        return round(sum(t for t in totals if t is not None) / len(totals)) if totals else None

    before = [s for s in scores if first and s.meeting.month < first.replace(day=1)]
    since = [s for s in scores if not first or s.meeting.month >= first.replace(day=1)]
    return render(
        request,
        "supervision/support.html",
        {
            "unit": unit,
            "actions": actions,
            "form": form if can_record else None,
            "scores": scores[-24:],
            "first": first,
            "before": average(before) if first else None,
            "since": average(since) if first else None,
        },
    )


# --- inspection and supervision programme -------------------------------------------------------


class InspectionForm(forms.ModelForm[InspectionItem]):
    target_code = forms.CharField(label=gettext_lazy("Inspected unit (code)"), max_length=40)
    submission = SubmissionField()

    class Meta:
        model = InspectionItem
        fields = ["kind", "subject", "starts_on", "ends_on"]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}),
            "ends_on": forms.DateInput(attrs={"type": "date"}),
        }

    def clean_target_code(self) -> Unit:
        code = self.cleaned_data["target_code"].strip()
        unit: Unit | None = Unit.objects.filter(code=code).first()
        if unit is None:
            raise ValidationError(_("No unit %(code)s.") % {"code": code})
        return unit


def programme(request: HttpRequest, code: str) -> HttpResponse:
    """A committee's inspection and supervision programme for a year, with the checks of
    the plan and the corrections overdue below it."""
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_SUPERVISION)
    year = year_param(request)
    can_manage = not unit.is_cell and has_perm(request.user, Perm.MANAGE_INSPECTION, unit)
    form = InspectionForm(
        request.POST or None,
        initial={"starts_on": datetime.date(year, 1, 1), "ends_on": datetime.date(year, 12, 31)},
    )
    if request.method == "POST":
        if not can_manage:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            try:
                item = services.add_inspection(
                    unit=unit,
                    year=year,
                    kind=data["kind"],
                    target=data["target_code"],
                    subject=data["subject"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    submission=data["submission"],
                    by=actor(request),
                )
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, _("The inspection is in the programme."))
                return redirect(item)
    items = list(
        InspectionItem.objects.filter(unit=unit, year=year)
        .select_related("target")
        .annotate(n_findings=Count("findings"))
        .order_by("starts_on", "target__path")
    )
    overdue = list(
        Finding.objects.filter(
            item__target__path__startswith=unit.path,
            deadline__lt=timezone.localdate(),
            corrected_on__isnull=True,
        )
        .select_related("item__target")
        .order_by("deadline")[:100]
    )
    return render(
        request,
        "supervision/programme.html",
        {
            "unit": unit,
            "year": year,
            "items": items,
            "checks": services.programme_checks(unit, year) if not unit.is_cell else None,
            "overdue": overdue,
            "form": form if can_manage else None,
        },
    )


class ConclusionForm(forms.Form):
    conclusion = forms.CharField(
        label=gettext_lazy("Conclusion"), widget=forms.Textarea(attrs={"rows": 4})
    )
    concluded_on = forms.DateField(
        label=gettext_lazy("Concluded on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class FindingForm(forms.ModelForm[Finding]):
    submission = SubmissionField()

    class Meta:
        model = Finding
        fields = ["kind", "text", "correction", "owner", "deadline"]
        widgets = {
            "text": forms.Textarea(attrs={"rows": 3}),
            "correction": forms.Textarea(attrs={"rows": 2}),
            "deadline": forms.DateInput(attrs={"type": "date"}),
        }


class CorrectionForm(forms.Form):
    finding = forms.IntegerField(widget=forms.HiddenInput)
    corrected_on = forms.DateField(
        label=gettext_lazy("Corrected on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    follow_up = forms.CharField(label=gettext_lazy("Follow-up"), required=False)


class SanctionForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=SanctionKind.choices)
    submission = SubmissionField()
    card_number = forms.CharField(
        label=gettext_lazy("Party card number of the member"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("Leave empty for the unit itself."),
    )
    form = forms.CharField(label=gettext_lazy("Form"), max_length=120)
    decided_on = forms.DateField(
        label=gettext_lazy("Decided on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    decision = forms.CharField(label=gettext_lazy("Decision"), max_length=120, required=False)
    reason = forms.CharField(
        label=gettext_lazy("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def inspection(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_inspection_for_user(request.user, pk)
    can_manage = has_perm(request.user, Perm.MANAGE_INSPECTION, item.unit)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    bound = request.POST if action else None
    conclusion = ConclusionForm(
        bound if action == "conclude" else None,
        initial={
            "conclusion": item.conclusion,
            "concluded_on": item.concluded_on or timezone.localdate(),
            "version": item.version,
        },
    )
    finding_form = FindingForm(bound if action == "finding" else None)
    correction = CorrectionForm(bound if action == "correction" else None)
    sanction = SanctionForm(
        bound if action == "sanction" else None, initial={"decided_on": timezone.localdate()}
    )
    if action:
        if not can_manage:
            raise Http404
        form: forms.BaseForm = {
            "conclude": conclusion,
            "finding": finding_form,
            "correction": correction,
            "sanction": sanction,
        }.get(action, conclusion)
        if form.is_valid():
            data = form.cleaned_data
            by = actor(request)
            try:
                if action == "conclude":
                    services.conclude_inspection(
                        item=item,
                        conclusion=data["conclusion"],
                        concluded_on=data["concluded_on"],
                        version=data["version"],
                        by=by,
                    )
                elif action == "finding":
                    services.add_finding(
                        item=item,
                        data={k: v for k, v in data.items() if k != "submission"},
                        submission=data["submission"],
                        by=by,
                    )
                elif action == "correction":
                    finding = Finding.objects.filter(item=item, pk=data["finding"]).first()
                    if finding is None:
                        raise Http404
                    services.record_correction(
                        finding=finding,
                        corrected_on=data["corrected_on"],
                        follow_up=data["follow_up"],
                        by=by,
                    )
                elif action == "sanction":
                    member = None
                    if data["card_number"]:
                        member = Member.objects.filter(
                            card_number=data["card_number"].strip(),
                            unit__path__startswith=item.target.path,
                        ).first()
                        if member is None:
                            raise ValidationError(
                                _("No member of %(unit)s has this card number.")
                                % {"unit": item.target.name}
                            )
                    services.add_sanction(
                        kind=data["kind"],
                        unit=item.target,
                        member=member,
                        form=data["form"],
                        decided_on=data["decided_on"],
                        decision=data["decision"],
                        reason=data["reason"],
                        submission=data["submission"],
                        by=by,
                    )
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect(item)
    findings = list(item.findings.order_by("pk"))
    # Opening the inspection is not seeing discipline: the list of the inspected unit's
    # year follows the discipline rule (chibo.supervision.access).
    sanctions = list(
        Sanction.objects.visible_to(request.user)
        .filter(unit__path__startswith=item.target.path, decided_on__year=item.year)
        .select_related("member", "unit")
        .order_by("decided_on")
    )
    return render(
        request,
        "supervision/inspection.html",
        {
            "item": item,
            "unit": item.unit,
            "findings": findings,
            "sanctions": sanctions,
            "can_manage": can_manage,
            "conclusion_form": conclusion,
            "finding_form": finding_form,
            "correction_form": correction,
            "sanction_form": sanction,
            "today": timezone.localdate(),
        },
    )


# --- the province's supervision settings --------------------------------------------------------


class SupervisionRulesForm(forms.ModelForm[SupervisionRules]):
    class Meta:
        model = SupervisionRules
        fields = [
            "basic_monthly",
            "commune_visits_per_year",
            "province_visits_per_year",
            "mid_report_month",
            "mid_report_day",
            "year_report_month",
            "year_report_day",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for prefix in ("mid_report", "year_report"):
            month, day = data.get(f"{prefix}_month"), data.get(f"{prefix}_day")
            if month is None or day is None or not (1 <= month <= 12 and 1 <= day <= 31):
                continue  # out of range: the fields' own validators say so
            try:
                datetime.date(2025, month, day)  # not a leap year: the date exists every year
            except ValueError:
                self.add_error(f"{prefix}_day", _("This day does not exist every year."))
        return data


def rules(request: HttpRequest) -> HttpResponse:
    """Attendance quotas and report due dates of the province."""
    province = get_province_for_user(request.user)
    form = SupervisionRulesForm(request.POST or None, instance=SupervisionRules.for_unit(province))
    if request.method == "POST" and form.is_valid():
        saved = form.save(commit=False)
        saved.unit = province
        saved._history_user = actor(request)  # type: ignore[attr-defined]
        saved.save()
        messages.success(request, _("The rules are saved."))
        return redirect("supervision:rules")
    return render(request, "supervision/rules.html", {"province": province, "form": form})
