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
from chibo.supervision import exporters, services
from chibo.supervision.access import (
    get_group_for_user,
    get_inspection_for_user,
    get_visit_for_user,
    get_weak_cell_for_user,
    groups_of,
    may_decide_weak,
    may_propose_weak,
    may_review_weak,
)
from chibo.supervision.figures import weak_movement
from chibo.supervision.models import (
    WRITABLE,
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
    WeakCell,
    WeakSource,
    WeakState,
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
    """The working groups set up at or below a unit, or charged with it or with units
    below it; a group's people also reach the list of the committee that set it up."""
    try:
        unit = get_unit_for_user(request.user, code, action=Perm.VIEW_SUPERVISION)
    except Http404:
        own = groups_of(request.user).filter(unit__code=code).select_related("unit").first()
        if own is None:
            raise
        unit = own.unit
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
    above = [unit.path[:end] for end in range(unit.steplen, len(unit.path) + 1, unit.steplen)]
    touching = WorkingGroup.objects.filter(
        Q(unit__path__startswith=unit.path)
        | Q(units__path__startswith=unit.path)
        | Q(units__path__in=above)
    ).values("pk")
    rows = list(
        WorkingGroup.objects.visible_to(request.user)
        .filter(pk__in=touching)
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


class ChargeForm(forms.Form):
    unit = forms.CharField(label=gettext_lazy("Commune or cell (code)"), max_length=40)
    username = forms.CharField(
        label=gettext_lazy("Member in charge (user name)"),
        max_length=150,
        required=False,
        help_text=gettext_lazy("Leave empty to take the charge back."),
    )


def _group_action(request: HttpRequest, group: WorkingGroup, can_lead: bool) -> Any:
    """The leader's (and the committee's) actions on the group page: charge a member with
    a unit, plan the visits. Returns a response, or the charge form with its errors."""
    action = request.POST.get("action", "")
    if not can_lead:
        raise Http404
    if action == "plan":
        year = year_param(request)
        try:
            report = services.plan_group_visits(group=group, year=year, by=actor(request))
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("%(n)s visits planned.") % {"n": report.created})
            for line in report.gap_lines()[:20]:
                messages.warning(request, line)
        return redirect(group)
    form = ChargeForm(request.POST)
    if form.is_valid():
        unit = Unit.objects.filter(code=form.cleaned_data["unit"].strip()).first()
        name = form.cleaned_data["username"].strip()
        user = User.objects.filter(username=name, is_active=True).first() if name else None
        try:
            if unit is None:
                raise ValidationError(_("No unit %(code)s.") % {"code": form.cleaned_data["unit"]})
            if name and user is None:
                raise ValidationError(_("No user %(name)s.") % {"name": name})
            services.assign_charge(group=group, unit=unit, user=user, by=actor(request))
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The charge is saved."))
            return redirect(group)
    return form


def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A working group: its people and their charges, its plan, its visits (done, missed,
    with observations and the meetings' levels) and its reports."""
    group = get_group_for_user(request.user, pk)
    can_manage = has_perm(request.user, Perm.MANAGE_SUPERVISION, group.unit)
    can_lead = can_manage or group.leader_id == request.user.pk
    form = GroupForm(request.POST or None, initial=_group_initial(group)) if can_manage else None
    if form is not None:
        form.fields["version"].required = True
    charge_form: Any = ChargeForm() if can_lead else None
    if request.method == "POST":
        if request.POST.get("action"):
            answer = _group_action(request, group, can_lead)
            if isinstance(answer, HttpResponse):
                return answer
            charge_form = answer
        elif form is None:
            raise Http404
        elif form.is_valid() and _save_group(request, form, group.unit, group) is not None:
            messages.success(request, _("The working group is saved."))
            return redirect(group)
    members = list(group.members.order_by("username"))
    units = list(group.units.order_by("path"))
    charges = list(group.assignments.select_related("user", "unit").order_by("unit__path"))
    visits = services.group_visits(group, group.starts_on, group.ends_on)
    by_person = list(
        visits.values("user__username", "user__first_name", "user__last_name")
        .annotate(
            planned=Count("pk"),
            done=Count("pk", filter=Q(state=VisitState.DONE)),
            missed=Count("pk", filter=Q(state=VisitState.MISSED)),
        )
        .order_by("user__username")
    )
    rows = (
        visits.select_related("meeting__unit", "user")
        .only(
            "pk", "state", "observation", "user__username", "user__first_name",
            "user__last_name", "meeting__scheduled_at", "meeting__quality_level",
            "meeting__unit__name", "meeting__unit__code",
        )
        .order_by("-meeting__scheduled_at")
    )  # fmt: skip
    page = Paginator(rows, 50).get_page(page_param(request))
    reports = {(r.year, r.half): r for r in GroupReport.objects.filter(group=group)}
    today = timezone.localdate()
    dues = []
    for due in services.reports_due(group):
        report = reports.get((due.year, due.half))
        state = report.state if report else ReportState.DRAFT
        dues.append((due, report, due.due_on < today and state in WRITABLE))
    return render(
        request,
        "supervision/group.html",
        {
            "dues": dues,
            "group": group,
            "unit": group.unit,
            "members": members,
            "units": units,
            "charges": charges,
            "by_person": by_person,
            "page": page,
            "now": timezone.now(),
            "form": form,
            "charge_form": charge_form,
            "can_lead": can_lead,
            "can_see_unit": has_perm(request.user, Perm.VIEW_SUPERVISION, group.unit),
            "year": today.year,
        },
    )


def my_groups(request: HttpRequest) -> HttpResponse:
    """The working groups the user leads or belongs to."""
    return render(
        request,
        "supervision/my_groups.html",
        {"groups": list(groups_of(request.user).select_related("unit", "leader"))},
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


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why it is returned"), widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


PERIOD = re.compile(r"^(\d{4})(-H1)?$")


def _report_of(request: HttpRequest, pk: int, period: str) -> tuple[WorkingGroup, GroupReport]:
    """The group and its report of `period` as it stands (nothing is written: a draft not
    yet saved is built in memory)."""
    group = get_group_for_user(request.user, pk)
    match = PERIOD.match(period)
    if match is None:
        raise Http404
    try:
        return group, services.draft_report(group, int(match.group(1)), bool(match.group(2)))
    except ValidationError as error:
        raise Http404 from error


def group_report(request: HttpRequest, pk: int, period: str) -> HttpResponse:
    """A group's report: written by the group, submitted to the level that set it up,
    which returns it with a reason or accepts it with its evaluation."""
    group, report = _report_of(request, pk, period)
    user = request.user
    in_group = group.leader_id == user.pk or group.members.filter(pk=user.pk or 0).exists()
    can_write = in_group and report.state in WRITABLE
    can_evaluate = report.state == ReportState.SUBMITTED and has_perm(
        user, Perm.MANAGE_SUPERVISION, group.unit
    )
    posted = request.POST if request.method == "POST" else None
    action = posted.get("action", "") if posted else ""
    form = ReportForm(
        posted if can_write else None,
        initial={
            "results": report.results,
            "shortcomings": report.shortcomings,
            "proposals": report.proposals,
            "version": report.version,
        },
    )
    evaluation = EvaluationForm(
        posted if can_evaluate and action != "return" else None,
        initial={
            "level": report.evaluation_level or None,
            "evaluation": report.evaluation,
            "version": report.version,
        },
    )
    returning = ReturnForm(
        posted if can_evaluate and action == "return" else None,
        initial={"version": report.version},
    )
    if posted is not None:
        if not (can_write or can_evaluate):
            raise Http404
        target: forms.Form = form if can_write else returning if action == "return" else evaluation
        try:
            if can_write and form.is_valid():
                data = form.cleaned_data
                services.save_report(
                    report=report,
                    results=data["results"],
                    shortcomings=data["shortcomings"],
                    proposals=data["proposals"],
                    submit="submit" in posted,
                    version=data["version"],
                    by=actor(request),
                )
                messages.success(request, _("The report is saved."))
                return redirect(report)
            if can_evaluate and action == "return" and returning.is_valid():
                services.return_report(
                    report=report,
                    reason=returning.cleaned_data["reason"],
                    version=returning.cleaned_data["version"],
                    by=actor(request),
                )
                messages.success(request, _("The report is returned to the group."))
                return redirect(report)
            if can_evaluate and action != "return" and evaluation.is_valid():
                services.evaluate_report(
                    report=report,
                    level=evaluation.cleaned_data["level"],
                    evaluation=evaluation.cleaned_data["evaluation"],
                    version=evaluation.cleaned_data["version"],
                    by=actor(request),
                )
                messages.success(request, _("The report is accepted."))
                return redirect(report)
        except ValidationError as error:
            add_validation_errors(target, error)
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
            "return_form": returning if can_evaluate else None,
            "transitions": services.report_transitions(report),
        },
    )


def group_report_file(request: HttpRequest, pk: int, period: str, fmt: str) -> HttpResponse:
    """The group's report as a Party-format DOCX (HD 36) or its figures and visits as XLSX."""
    group, report = _report_of(request, pk, period)
    data = exporters.group_report_data(report)
    name = f"to-cong-tac-{group.pk}-{report.period}"
    if fmt == "docx":
        return HttpResponse(
            exporters.group_report_docx(data),
            content_type=DOCX,
            headers={"Content-Disposition": f'attachment; filename="{name}.docx"'},
        )
    if fmt == "xlsx":
        return HttpResponse(
            exporters.group_report_xlsx(data),
            content_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
        )
    raise Http404


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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
            "weak_kem_meetings",
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


# --- weak cells, start to finish ------------------------------------------------------------------


class ProposeWeakForm(forms.Form):
    cell = forms.CharField(label=gettext_lazy("Party cell (code)"), max_length=40)
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


def weak_cells(request: HttpRequest, code: str) -> HttpResponse:
    """The weak cells below a unit for a year: those proposed, on the list, left it; the
    cells whose record calls for the list; entering and leaving against last year."""
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_SUPERVISION)
    year = year_param(request)
    may_propose = not unit.is_cell and may_propose_weak(request.user, unit)
    form = ProposeWeakForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not may_propose:
            raise Http404
        try:
            if request.POST.get("from_record"):
                candidates = {
                    c.code: (c, src, why) for c, src, why in services.weak_candidates(unit, year)
                }
                found = candidates.get(request.POST["from_record"])
                if found is None:
                    raise ValidationError(_("This cell's record does not call for the list."))
                services.propose_weak_cell(
                    unit=found[0], year=year, source=found[1], reason=found[2], by=actor(request)
                )
                messages.success(request, _("The cell is proposed for the list."))
                return redirect(f"{request.path}?year={year}")
            if form.is_valid():
                cell = (
                    Unit.objects.cells()
                    .filter(code=form.cleaned_data["cell"].strip(), path__startswith=unit.path)
                    .first()
                )
                if cell is None or not may_propose_weak(request.user, cell):
                    raise ValidationError(_("No cell of that code below this unit."))
                services.propose_weak_cell(
                    unit=cell,
                    year=year,
                    source=WeakSource.COMMUNE,
                    reason=form.cleaned_data["reason"],
                    by=actor(request),
                )
                messages.success(request, _("The cell is proposed for the list."))
                return redirect(f"{request.path}?year={year}")
        except ValidationError as error:
            add_validation_errors(form, error)
    cases = (
        WeakCell.objects.visible_to(request.user)
        .filter(unit__path__startswith=unit.path)
        .filter(
            Q(year=year)
            | Q(listed_on__year__lte=year, state=WeakState.LISTED)
            | Q(closed_on__year=year)
        )
        .select_related("unit", "helper")
        .order_by("state", "unit__path")
    )
    page = Paginator(cases, 50).get_page(page_param(request))
    return render(
        request,
        "supervision/weak_cells.html",
        {
            "unit": unit,
            "year": year,
            "page": page,
            "movement": weak_movement(unit, year),
            "candidates": services.weak_candidates(unit, year)[:50] if may_propose else [],
            "form": form if may_propose else None,
        },
    )


