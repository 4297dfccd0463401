"""The minutes taken live on one page (issue 22): the attendance, each agenda item with its
notes and speakers, the conclusion, the resolution, the vote and the tasks, saved piece by
piece through htmx as the secretary types, on a phone.

Every piece is saved by its service in `services`, which takes the meeting's version the
page was read at and refuses a save over a newer one. The page keeps one version for all its
forms (`#live-version`, sent by each with `hx-include`); each fragment returned after a save
carries the new version out of band, so that the next piece typed is not refused. A piece
refused because another device saved first shows both texts and lets the secretary choose.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Max, Prefetch
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chibo.lib.http import actor, add_validation_errors
from chibo.meetings import forms as meeting_forms
from chibo.meetings import services
from chibo.meetings.access import get_meeting_for_user
from chibo.meetings.models import (
    PRESENT_STATUSES,
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingState,
    Speech,
    Task,
)
from chibo.meetings.rules import opens_later
from chibo.members.models import ACTIVE_STATUSES, Member, MemberStatus
from chibo.orgs.permissions import Perm


def _editable_meeting(request: HttpRequest, pk: int) -> Meeting:
    """The meeting, for its record keepers, while its minutes may still be written."""
    meeting = get_meeting_for_user(request.user, pk, action=Perm.MANAGE_MEETINGS)
    if meeting.is_locked or meeting.state == MeetingState.CANCELLED:
        raise Http404
    return meeting


def _version(request: HttpRequest) -> int:
    """The version the page was read at; 0 (refused by the service) when missing."""
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return 0


def _is_stale(error: ValidationError) -> bool:
    return (
        any(getattr(e, "code", None) == "stale" for e in error.error_list)
        if hasattr(error, "error_list")
        else False
    )


# Headers for the phone's queue of changes made offline (chibo/static/chibo/sw.js): the
# meeting's version after a save, and a save refused (by the version check: "stale"; by the
# form: "invalid"), which the phone shows rather than dropping.
VERSION_HEADER = "X-Chibo-Version"
REFUSED_HEADER = "X-Chibo-Refused"


def refusal(error: ValidationError | None) -> str:
    """The value of the refusal header for a save that raised `error` (none: refused by
    the form before the service)."""
    return "stale" if error is not None and _is_stale(error) else "invalid"


def respond(
    request: HttpRequest, template: str, context: dict[str, Any], *, refused: str = ""
) -> HttpResponse:
    """A fragment, followed by the meeting's version as it now is (out of band)."""
    meeting: Meeting = context["meeting"]
    html = render_to_string(template, context, request=request)
    html += render_to_string(
        "meetings/live/_version.html", {"version": meeting.version, "oob": True}
    )
    response = HttpResponse(html)
    response[VERSION_HEADER] = str(meeting.version)
    if refused:
        response[REFUSED_HEADER] = refused
    return response


def refused_response(html: str, refused: str) -> HttpResponse:
    """A refusal that hands back no new version (the page keeps its own)."""
    response = HttpResponse(html)
    response[REFUSED_HEADER] = refused
    return response


# --- what the page shows -------------------------------------------------------------------


def present_members(meeting: Meeting) -> list[Member]:
    """Who may be picked as a speaker: the members recorded present (the whole roster
    before anyone is), those who spoke last first, then in Vietnamese order."""
    roster = services.attendance_roster(meeting)
    present = [m for m, row in roster if row is not None and row.status in PRESENT_STATUSES]
    members = present or [m for m, _row in roster]
    spoke = dict(
        Speech.objects.filter(item__meeting=meeting)
        .values("member_id")
        .annotate(last=Max("pk"))
        .values_list("member_id", "last")
    )
    recent = sorted((m for m in members if m.pk in spoke), key=lambda m: -spoke[m.pk])
    return recent + [m for m in members if m.pk not in spoke]


def _items(meeting: Meeting) -> list[AgendaItem]:
    items = list(
        meeting.items.prefetch_related(
            Prefetch("speeches", queryset=Speech.objects.select_related("member").order_by("pk"))
        )
    )
    for item in items:
        item.field_name = f"item_{item.pk}"  # type: ignore[attr-defined]
        item.label = f"{item.order}. {item.title}"  # type: ignore[attr-defined]
    return items


