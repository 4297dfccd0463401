"""Pages of the materials sent down: a unit's list and publishing form, a material with its
file and read confirmation, and its coverage (which cells have read it)."""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from chibo.content import services
from chibo.content.access import get_material_for_user, sent_to
from chibo.content.forms import MaterialForm
from chibo.content.models import Material, MaterialRead
from chibo.lib.downloads import file_name, name_download
from chibo.lib.http import actor, add_validation_errors, page_param
from chibo.lib.uploads import CONTENT_TYPES
from chibo.members.models import Member, Post, PostKind
from chibo.orgs.access import get_unit_for_user, has_perm
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm
from chibo.supervision.access import get_good_practice_for_user, good_practice_visible_to


def materials(request: HttpRequest, code: str) -> HttpResponse:
    """What reaches this unit from above and what it published; the publishing form for
    those who may publish here."""
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_UNIT)
    can_publish = not unit.is_cell and has_perm(request.user, Perm.PUBLISH_MATERIALS, unit)
    form = (
        MaterialForm(request.POST or None, request.FILES or None, unit=unit)
        if can_publish
        else None
    )
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            material = services.publish(
                unit=unit,
                kind=data["kind"],
                title=data["title"],
                summary=data["summary"],
                month=data["month"],
                topic=data["topic"],
                file=data["file"],
                file_type=form.file_type,
                cells=[] if data["all_cells"] else data["cells"],
                submission=data["submission"],
                by=actor(request),
            )
            messages.success(request, _("The material is published."))
            return redirect(material)
    user: User = request.user  # type: ignore[assignment]
    shown = (
        Material.objects.visible_to(request.user)
        .filter(sent_to(unit) | Q(unit__path__startswith=unit.path))
        .select_related("unit")
        .annotate(read=Exists(MaterialRead.objects.filter(material=OuterRef("pk"), user=user)))
        .order_by("-month", "-published_at")
    )
    page = Paginator(shown, 50).get_page(page_param(request))
    return render(
        request,
        "content/materials.html",
        {"unit": unit, "page": page, "form": form},
    )


