"""The yearly thematic orientation (domain §8): the topics a unit orients for the cells
below, the cells adopting them into their quarterly thematic meetings, and the coverage of
topics per cell and per quarter."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chibo.content import figures, services
from chibo.content.access import ancestors_and_self, get_topic_for_user
from chibo.content.models import ThematicTopic, TopicAdoption
from chibo.lib.dates import quarter_of
from chibo.lib.http import actor, add_validation_errors, page_param, year_param
from chibo.lib.submissions import SubmissionField
from chibo.meetings.models import CellMonth, Meeting, MeetingState
from chibo.orgs.access import get_unit_for_user, has_perm, unit_filter
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm

QUARTERS = [(1, "I"), (2, "II"), (3, "III"), (4, "IV")]


class TopicForm(forms.Form):
    submission = SubmissionField()
    title = forms.CharField(label=gettext_lazy("Topic"), max_length=300)
    quarter = forms.TypedChoiceField(
        label=gettext_lazy("Suggested quarter"),
        choices=[("", "—"), *QUARTERS],
        coerce=int,
        empty_value=None,
        required=False,
    )
    guidance = forms.CharField(
        label=gettext_lazy("Content and guidance"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=10_000,
    )
    hcm_content = forms.CharField(
        label=gettext_lazy("Hồ Chí Minh study content"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        max_length=10_000,
    )


class AdoptForm(forms.Form):
    submission = SubmissionField()
    quarter = forms.TypedChoiceField(label=gettext_lazy("Quarter"), choices=QUARTERS, coerce=int)
    meeting = forms.TypedChoiceField(
        label=gettext_lazy("Thematic meeting"), coerce=int, empty_value=None, required=False
    )

    def __init__(self, *args: Any, meetings: list[Meeting], **kwargs: Any) -> None:
        """`meetings`: the cell's thematic meetings of the year, read once for every form
        of the page."""
        super().__init__(*args, **kwargs)
        self.meetings = {m.pk: m for m in meetings}
        field: Any = self.fields["meeting"]
        field.choices = [
            ("", _("— not planned yet —")),
            *((m.pk, f"{m.scheduled_at:%d/%m/%Y} — {m.get_kind_display()}") for m in meetings),
        ]

    def clean_meeting(self) -> Meeting | None:
        pk = self.cleaned_data["meeting"]
        return None if pk is None else self.meetings[pk]


def thematic_meetings(cell: Unit, year: int) -> list[Meeting]:
    return list(
        Meeting.objects.filter(
            unit=cell,
            kind__in=services.THEMATIC_KINDS,
            month__gte=datetime.date(year, 1, 1),
            month__lte=datetime.date(year, 12, 1),
        )
        .exclude(state=MeetingState.CANCELLED)
        .only("pk", "kind", "month", "scheduled_at", "unit_id", "state")
        .order_by("scheduled_at")
    )


def _oriented_for(unit: Unit, year: int, user: Any) -> list[ThematicTopic]:
    """The year's topics that reach `unit`: oriented by it or by a unit above it."""
    return list(
        ThematicTopic.objects.visible_to(user)
        .filter(unit__path__in=ancestors_and_self(unit.path), year=year)
        .select_related("unit")
        .order_by("unit__path", "number")
    )


def topics(request: HttpRequest, code: str) -> HttpResponse:
    """A unit's thematic orientation for a year. Above a cell: its topics and those from
    above, the form to orient a new one (for those who may publish), and the coverage of
    the cells below per quarter. A cell: the topics it may adopt and its quarters."""
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_UNIT)
    year = year_param(request)
    if unit.is_cell:
        return _cell_topics(request, unit, year)
    can_orient = has_perm(request.user, Perm.PUBLISH_MATERIALS, unit)
    form = TopicForm(request.POST or None) if can_orient else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            topic = services.save_topic(
                topic=None,
                unit=unit,
                data={**form.cleaned_data, "year": year},
                submission=form.cleaned_data["submission"],
                by=actor(request),
            )
            messages.success(request, _("The topic is added to the orientation."))
            return redirect(f"{request.path}?year={topic.year}")
    oriented = _oriented_for(unit, year, request.user)
    context: dict[str, Any] = {"unit": unit, "year": year, "topics": oriented, "form": form}
    if has_perm(request.user, Perm.VIEW_MEETINGS, unit) or _sees_meetings_below(request, unit):
        context.update(_coverage(request, unit, year, oriented))
    return render(request, "content/topics.html", context)