def _tasks(meeting: Meeting) -> list[Task]:
    return list(meeting.tasks.select_related("owner").order_by("pk"))


def _vote_form(meeting: Meeting, data: Any = None) -> meeting_forms.VoteForm:
    initial = {
        "votes_for": meeting.votes_for,
        "votes_against": meeting.votes_against if meeting.votes_for is not None else 0,
        "votes_abstain": meeting.votes_abstain if meeting.votes_for is not None else 0,
    }
    return meeting_forms.VoteForm(data, meeting=meeting, initial=initial)


def attendance_rows(meeting: Meeting, data: Any = None) -> list[dict[str, Any]]:
    """One row per member of the roster: the status and reason posted, else recorded, else
    the default."""
    rows = []
    for member, row in services.attendance_roster(meeting):
        status = data.get(f"status_{member.pk}") if data is not None else None
        reason = data.get(f"reason_{member.pk}") if data is not None else None
        rows.append(
            {
                "member": member,
                # The member's number as text, written into each of the row's inputs: an
                # integer in a template goes through number formatting (a sheet of 30 has
                # some 300 of them: 5-8 % of the time of a save).
                "key": str(member.pk),
                "status": status
                or (row.status if row else services.default_status(member, meeting)),
                "reason": reason if reason is not None else (row.reason if row else ""),
                "error": "",
            }
        )
    return rows


def rows_counts(meeting: Meeting, rows: list[dict[str, Any]]) -> Any:
    """The counts the rows on the form would give, before they are saved."""
    unsaved = [
        Attendance(
            meeting=meeting,
            member=r["member"],
            status=r["status"],
            member_status=(
                r["member"].status
                if r["member"].status in ACTIVE_STATUSES
                else MemberStatus.OFFICIAL
            ),
            attached_from_elsewhere=r["member"].unit_id != meeting.unit_id,
        )
        for r in rows
    ]
    return meeting.attendance_counts(unsaved)


def mark_rows(rows: list[dict[str, Any]], error: ValidationError) -> list[str]:
    """Put each error of the attendance service on the row of its member; return the
    others, and a line pointing to the marked rows."""
    by_member = {r["member"].pk: r for r in rows}
    general: list[str] = []
    marked = 0
    for each in error.error_list if hasattr(error, "error_list") else [error]:
        member = (each.params or {}).get("member") if each.code == "attendance_row" else None
        if member in by_member:
            row = by_member[member]
            row["error"] = " ".join(filter(None, [row["error"], str(each.message)]))
            marked += 1
        else:
            general.extend(each.messages)
    if marked:
        general.append(_("Some rows need attention: see the marked rows below."))
    return general


def radio_groups(rows: list[dict[str, Any]]) -> None:
    """Each row's radio buttons, one per attendance status, as HTML (`row["radios"]`).

    A sheet of 32 members has 288 of them, and the template's loop over the choices was
    the largest loop of a save's rendering (built here: about 1.5 of a save's 21 ms,
    in-process on the demo). The labels are escaped once; the rest is a member's number, a
    status value of our own and fixed attributes."""
    choices = [(value, conditional_escape(label)) for value, label in AttendanceStatus.choices]
    for row in rows:
        key = row["key"]
        invalid = f' aria-invalid="true" aria-describedby="att-{key}-error"' if row["error"] else ""
        row["radios"] = mark_safe(  # noqa: S308 - built from escaped parts (above)
            "\n".join(
                f'<label><input type="radio" name="status_{key}" value="{value}"'
                f"{' checked' if value == row['status'] else ''}{invalid}> {label}</label>"
                for value, label in choices
            )
        )


def attendance_context(
    meeting: Meeting, rows: list[dict[str, Any]], *, errors: list[str], live: bool
) -> dict[str, Any]:
    radio_groups(rows)
    return {
        "meeting": meeting,
        "rows": rows,
        "errors": errors,
        "counts": rows_counts(meeting, rows),
        "live": live,
        "version": meeting.version,
    }


HEAD_FIELDS = ("chair", "minutes_secretary", "started_at", "ended_at")


def _head_form(meeting: Meeting, data: Any = None) -> meeting_forms.MinutesHeadForm:
    initial = {f: getattr(meeting, f) for f in HEAD_FIELDS}
    for field in ("started_at", "ended_at"):
        if initial[field]:
            initial[field] = timezone.localtime(initial[field])
    return meeting_forms.MinutesHeadForm(data, meeting=meeting, initial=initial)