def material(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_material_for_user(request.user, pk)
    user: User = request.user  # type: ignore[assignment]
    read = MaterialRead.objects.filter(material=item, user=user).first()
    return render(
        request,
        "content/material.html",
        {
            "material": item,
            "unit": item.unit,
            "read": read,
            "cells": list(item.cells.order_by("path")) if not item.all_cells else [],
            "can_see_coverage": _can_see_coverage(request, item),
            "crumb": _breadcrumb_unit(user, item),
        },
    )


def _breadcrumb_unit(user: User, item: Material) -> Unit | None:
    """Where the breadcrumb leads: the publishing unit for whoever may open it, else the
    reader's own cell (whose list of materials holds this one), else nowhere."""
    if has_perm(user, Perm.VIEW_UNIT, item.unit):
        return item.unit
    member = Member.objects.filter(user=user).select_related("unit").first()
    if member is not None and has_perm(user, Perm.VIEW_UNIT, member.unit):
        return member.unit
    return None


def material_file(request: HttpRequest, pk: int) -> FileResponse:
    """The file. Downloading it records nothing (a GET changes no data: a preview or a
    prefetch would count as reading); the reader confirms with the button of the page."""
    item = get_material_for_user(request.user, pk)
    response = FileResponse(
        item.file.open("rb"),
        content_type=CONTENT_TYPES.get(item.file_type, "application/octet-stream"),
    )
    name_download(
        response,
        file_name(item.title, item.file_type),
        inline=item.file_type not in ("docx", "pdf"),
    )
    return response


@require_POST
def confirm_read(request: HttpRequest, pk: int) -> HttpResponse:
    item = get_material_for_user(request.user, pk)
    services.mark_read(item, request.user)  # type: ignore[arg-type]
    messages.success(request, _("Reading confirmed."))
    return redirect(item)


def _can_see_coverage(request: HttpRequest, item: Material) -> bool:
    return has_perm(request.user, Perm.PUBLISH_MATERIALS, item.unit) or has_perm(
        request.user, Perm.VIEW_SUPERVISION, item.unit
    )


def coverage(request: HttpRequest, pk: int) -> HttpResponse:
    """Which target cells have opened the material: the secretary, and how many members
    with an account; filter to the cells that have not."""
    item = get_material_for_user(request.user, pk)
    if not _can_see_coverage(request, item):
        raise Http404
    targets = Unit.objects.visible_to(request.user, Perm.VIEW_UNIT).cells()
    if item.all_cells:
        targets = targets.filter(path__startswith=item.unit.path)
    else:
        targets = targets.filter(pk__in=item.cells.values("pk"))
    reads = MaterialRead.objects.filter(material=item)
    opened_cells = reads.filter(user__member__isnull=False).values("user__member__unit_id")
    total = targets.count()
    opened = targets.filter(pk__in=opened_cells).count()
    unread_only = request.GET.get("unread") == "1"
    listed = targets.exclude(pk__in=opened_cells) if unread_only else targets
    page = Paginator(listed.order_by("path").only("pk", "code", "name", "path"), 100).get_page(
        page_param(request)
    )
    ids = [cell.pk for cell in page]
    read_by_cell = dict(
        reads.filter(user__member__unit_id__in=ids)
        .values_list("user__member__unit_id")
        .annotate(n=Count("pk"))
    )
    accounts = dict(
        Member.objects.active()
        .filter(unit_id__in=ids, user__isnull=False)
        .values_list("unit_id")
        .annotate(n=Count("pk"))
    )
    secretaries = dict(
        Post.objects.filter(
            unit_id__in=ids, kind=PostKind.SECRETARY, ended_on__isnull=True
        ).values_list("unit_id", "member__user_id")
    )
    readers = set(
        reads.filter(user_id__in=[u for u in secretaries.values() if u]).values_list(
            "user_id", flat=True
        )
    )
    rows = [
        {
            "cell": cell,
            "secretary": (
                None if not secretaries.get(cell.pk) else secretaries[cell.pk] in readers
            ),
            "read": read_by_cell.get(cell.pk, 0),
            "accounts": accounts.get(cell.pk, 0),
        }
        for cell in page
    ]
    return render(
        request,
        "content/coverage.html",
        {
            "material": item,
            "unit": item.unit,
            "page": page,
            "rows": rows,
            "total": total,
            "opened": opened,
            "not_opened": total - opened,
            "unread_only": unread_only,
        },
    )


# --- good practice spread as models (nhân rộng) ---------------------------------------------------


class SpreadForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=300)
    summary = forms.CharField(
        label=gettext_lazy("Summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    month = forms.DateField(
        label=gettext_lazy("Month"), widget=forms.DateInput(attrs={"type": "date"})
    )
    cells = forms.CharField(
        label=gettext_lazy("To these cells (codes)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Separated by commas or spaces."),
    )

    def clean_cells(self) -> list[Unit]:
        codes = [c for c in re.split(r"[\s,;]+", self.cleaned_data["cells"]) if c]
        units = list(Unit.objects.cells().filter(code__in=codes))
        missing = sorted(set(codes) - {u.code for u in units})
        if missing:
            raise ValidationError(_("No cell %(code)s.") % {"code": ", ".join(missing)})
        return units


def good_practice(request: HttpRequest, code: str) -> HttpResponse:
    """The findings of good practice of the inspections by this unit and those below, and
    how many times each was spread as a model."""
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_UNIT)
    findings = (
        good_practice_visible_to(request.user)
        .filter(item__unit__path__startswith=unit.path)
        .select_related("item__unit", "item__target")
        .order_by("-item__starts_on", "pk")
    )
    page = Paginator(findings, 50).get_page(page_param(request))
    spread = dict(
        Material.objects.filter(source_finding__in=[f.pk for f in page])
        .values_list("source_finding_id")
        .annotate(n=Count("pk"))
        .values_list("source_finding_id", "n")
    )
    return render(
        request,
        "content/good_practice.html",
        {
            "unit": unit,
            "page": page,
            "rows": [
                (
                    f,
                    spread.get(f.pk, 0),
                    has_perm(request.user, Perm.PUBLISH_MATERIALS, f.item.unit),
                )
                for f in page
            ],
        },
    )


def spread(request: HttpRequest, pk: int) -> HttpResponse:
    """Publish a finding of good practice as a model to chosen cells."""
    finding = get_good_practice_for_user(request.user, pk)
    if not has_perm(request.user, Perm.PUBLISH_MATERIALS, finding.item.unit):
        raise Http404
    form = SpreadForm(
        request.POST or None,
        initial={"title": finding.text[:120], "month": timezone.localdate().replace(day=1)},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            material = services.spread_good_practice(
                finding=finding,
                title=data["title"],
                summary=data["summary"],
                month=data["month"],
                cells=data["cells"],
                by=actor(request),
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The model is published to the chosen cells."))
            return redirect(material)
    return render(
        request,
        "content/spread.html",
        {"finding": finding, "unit": finding.item.unit, "form": form},
    )