def _sees_meetings_below(request: HttpRequest, unit: Unit) -> bool:
    return bool(
        Unit.objects.filter(
            unit_filter(request.user, Perm.VIEW_MEETINGS), path__startswith=unit.path
        ).exists()
    )


def _coverage(
    request: HttpRequest, unit: Unit, year: int, oriented: list[ThematicTopic]
) -> dict[str, Any]:
    """The cells below that the user may see the meetings of: per quarter, how many took up
    an oriented topic; per topic, how many adopted and held it; per cell, each quarter."""
    cell_q = unit_filter(request.user, Perm.VIEW_MEETINGS, through="unit__") & Q(
        unit__path__startswith=unit.path
    )
    cells = (
        Unit.objects.filter(unit_filter(request.user, Perm.VIEW_MEETINGS))
        .cells()
        .filter(path__startswith=unit.path)
    )
    n_cells = cells.count()
    by_quarter = figures.thematic_by_quarter(cell_q, year)
    per_topic = {
        row["topic_id"]: row
        for row in TopicAdoption.objects.filter(cell_q, topic__in=[t.pk for t in oriented])
        .values("topic_id")
        .annotate(adopted=Count("pk"), held=Count("pk", filter=Q(meeting__state__in=figures.HELD)))
        .order_by()
    }
    for topic in oriented:
        row = per_topic.get(topic.pk, {})
        topic.adopted = row.get("adopted", 0)  # type: ignore[attr-defined]
        topic.held = row.get("held", 0)  # type: ignore[attr-defined]
    try:
        gap = int(request.GET.get("gap", ""))
    except ValueError:
        gap = 0
    listed = cells
    if gap in (1, 2, 3, 4):
        # Cells with no thematic meeting held in that quarter, on any topic.
        listed = cells.exclude(
            pk__in=CellMonth.objects.filter(
                thematic_held=True,
                quarter=gap,
                month__gte=datetime.date(year, 1, 1),
                month__lte=datetime.date(year, 12, 1),
            ).values("unit_id")
        )
    else:
        gap = 0
    page = Paginator(listed.order_by("path").only("pk", "code", "name", "path"), 100).get_page(
        page_param(request)
    )
    cells_on_page = list(page)
    ids = [c.pk for c in cells_on_page]
    adoptions = list(
        TopicAdoption.objects.filter(unit_id__in=ids, year=year).values_list(
            "unit_id", "quarter", "meeting__state", "topic__title"
        )
    )
    status = figures.quarter_statuses(ids, year, [(u, q, s) for u, q, s, _t in adoptions])
    adopted_titles: dict[tuple[int, int], list[str]] = {}
    for unit_id, quarter, _state, title in adoptions:
        adopted_titles.setdefault((unit_id, quarter), []).append(Truncator(title).chars(50))
    rows = [
        {
            "cell": cell,
            "quarters": [
                {
                    "status": status.get((cell.pk, q), figures.NONE),
                    "topics": adopted_titles.get((cell.pk, q), []),
                }
                for q in (1, 2, 3, 4)
            ],
        }
        for cell in cells_on_page
    ]
    return {
        "coverage": True,
        "n_cells": n_cells,
        "by_quarter": [(q, by_quarter[q]) for q in (1, 2, 3, 4)],
        "page": page,
        "rows": rows,
        "gap": gap,
        "labels": figures.STATUS_LABELS,
    }