class DecideWeakForm(forms.Form):
    listed = forms.TypedChoiceField(
        label=gettext_lazy("Decision"),
        choices=[("1", gettext_lazy("Put on the list")), ("0", gettext_lazy("Do not list"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=gettext_lazy("Notes"), required=False)
    on = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class WeakPlanForm(forms.Form):
    helper = forms.CharField(
        label=gettext_lazy("Committee member in charge (user name)"), max_length=150, required=False
    )
    plan = forms.CharField(
        label=gettext_lazy("Improvement plan"), widget=forms.Textarea(attrs={"rows": 4})
    )
    targets = forms.CharField(
        label=gettext_lazy("Targets"), widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class WeakReviewForm(forms.Form):
    quarter = forms.TypedChoiceField(
        label=gettext_lazy("Quarter"), choices=[(q, q) for q in range(1, 5)], coerce=int
    )
    progress = forms.CharField(
        label=gettext_lazy("Progress against the targets"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    on_track = forms.BooleanField(label=gettext_lazy("On track"), required=False)


class WeakExitForm(forms.Form):
    review = forms.CharField(
        label=gettext_lazy("Exit review"), widget=forms.Textarea(attrs={"rows": 4})
    )
    on = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


def _weak_action(request: HttpRequest, case: WeakCell, forms_by: dict[str, forms.Form]) -> bool:
    """Run the posted action on `case`; True when it is saved."""
    action = request.POST.get("action", "")
    form = forms_by.get(action)
    allowed = (
        may_review_weak(request.user, case)
        if action == "review"
        else may_decide_weak(request.user, case.unit)
    )
    if form is None or not allowed:
        raise Http404
    if not form.is_valid():
        return False
    data, by = form.cleaned_data, actor(request)
    try:
        if action == "decide":
            services.decide_weak_cell(
                case=case, listed=data["listed"], note=data["note"], on=data["on"],
                version=data["version"], by=by,
            )  # fmt: skip
        elif action == "plan":
            helper = None
            if data["helper"].strip():
                helper = User.objects.filter(
                    username=data["helper"].strip(), is_active=True
                ).first()
                if helper is None:
                    raise ValidationError(_("No user %(name)s.") % {"name": data["helper"]})
            services.plan_weak_cell(
                case=case, helper=helper, plan=data["plan"], targets=data["targets"],
                version=data["version"], by=by,
            )  # fmt: skip
        elif action == "review":
            services.review_weak_cell(
                case=case, year=timezone.localdate().year, quarter=data["quarter"],
                progress=data["progress"], on_track=data["on_track"], by=by,
            )  # fmt: skip
        else:
            services.close_weak_cell(
                case=case, review=data["review"], on=data["on"], version=data["version"], by=by
            )
    except ValidationError as error:
        add_validation_errors(form, error)
        return False
    return True


def weak_cell(request: HttpRequest, pk: int) -> HttpResponse:
    """One cell's passage on the list: proposal, decision, helper and plan, quarterly
    reviews, exit review; and the cell's records of every year."""
    case = get_weak_cell_for_user(request.user, pk)
    today = timezone.localdate()
    posted = request.POST if request.method == "POST" else None
    action = posted.get("action", "") if posted else ""
    initial = {"version": case.version, "on": today}
    forms_by: dict[str, forms.Form] = {
        "decide": DecideWeakForm(posted if action == "decide" else None, initial=initial),
        "plan": WeakPlanForm(
            posted if action == "plan" else None,
            initial={
                **initial,
                "helper": case.helper.username if case.helper else "",
                "plan": case.plan,
                "targets": case.targets,
            },
        ),
        "review": WeakReviewForm(
            posted if action == "review" else None,
            initial={"quarter": (today.month - 1) // 3 + 1},
        ),
        "close": WeakExitForm(posted if action == "close" else None, initial=initial),
    }
    if posted is not None and _weak_action(request, case, forms_by):
        messages.success(request, _("Saved."))
        return redirect(case)
    may_decide = may_decide_weak(request.user, case.unit)
    return render(
        request,
        "supervision/weak_cell.html",
        {
            "case": case,
            "unit": case.unit,
            "reviews": list(case.reviews.select_related("reviewed_by").order_by("year", "quarter")),
            "years": list(
                WeakCell.objects.filter(unit=case.unit).order_by("-year", "-proposed_at")[:20]
            ),
            "history": list(
                case.history.select_related("history_user").order_by("-history_date")[:30]
            ),
            "may_decide": may_decide,
            "may_review": may_review_weak(request.user, case),
            "forms": forms_by,
        },
    )
