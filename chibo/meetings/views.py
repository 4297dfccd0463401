"""Meeting pages: a cell's meetings, one meeting with its preparation, attendance,
minutes, vote and tasks, and each person's tasks."""

from __future__ import annotations

import datetime
import io
import secrets
from collections.abc import Callable
from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import IntegerField, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from chibo.lib import seal
from chibo.lib.downloads import file_name, name_download
from chibo.lib.http import actor, add_validation_errors
from chibo.lib.statements import Statement
from chibo.meetings import calendar, documents, live, seals, services
from chibo.meetings import forms as meeting_forms
from chibo.meetings.access import get_meeting_for_user, get_task_for_user
from chibo.meetings.models import (
    Attendance,
    AttendanceStatus,
    CalendarFeed,
    Meeting,
    MeetingState,
    Speech,
    Task,
)
from chibo.meetings.rules import opens_later
from chibo.members.models import Member
from chibo.orgs.access import get_unit_for_user, has_perm
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# The meeting page's tasks: a statement (11 % of the page's CPU).
MEETING_TASKS = Statement(
    lambda *, meeting: Task.objects.filter(meeting=meeting).select_related("owner"),
    meeting=IntegerField(),
)


def cell_meetings(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_MEETINGS)
    if not unit.is_cell:
        raise Http404
    meetings = list(Meeting.objects.filter(unit=unit).order_by("-scheduled_at")[:60])
    can_manage = has_perm(request.user, Perm.MANAGE_MEETINGS, unit)
    schedule_form = meeting_forms.ScheduleForm(
        initial={"year": timezone.localdate().year, "place": _("Cell meeting hall")}
    )
    return render(
        request,
        "meetings/cell_meetings.html",
        {
            "unit": unit,
            "meetings": meetings,
            "can_manage": can_manage,
            "schedule_form": schedule_form,
        },
    )