def meeting_live(request: HttpRequest, pk: int) -> HttpResponse:
    """The one-page minutes editor."""
    meeting = _editable_meeting(request, pk)
    members = present_members(meeting)
    rows = attendance_rows(meeting)
    return render(
        request,
        "meetings/live/live.html",
        {
            "meeting": meeting,
            "unit": meeting.unit,
            "items": _items(meeting),
            "speakers": members,
            "speech_form": None,
            "vote_form": _vote_form(meeting),
            "tasks": _tasks(meeting),
            "task_form": meeting_forms.TaskForm(meeting=meeting),
            "attendance": attendance_context(meeting, rows, errors=[], live=True),
            "opens": opens_later(meeting),
            "head_form": _head_form(meeting),
            "conclusion_label": _("Chair's conclusion"),
            "resolution_label": _("Resolution"),
        },
    )


# --- the pieces saved --------------------------------------------------------------------


class BadField(Exception):
    """A request naming no part of the minutes (not a link of ours)."""


def _text_field(meeting: Meeting, field: str) -> tuple[str, str, AgendaItem | None]:
    """(label, saved text, item) of an autosaved field: conclusion, resolution, item_<pk>."""
    if field == "conclusion":
        return _("Chair's conclusion"), meeting.conclusion, None
    if field == "resolution":
        return _("Resolution"), meeting.resolution, None
    if field.startswith("item_") and field[5:].isdigit():
        item = meeting.items.filter(pk=int(field[5:])).first()
        if item is not None:
            return item.title, item.notes, item
        raise Http404  # an item of another meeting
    raise BadField


def live_text(request: HttpRequest, pk: int) -> HttpResponse:
    """Autosave of one text (POST), or the field as saved (GET, after a conflict)."""
    meeting = _editable_meeting(request, pk)
    source = request.POST if request.method == "POST" else request.GET
    field = source.get("field", "")
    try:
        label, saved, item = _text_field(meeting, field)
    except BadField:
        return HttpResponseBadRequest(_("Name the part of the minutes to save."))
    if request.method != "POST":
        return respond(
            request,
            "meetings/live/_text.html",
            {"meeting": meeting, "field": field, "label": label, "text": saved},
        )
    text = request.POST.get("text", "")
    try:
        if item is None:
            services.save_minutes(
                meeting=meeting,
                data={field: text},
                item_notes={},
                version=_version(request),
                by=actor(request),
            )
        else:
            services.save_minutes(
                meeting=meeting,
                data={},
                item_notes={item.pk: text},
                version=_version(request),
                by=actor(request),
            )
    except ValidationError as error:
        fresh = Meeting.objects.get(pk=meeting.pk)
        _label, saved_now, _item = _text_field(fresh, field)
        # A conflict keeps the page's version: nothing more is saved over the other
        # device's text until the secretary has seen both and chosen.
        return refused_response(
            render_to_string(
                "meetings/live/_status.html",
                {
                    "meeting": fresh,
                    "field": field,
                    "stale": _is_stale(error),
                    "errors": error.messages,
                    "saved": saved_now,
                    "typed": text,
                },
                request=request,
            ),
            refusal(error),
        )
    return respond(
        request,
        "meetings/live/_status.html",
        {"meeting": meeting, "field": field, "saved_at": timezone.localtime()},
    )


def _head_value(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime.datetime):
        return date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    return str(value)


def _head_conflict(meeting: Meeting, form: meeting_forms.MinutesHeadForm) -> dict[str, Any]:
    """A head saved over a newer version: each field that differs, as saved on the other
    device and as typed here, and what "keep mine" sends again (at the newer version)."""
    fresh = Meeting.objects.select_related("chair", "minutes_secretary").get(pk=meeting.pk)
    rows = []
    for name in HEAD_FIELDS:
        saved, typed = getattr(fresh, name), form.cleaned_data[name]
        if saved != typed:
            label = str(form.fields[name].label)
            rows.append((label, _head_value(saved), _head_value(typed)))
    return {
        "meeting": fresh,
        "stale": True,
        "errors": [_("Not saved: this was changed on another device after you opened the page.")],
        "head_rows": rows,
        "typed_fields": [(name, form.data.get(name, "")) for name in HEAD_FIELDS],
    }