def _cell_topics(request: HttpRequest, cell: Unit, year: int) -> HttpResponse:
    can_adopt = has_perm(request.user, Perm.MANAGE_MEETINGS, cell)
    oriented = [t for t in _oriented_for(cell, year, request.user) if t.unit_id != cell.pk]
    adoptions = {
        a.topic_id: a
        for a in TopicAdoption.objects.filter(unit=cell, year=year).select_related("meeting")
    }
    meetings = thematic_meetings(cell, year) if can_adopt else []
    form_errors: dict[int, AdoptForm] = {}
    if request.method == "POST":
        if not can_adopt:
            raise Http404
        topic = next((t for t in oriented if str(t.pk) == request.POST.get("topic")), None)
        if topic is None:
            messages.error(request, _("Choose one of the topics oriented for this cell."))
            return redirect(f"{request.path}?year={year}")
        try:
            if request.POST.get("action") == "withdraw":
                if topic.pk in adoptions:
                    services.withdraw_topic(adoptions[topic.pk], actor(request))
                    messages.success(request, _("The topic is withdrawn."))
                return redirect(f"{request.path}?year={year}")
            form = AdoptForm(request.POST, meetings=meetings)
            if form.is_valid():
                services.adopt_topic(
                    topic=topic,
                    cell=cell,
                    quarter=form.cleaned_data["quarter"],
                    meeting=form.cleaned_data["meeting"],
                    submission=form.cleaned_data["submission"],
                    by=actor(request),
                )
                messages.success(request, _("The topic is taken into the quarter's meeting."))
                return redirect(f"{request.path}?year={year}")
        except ValidationError as error:
            form = AdoptForm(request.POST, meetings=meetings)
            form.is_valid()
            add_validation_errors(form, error)
        form_errors[topic.pk] = form
    status = figures.quarter_statuses(
        [cell.pk],
        year,
        [(cell.pk, a.quarter, a.meeting.state if a.meeting else None) for a in adoptions.values()],
    )
    taken = {a.meeting_id for a in adoptions.values()}
    rows = []
    for topic in oriented:
        adoption = adoptions.get(topic.pk)
        row_form: AdoptForm | None = form_errors.get(topic.pk)
        if row_form is None and can_adopt and not (adoption and adoption.meeting and
                                               adoption.meeting.is_locked):  # fmt: skip
            if adoption:
                initial = {"quarter": adoption.quarter, "meeting": adoption.meeting_id}
            else:
                # The first free thematic meeting of the suggested quarter, if planned.
                quarter = topic.quarter or 1
                free = [m.pk for m in meetings if quarter_of(m.month) == quarter
                        and m.pk not in taken]  # fmt: skip
                initial = {"quarter": quarter, "meeting": free[0] if free else None}
            row_form = AdoptForm(initial=initial, meetings=meetings)
            row_form.auto_id = f"id_t{topic.pk}_%s"
        rows.append({"topic": topic, "adoption": adoption, "form": row_form})
    titles = {t.pk: t for t in oriented}
    quarters = [
        {
            "quarter": q,
            "status": status.get((cell.pk, q), figures.NONE),
            "topics": [
                titles[a.topic_id]
                for a in adoptions.values()
                if a.quarter == q and a.topic_id in titles
            ],
        }
        for q in (1, 2, 3, 4)
    ]
    return render(
        request,
        "content/topics.html",
        {
            "unit": cell,
            "year": year,
            "rows": rows,
            "quarters": quarters,
            "labels": figures.STATUS_LABELS,
            "can_adopt": can_adopt,
        },
    )


def topic(request: HttpRequest, pk: int) -> HttpResponse:
    """One topic; those who may publish for its unit change or delete it."""
    item = get_topic_for_user(request.user, pk)
    can_edit = has_perm(request.user, Perm.PUBLISH_MATERIALS, item.unit)
    initial = {k: getattr(item, k) for k in ("title", "quarter", "guidance", "hcm_content")}
    form = TopicForm(request.POST or None, initial=initial) if can_edit else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if request.POST.get("action") == "delete":
            try:
                services.delete_topic(item, actor(request))
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
                return redirect(item)
            messages.success(request, _("The topic is deleted."))
            return redirect(f"{reverse('content:topics', args=[item.unit.code])}?year={item.year}")
        if form.is_valid():
            services.save_topic(
                topic=item,
                unit=item.unit,
                data={**form.cleaned_data, "year": item.year},
                by=actor(request),
            )
            messages.success(request, _("The topic is saved."))
            return redirect(item)
    return render(
        request,
        "content/topic.html",
        {"topic": item, "unit": item.unit, "form": form, "adopted": item.adoptions.exists()},
    )