def meeting_new(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_unit_for_user(request.user, code, action=Perm.MANAGE_MEETINGS)
    if not unit.is_cell:
        raise Http404
    form = meeting_forms.NewMeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.plan_meeting(unit=unit, by=actor(request), **form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The meeting is planned."))
            return redirect(meeting)
    return render(
        request, "meetings/form.html", {"form": form, "unit": unit, "title": _("Plan a meeting")}
    )


@require_POST
def schedule(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_unit_for_user(request.user, code, action=Perm.MANAGE_MEETINGS)
    if not unit.is_cell:
        raise Http404
    form = meeting_forms.ScheduleForm(request.POST)
    if form.is_valid():
        try:
            made = services.generate_schedule(unit=unit, by=actor(request), **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("%(n)s meetings planned.") % {"n": len(made.meetings)})
            for line in made.move_lines():
                messages.info(request, line)
    else:
        messages.error(request, _("Check the year, day, hour and place of the schedule."))
    return redirect("meetings:cell", code=unit.code)


def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk)
    can_manage = has_perm(request.user, Perm.MANAGE_MEETINGS, meeting.unit)
    editable = can_manage and not meeting.is_locked and meeting.state != MeetingState.CANCELLED
    return render(
        request,
        "meetings/meeting.html",
        {
            "meeting": meeting,
            "unit": meeting.unit,
            "record": minutes_record(request, meeting, editable=editable),
            "tasks": MEETING_TASKS(meeting=meeting.pk),
            "visitors": list(meeting.visitors.all()),
            "missing": meeting.missing_for_approval()
            if can_manage and not meeting.is_locked
            else [],
            "can_manage": can_manage,
            "editable": editable,
            "opens": opens_later(meeting) if editable else None,
        },
    )


# Approved minutes are read-only, so their rendering is the same for every reader: it is
# kept (per version of the minutes and language) for this long, which also bounds how long
# a member's renaming takes to show in old minutes.
RECORD_SECONDS = 600


def minutes_record(request: HttpRequest, meeting: Meeting, *, editable: bool) -> dict[str, str]:
    """The preparation, the attendance, the minutes, the vote and the amendments of
    `meeting`, rendered, with the seal the minutes must match. Those of approved minutes are
    kept in the cache, keyed by their version (an amendment raises it) and seal."""
    key = ""
    if meeting.is_locked:
        # Checked on every view, cached or not: a copy kept from before a change made
        # behind the application's back would otherwise hide the change, and a new
        # rendering would show the changed text as the approved minutes.
        if seals.broken(meeting):
            return {
                "html": render_to_string(
                    "meetings/_broken_seal.html", {"meeting": meeting}, request=request
                ),
                "seal": "",
                "broken": "1",
            }
        language = getattr(request, "LANGUAGE_CODE", settings.LANGUAGE_CODE)
        key = f"minutes:{meeting.pk}:{meeting.version}:{meeting.minutes_seal}:{language}"
        kept: dict[str, str] | None = cache.get(key)
        if kept is not None:
            return {"html": SafeString(kept["html"]), "seal": kept["seal"]}
    meeting.load_people()
    attendance = list(meeting.attendance.select_related("member").order_by("member__sort_key"))
    unrecorded = 0
    if meeting.is_locked:
        counts = meeting.attendance_counts(attendance)
    else:
        # Minutes still being written count the whole roster, not only who checked in.
        so_far, unrecorded = services.attendance_so_far(meeting)
        counts = meeting.attendance_counts(so_far)
    items = list(
        meeting.items.prefetch_related(
            Prefetch("speeches", queryset=Speech.objects.select_related("member"))
        )
    )
    # The first item of minutes being written reviews the tasks still open from earlier
    # meetings; approved minutes keep what was recorded then.
    carried = (
        []
        if meeting.is_locked
        else list(
            Task.objects.filter(
                meeting__unit=meeting.unit, meeting__scheduled_at__lt=meeting.scheduled_at
            )
            .still_open()
            .select_related("owner", "meeting")
        )
    )
    amendments = list(meeting.amendments.select_related("made_by"))
    html = render_to_string(
        "meetings/_record.html",
        {
            "meeting": meeting,
            "counts": counts,
            "unrecorded": unrecorded,
            "attendance": attendance,
            "absent": [
                a
                for a in attendance
                if a.status in (AttendanceStatus.ABSENT_EXCUSED, AttendanceStatus.ABSENT_UNEXCUSED)
            ],
            "items": items,
            "carried": carried,
            "amendments": amendments,
            "guests": list(meeting.guests.all()),
            "passed": meeting.vote_passed(counts),
            "steps": meeting.preparation_steps(),
            "editable": editable,
        },
        request=request,
    )
    record = {"html": html, "seal": seal.display(seals.latest(meeting, amendments))}
    if key:
        cache.set(key, {"html": str(html), "seal": record["seal"]}, RECORD_SECONDS)
    return record


def _meeting_form(
    request: HttpRequest,
    pk: int,
    *,
    make_form: Callable[[Meeting, Any], forms.Form],
    run: Callable[[Meeting, forms.Form], object],
    title: str,
    done: str,
    allow_locked: bool = False,
    show_panels: bool = False,
    records: bool = False,
) -> HttpResponse:
    """A page with one form that changes a meeting, for the cell's record keepers."""
    meeting = get_meeting_for_user(request.user, pk, action=Perm.MANAGE_MEETINGS)
    if meeting.is_locked and not allow_locked:
        messages.error(
            request, _("These minutes are approved and read-only; record an amendment instead.")
        )
        return redirect(meeting)
    form = make_form(meeting, request.POST or None)
    if "version" in form.fields:
        # The version the page was read at travels with the form; the service refuses a
        # save over a newer one (services.lock_meeting).
        form.initial.setdefault("version", meeting.version)
    if request.method == "POST" and form.is_valid():
        try:
            run(meeting, form)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, done)
            return redirect(meeting)
    return render(
        request,
        "meetings/form.html",
        {
            "form": form,
            "meeting": meeting,
            "unit": meeting.unit,
            "title": title,
            # What the apps above add to the page (the slot "meetings.meeting").
            "show_panels": show_panels,
            "opens": opens_later(meeting) if records else None,
        },
    )


def meeting_preparation(request: HttpRequest, pk: int) -> HttpResponse:
    def make(meeting: Meeting, data: Any) -> forms.Form:
        initial = {f: getattr(meeting, f) for f in services.PREPARATION_FIELDS}
        return meeting_forms.PreparationForm(
            data, meeting=meeting, initial={**initial, "version": meeting.version}
        )

    return _meeting_form(
        request,
        pk,
        make_form=make,
        run=lambda m, f: services.save_preparation(
            meeting=m, data=f.cleaned_data, version=f.cleaned_data["version"], by=actor(request)
        ),
        title=_("Preparation"),
        done=_("The preparation is saved."),
        show_panels=True,
    )


def meeting_minutes(request: HttpRequest, pk: int) -> HttpResponse:
    def make(meeting: Meeting, data: Any) -> forms.Form:
        initial = {f: getattr(meeting, f) for f in services.MINUTES_FIELDS}
        for field in ("started_at", "ended_at"):
            if initial[field]:
                initial[field] = timezone.localtime(initial[field])
        return meeting_forms.MinutesForm(
            data, meeting=meeting, initial={**initial, "version": meeting.version}
        )

    def run(meeting: Meeting, form: forms.Form) -> object:
        assert isinstance(form, meeting_forms.MinutesForm)
        data = {k: form.cleaned_data[k] for k in services.MINUTES_FIELDS}
        return services.save_minutes(
            meeting=meeting,
            data=data,
            item_notes=form.item_notes(),
            version=form.cleaned_data["version"],
            by=actor(request),
        )

    return _meeting_form(
        request,
        pk,
        make_form=make,
        run=run,
        title=_("Minutes"),
        done=_("The minutes are saved."),
        records=True,
    )


def meeting_speech(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_form(
        request,
        pk,
        make_form=lambda m, data: meeting_forms.SpeechForm(data, meeting=m),
        run=lambda m, f: services.add_speech(
            item=f.cleaned_data["item"],
            member=f.cleaned_data["member"],
            gist=f.cleaned_data["gist"],
            version=f.cleaned_data["version"],
            submission=f.cleaned_data["submission"],
            by=actor(request),
        ),
        title=_("Add a speaker"),
        done=_("The speaker is added."),
        records=True,
    )


def meeting_guest(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_form(
        request,
        pk,
        make_form=lambda m, data: meeting_forms.GuestForm(data),
        run=lambda m, f: services.add_guest(meeting=m, by=actor(request), **f.cleaned_data),
        title=_("Add a guest"),
        done=_("The guest is added."),
    )


def meeting_item(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_form(
        request,
        pk,
        make_form=lambda m, data: meeting_forms.AgendaItemForm(data),
        run=lambda m, f: services.add_agenda_item(meeting=m, by=actor(request), **f.cleaned_data),
        title=_("Add an agenda item"),
        done=_("The item is added to the agenda."),
    )


@require_POST
def meeting_item_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk, action=Perm.MANAGE_MEETINGS)
    item = meeting.items.filter(pk=item_pk).first()
    if item is None:
        raise Http404
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    try:
        services.remove_agenda_item(item=item, version=version, by=actor(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The item is removed from the agenda."))
    return redirect(meeting)


def meeting_vote(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_form(
        request,
        pk,
        make_form=lambda m, data: meeting_forms.VoteForm(
            data, meeting=m, initial={"version": m.version}
        ),
        run=lambda m, f: services.record_vote(
            meeting=m,
            votes_for=f.cleaned_data["votes_for"],
            against=f.cleaned_data["votes_against"],
            abstain=f.cleaned_data["votes_abstain"],
            version=f.cleaned_data["version"],
            by=actor(request),
        ),
        title=_("Vote on the resolution"),
        done=_("The vote is recorded."),
        records=True,
    )


def meeting_task(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_form(
        request,
        pk,
        make_form=lambda m, data: meeting_forms.TaskForm(data, meeting=m),
        run=lambda m, f: services.add_task(meeting=m, by=actor(request), **f.cleaned_data),
        title=_("Add a task of the resolution"),
        done=_("The task is added."),
    )


def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    def make(meeting: Meeting, data: Any) -> forms.Form:
        initial = {
            "kind": meeting.kind,
            "scheduled_at": timezone.localtime(meeting.scheduled_at),
            "place": meeting.place,
            "topic": meeting.topic,
            "version": meeting.version,
        }
        return meeting_forms.EditForm(data, initial=initial)

    return _meeting_form(
        request,
        pk,
        make_form=make,
        run=lambda m, f: services.edit_meeting(meeting=m, by=actor(request), **f.cleaned_data),
        title=_("Change the meeting"),
        done=_("The meeting is changed."),
    )


def meeting_postpone(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_form(
        request,
        pk,
        make_form=lambda m, data: meeting_forms.PostponeForm(data, initial={"version": m.version}),
        run=lambda m, f: services.postpone_meeting(
            meeting=m,
            to=f.cleaned_data["to"],
            reason=f.cleaned_data["reason"],
            version=f.cleaned_data["version"],
            by=actor(request),
        ),
        title=_("Postpone the meeting"),
        done=_("The meeting is postponed."),
    )


def meeting_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    return _meeting_form(
        request,
        pk,
        make_form=lambda m, data: meeting_forms.CancelForm(data, initial={"version": m.version}),
        run=lambda m, f: services.cancel_meeting(
            meeting=m,
            reason=f.cleaned_data["reason"],
            version=f.cleaned_data["version"],
            by=actor(request),
        ),
        title=_("Cancel the meeting"),
        done=_("The meeting is cancelled."),
    )


def meeting_amend(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk, action=Perm.MANAGE_MEETINGS)
    if not meeting.is_locked:
        raise Http404
    return _meeting_form(
        request,
        pk,
        make_form=lambda m, data: meeting_forms.AmendForm(data),
        run=lambda m, f: services.amend_minutes(meeting=m, by=actor(request), **f.cleaned_data),
        title=_("Amend the approved minutes"),
        done=_("The amendment is recorded beside the original."),
        allow_locked=True,
    )


@require_POST
def meeting_approve(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk, action=Perm.MANAGE_MEETINGS)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    live_page = bool(request.headers.get("HX-Request"))
    try:
        services.approve_minutes(meeting=meeting, version=version, by=actor(request))
    except ValidationError as error:
        if live_page:  # said on the live minutes, where what is missing can be written
            return render(request, "meetings/live/_refused.html", {"errors": error.messages})
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The minutes are approved: they are now read-only."))
    if live_page:  # approved from the live minutes: to the meeting's page
        return HttpResponse(headers={"HX-Redirect": meeting.get_absolute_url()})
    return redirect(meeting)


def meeting_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """The attendance sheet: a page of its own, or a part of the live minutes (htmx)."""
    meeting = get_meeting_for_user(request.user, pk, action=Perm.MANAGE_MEETINGS)
    if meeting.is_locked:
        messages.error(
            request, _("These minutes are approved and read-only; record an amendment instead.")
        )
        return redirect(meeting)
    partial = bool(request.headers.get("HX-Request"))
    posted = request.POST if request.method == "POST" else None
    rows = live.attendance_rows(meeting, posted)
    errors: list[str] = []
    saved = False
    refused = ""
    if posted is not None:
        try:
            version = int(posted.get("version", ""))
            services.record_attendance(
                meeting=meeting,
                entries={r["member"].pk: (r["status"], r["reason"]) for r in rows},
                version=version,
                by=actor(request),
            )
        except ValueError:
            errors = [_("The form is out of date: reload the page.")]
            refused = "stale"
        except ValidationError as error:
            errors = live.mark_rows(rows, error)
            refused = live.refusal(error)
        else:
            if not partial:
                messages.success(request, _("The attendance is saved."))
                return redirect(meeting)
            saved = True
    context = live.attendance_context(meeting, rows, errors=errors, live=partial)
    context["saved"] = saved
    context["opens"] = opens_later(meeting)
    if partial:
        return live.respond(request, "meetings/_attendance_form.html", context, refused=refused)
    if posted is not None:
        context["version"] = posted.get("version")
    return render(request, "meetings/attendance.html", {**context, "unit": meeting.unit})


def task_update(request: HttpRequest, pk: int) -> HttpResponse:
    task = get_task_for_user(request.user, pk)
    form = meeting_forms.TaskUpdateForm(request.POST or None, initial={"status": task.status})
    if request.method == "POST" and form.is_valid():
        services.update_task(task=task, by=actor(request), **form.cleaned_data)
        messages.success(request, _("The task is updated."))
        next_url = request.POST.get("next", "")
        if next_url.startswith("/") and not next_url.startswith("//"):
            return redirect(next_url)
        return redirect(task.meeting)
    return render(
        request,
        "meetings/form.html",
        {"form": form, "meeting": task.meeting, "unit": task.meeting.unit, "title": task.title},
    )


def _document_name(meeting: Meeting, extension: str) -> str:
    local = timezone.localtime(meeting.scheduled_at)
    return file_name(f"Biên bản {meeting.unit.name} {local:%d-%m-%Y}", extension)


def minutes_seal(request: HttpRequest, pk: int) -> HttpResponse:
    """Recompute the seal of approved minutes and say whether the content still matches."""
    meeting = get_meeting_for_user(request.user, pk)
    return render(
        request,
        "meetings/seal.html",
        {"meeting": meeting, "unit": meeting.unit, "status": seals.status(meeting)},
    )


def minutes_docx(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk)
    content = documents.minutes_docx(documents.minutes_data(meeting))
    response = HttpResponse(content, content_type=DOCX_TYPE)
    name_download(response, _document_name(meeting, "docx"))
    return response


def minutes_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    meeting = get_meeting_for_user(request.user, pk)
    try:
        content = documents.minutes_pdf(documents.minutes_data(meeting))
    except documents.PdfUnavailableError:
        messages.error(
            request, _("PDF is not available on this server; download the DOCX instead.")
        )
        return redirect(meeting)
    response = HttpResponse(content, content_type="application/pdf")
    name_download(response, _document_name(meeting, "pdf"))
    return response


def attendance_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """A printable sheet for signatures, one line per member expected at the meeting."""
    meeting = get_meeting_for_user(request.user, pk)
    roster = services.attendance_roster(meeting)
    return render(
        request,
        "meetings/attendance_sheet.html",
        {"meeting": meeting, "unit": meeting.unit, "roster": [m for m, _row in roster]},
    )


# --- calendars and check-in ---------------------------------------------------------------

CALENDAR_MONTHS_BACK = 3


def calendar_settings(request: HttpRequest) -> HttpResponse:
    """The person's private calendar addresses, and a button to make them or replace them
    (made by the POST, not by opening the page: a GET changes no data)."""
    if request.method == "POST":
        _feed, created = services.renew_calendar_feed(user=request.user)  # type: ignore[arg-type]
        if created:
            messages.success(request, _("Your calendar addresses are made."))
        else:
            messages.success(request, _("New addresses made: the old ones no longer work."))
        return redirect("meetings:calendar")
    feed = CalendarFeed.objects.filter(user=request.user.pk).first()
    cells = list(
        Unit.objects.visible_to(request.user, Perm.VIEW_MEETINGS)
        .cells()
        .select_related("kind")[:20]
    )
    return render(
        request,
        "meetings/calendar.html",
        {
            "feed": feed,
            "cells": cells,
            "base": request.build_absolute_uri("/")[:-1],
            # One tap subscribes: calendar apps open webcal:// addresses themselves.
            "webcal": f"webcal://{request.get_host()}",
        },
    )


def _feed_user(token: str) -> Any:
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        raise Http404
    return feed.user


def _ics(request: HttpRequest, meetings: Any, name: str) -> HttpResponse:
    since = timezone.now() - datetime.timedelta(days=31 * CALENDAR_MONTHS_BACK)
    rows = meetings.filter(scheduled_at__gte=since).select_related("unit").order_by("scheduled_at")
    content = calendar.meetings_ics(rows, name=name, base_url=request.build_absolute_uri("/")[:-1])
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    # Asked without a login (the token is the key), yet personal: no cache may keep it.
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_not_required
def person_calendar(request: HttpRequest, token: str) -> HttpResponse:
    user = _feed_user(token)
    # Only a member on the rolls has a cell's meetings (one who left keeps none).
    member = Member.objects.active().filter(user=user).first()
    if member is None:  # an upper-level member without a record here: their visits
        return _ics(request, Meeting.objects.filter(visitors=user), _("My party cell meetings"))
    cells = [member.unit_id] + ([member.attached_to_id] if member.attached_to_id else [])
    mine = Meeting.objects.filter(Q(unit__in=cells) | Q(visitors=user)).distinct()
    return _ics(request, mine, _("My party cell meetings"))


@login_not_required
def cell_calendar(request: HttpRequest, token: str, code: str) -> HttpResponse:
    user = _feed_user(token)
    unit = get_unit_for_user(user, code, action=Perm.VIEW_MEETINGS)
    return _ics(request, Meeting.objects.filter(unit=unit), unit.name)


def meeting_qr(request: HttpRequest, pk: int) -> HttpResponse:
    """The QR code members scan to check in (an SVG, for the secretary's screen)."""
    meeting = get_meeting_for_user(request.user, pk, action=Perm.MANAGE_MEETINGS)
    url = request.build_absolute_uri(
        reverse("meetings:checkin", args=[meeting.pk, meeting.checkin_code])
    )
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, border=2)
    return HttpResponse(out.getvalue(), content_type="image/svg+xml")


def meeting_checkin(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """A member checks in by scanning the meeting's code, while the meeting is on. The code
    opens a page with a button (a GET changes nothing: a link preview or a prefetch must
    not check anyone in); the button posts the check-in."""
    meeting = get_meeting_for_user(request.user, pk)
    if not secrets.compare_digest(code, meeting.checkin_code):
        raise Http404
    member = Member.objects.filter(pk__in=[]).first()
    if request.user.is_authenticated:  # always, past LoginRequiredMiddleware
        member = Member.objects.filter(user=request.user).first()
    if meeting.state == MeetingState.APPROVED:
        # Approved minutes are closed: say so, and what was recorded for this member.
        row = Attendance.objects.filter(meeting=meeting, member=member).first() if member else None
        context = {"meeting": meeting, "unit": meeting.unit, "closed": True, "attendance": row}
        return render(request, "meetings/checkin.html", context)
    if request.method != "POST":
        return render(request, "meetings/checkin.html", {"meeting": meeting, "unit": meeting.unit})
    try:
        if member is None:
            raise ValidationError(_("Your account is not linked to a member record."))
        row = services.check_in(meeting=meeting, member=member, by=actor(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("You are checked in: %(status)s.") % {"status": row.get_status_display()}
        )
    return redirect(meeting)