@require_POST
def live_head(request: HttpRequest, pk: int) -> HttpResponse:
    """The chair, the minutes secretary and the times, saved as each is changed."""
    meeting = _editable_meeting(request, pk)
    form = _head_form(meeting, request.POST)
    context: dict[str, Any] = {"meeting": meeting, "field": "head"}
    refused = refusal(None)
    if form.is_valid():
        try:
            services.save_minutes(
                meeting=meeting,
                data={f: form.cleaned_data[f] for f in HEAD_FIELDS},
                item_notes={},
                version=_version(request),
                by=actor(request),
            )
        except ValidationError as error:
            refused = refusal(error)
            if _is_stale(error):
                return refused_response(
                    render_to_string(
                        "meetings/live/_status.html",
                        {**_head_conflict(meeting, form), "field": "head"},
                        request=request,
                    ),
                    refused,
                )
            add_validation_errors(form, error)
        else:
            context["saved_at"] = timezone.localtime()
            return respond(request, "meetings/live/_status.html", context)
    context["errors"] = [
        f"{form.fields[name].label}: {' '.join(map(str, errors))}"
        if name in form.fields
        else " ".join(map(str, errors))
        for name, errors in form.errors.items()
    ]
    return refused_response(
        render_to_string("meetings/live/_status.html", context, request=request), refused
    )


@require_POST
def live_speech(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _editable_meeting(request, pk)
    if not request.POST.get("item", "").isdigit():
        return HttpResponseBadRequest(_("Name the agenda item."))
    item = meeting.items.filter(pk=int(request.POST["item"])).first()
    if item is None:
        raise Http404
    speakers = present_members(meeting)
    form = meeting_forms.LiveSpeechForm(request.POST, speakers=speakers)
    shown: meeting_forms.LiveSpeechForm | None = form
    refused = refusal(None)
    if form.is_valid():
        try:
            services.add_speech(
                item=item,
                member=form.cleaned_data["member"],
                gist=form.cleaned_data["gist"],
                version=_version(request),
                by=actor(request),
            )
        except ValidationError as error:
            refused = refusal(error)
            add_validation_errors(form, error)
        else:
            shown = None  # a fresh form for the next speaker
            speakers = present_members(meeting)
    fresh = next(i for i in _items(meeting) if i.pk == item.pk)
    return respond(
        request,
        "meetings/live/_speeches.html",
        {"meeting": meeting, "item": fresh, "speakers": speakers, "speech_form": shown},
        refused="" if shown is None else refused,
    )


@require_POST
def live_vote(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _editable_meeting(request, pk)
    form = _vote_form(meeting, request.POST)
    saved = False
    refused = refusal(None)
    if form.is_valid():
        try:
            services.record_vote(
                meeting=meeting,
                votes_for=form.cleaned_data["votes_for"],
                against=form.cleaned_data["votes_against"],
                abstain=form.cleaned_data["votes_abstain"],
                version=_version(request),
                by=actor(request),
            )
        except ValidationError as error:
            refused = refusal(error)
            add_validation_errors(form, error)
        else:
            saved = True
    return respond(
        request,
        "meetings/live/_vote.html",
        {
            "meeting": meeting,
            "vote_form": form,
            "saved": saved,
        },
        refused="" if saved else refused,
    )


@require_POST
def live_task(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = _editable_meeting(request, pk)
    form = meeting_forms.TaskForm(request.POST, meeting=meeting)
    refused = refusal(None)
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            services.add_task(meeting=meeting, version=_version(request), by=actor(request), **data)
        except ValidationError as error:
            refused = refusal(error)
            add_validation_errors(form, error)
        else:
            form = meeting_forms.TaskForm(meeting=meeting)
            refused = ""
    return respond(
        request,
        "meetings/live/_tasks.html",
        {"meeting": meeting, "tasks": _tasks(meeting), "task_form": form},
        refused=refused,
    )


@require_POST
def attendance_counts(request: HttpRequest, pk: int) -> HttpResponse:
    """The counts of the attendance form as it is being filled in (nothing is saved)."""
    meeting = _editable_meeting(request, pk)
    rows = attendance_rows(meeting, request.POST)
    return render(request, "meetings/live/_counts.html", {"counts": rows_counts(meeting, rows)})
