"""Working regulations of the cells and the training of their secretaries and committee
members (domain §8)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db.models import OuterRef, Q, Subquery
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chibo.content import services
from chibo.content.access import get_course_for_user, get_regulation_for_user
from chibo.content.figures import REGULATION_YEARS, training_years
from chibo.content.models import Course, CourseKind, Regulation
from chibo.lib.dates import add_months
from chibo.lib.downloads import file_name, name_download
from chibo.lib.http import actor, add_validation_errors, page_param
from chibo.lib.submissions import SubmissionField
from chibo.lib.uploads import CONTENT_TYPES, MAX_DOCUMENT_BYTES, document_type
from chibo.members.forms import DateInput
from chibo.members.models import Member, Post, PostKind
from chibo.orgs.access import get_unit_for_user, has_perm
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm


class RegulationForm(forms.Form):
    submission = SubmissionField()
    adopted_on = forms.DateField(label=gettext_lazy("Adopted on"), widget=DateInput())
    notes = forms.CharField(
        label=gettext_lazy("What changed"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=3000,
    )
    file = forms.FileField(label=gettext_lazy("File (PDF or DOCX, up to 20 MB)"))

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        head = upload.read(MAX_DOCUMENT_BYTES + 1)
        upload.seek(0)
        kind = document_type(head)
        if len(head) > MAX_DOCUMENT_BYTES or kind not in ("pdf", "docx"):
            raise forms.ValidationError(_("Send the regulations as PDF or DOCX, up to 20 MB."))
        self.file_type = kind
        return upload


def regulations(request: HttpRequest, code: str) -> HttpResponse:
    """A cell's versions (and a form to add one); above a cell, the cells below with the date
    of their regulations, those without current ones first."""
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_MEETINGS)
    can_add = unit.is_cell and has_perm(request.user, Perm.MANAGE_MEETINGS, unit)
    form = RegulationForm(request.POST or None, request.FILES or None) if can_add else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            services.adopt_regulation(
                unit=unit,
                adopted_on=form.cleaned_data["adopted_on"],
                notes=form.cleaned_data["notes"],
                file=form.cleaned_data["file"],
                file_type=form.file_type,
                submission=form.cleaned_data["submission"],
                by=actor(request),
            )
            messages.success(request, _("The regulations are saved."))
            return redirect("content:regulations", code=unit.code)
    today = timezone.localdate()
    stale_before = add_months(today, -12 * REGULATION_YEARS)
    context: dict[str, Any] = {"unit": unit, "form": form, "stale_before": stale_before}
    if unit.is_cell:
        context["versions"] = list(Regulation.objects.filter(unit=unit).order_by("-number"))
    else:
        latest = Regulation.objects.filter(unit=OuterRef("pk")).order_by("-number")
        cells = (
            Unit.objects.visible_to(request.user, Perm.VIEW_MEETINGS)
            .cells()
            .filter(path__startswith=unit.path)
            .annotate(adopted=Subquery(latest.values("adopted_on")[:1]))
        )
        missing = cells.filter(Q(adopted__isnull=True) | Q(adopted__lt=stale_before))
        only_missing = request.GET.get("missing") == "1"
        shown = (missing if only_missing else cells).order_by("path").only("code", "name", "path")
        context.update(
            {
                "page": Paginator(shown, 100).get_page(page_param(request)),
                "total": cells.count(),
                "missing": missing.count(),
                "only_missing": only_missing,
            }
        )
    return render(request, "content/regulations.html", context)


def regulation_file(request: HttpRequest, pk: int) -> FileResponse:
    regulation = get_regulation_for_user(request.user, pk)
    response = FileResponse(
        regulation.file.open("rb"),
        content_type=CONTENT_TYPES.get(regulation.file_type, "application/octet-stream"),
    )
    name = f"Quy chế làm việc {regulation.unit.name} v{regulation.number}"
    name_download(response, file_name(name, regulation.file_type))
    return response


class CourseForm(forms.Form):
    submission = SubmissionField()
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=CourseKind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    starts_on = forms.DateField(label=gettext_lazy("From"), widget=DateInput())
    ends_on = forms.DateField(label=gettext_lazy("Until"), widget=DateInput())
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200, required=False)
    participants = forms.CharField(
        label=gettext_lazy("Participants (party card numbers)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=gettext_lazy("Separated by commas, spaces or lines."),
    )

    def clean_participants(self) -> list[Member]:
        cards = [c for c in self.cleaned_data["participants"].replace(",", " ").split() if c]
        found = {
            m.card_number: m
            for m in Member.objects.filter(card_number__in=cards).select_related("unit")
        }
        unknown = [c for c in cards if c not in found]
        if unknown:
            raise forms.ValidationError(
                _("No member with card number %(cards)s.") % {"cards": ", ".join(unknown[:10])}
            )
        return list(found.values())


def _training_years(request: HttpRequest) -> int:
    default = training_years()
    try:
        years = int(request.GET.get("years", default))
    except ValueError:
        return default
    return years if 1 <= years <= 20 else default


def training(request: HttpRequest, code: str) -> HttpResponse:
    """The courses organised at or below a unit, and the secretaries, deputies and cell
    committee members below it not trained within the last N years."""
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_MEMBERS)
    can_add = not unit.is_cell and has_perm(request.user, Perm.MANAGE_MEMBERS, unit)
    form = CourseForm(request.POST or None) if can_add else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                course = services.save_course(
                    course=None,
                    unit=unit,
                    data=form.cleaned_data,
                    participants=form.cleaned_data["participants"],
                    submission=form.cleaned_data["submission"],
                    by=actor(request),
                )
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, _("The course is saved."))
                return redirect(course)
    years = _training_years(request)
    cutoff = add_months(timezone.localdate(), -12 * years)
    last_course = (
        Course.participants.through.objects.filter(member_id=OuterRef("member_id"))
        .order_by("-course__ends_on")
        .values("course__ends_on")[:1]
    )
    untrained = (
        Post.objects.filter(
            unit__in=Unit.objects.visible_to(request.user, Perm.VIEW_MEMBERS).filter(
                path__startswith=unit.path
            ),
            ended_on__isnull=True,
        )
        .annotate(last_trained=Subquery(last_course))
        .filter(Q(last_trained__isnull=True) | Q(last_trained__lt=cutoff))
        .select_related("member", "unit")
        .order_by("unit__path", "kind", "member__sort_key")
    )
    courses = Course.objects.filter(
        unit__in=Unit.objects.visible_to(request.user, Perm.VIEW_MEMBERS).filter(
            path__startswith=unit.path
        )
    ).select_related("unit")
    return render(
        request,
        "content/training.html",
        {
            "unit": unit,
            "form": form,
            "years": years,
            "courses": Paginator(courses, 30).get_page(page_param(request, "cpage")),
            "untrained": Paginator(untrained, 100).get_page(page_param(request)),
            "post_kinds": dict(PostKind.choices),
        },
    )


def course(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_course_for_user(request.user, pk)
    can_edit = has_perm(request.user, Perm.MANAGE_MEMBERS, item.unit)
    people = list(item.participants.select_related("unit").order_by("unit__path", "sort_key"))
    form = None
    if can_edit:
        form = CourseForm(
            request.POST or None,
            initial={
                "kind": item.kind,
                "title": item.title,
                "starts_on": item.starts_on,
                "ends_on": item.ends_on,
                "place": item.place,
                "participants": " ".join(p.card_number or "" for p in people),
            },
        )
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                services.save_course(
                    course=item,
                    unit=item.unit,
                    data=form.cleaned_data,
                    participants=form.cleaned_data["participants"],
                    by=actor(request),
                )
            except ValidationError as error:
                add_validation_errors(form, error)
            else:
                messages.success(request, _("The course is saved."))
                return redirect(item)
    return render(
        request,
        "content/course.html",
        {"course": item, "unit": item.unit, "people": people, "form": form},
    )
