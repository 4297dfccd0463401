"""Member pages: rosters, search, one member with their history, the actions that change
a record, and roster files in and out."""

from __future__ import annotations

import datetime
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from chibo.lib.downloads import file_name, name_download
from chibo.lib.history import history_entries
from chibo.lib.http import HtmxHttpRequest, actor, add_validation_errors, page_param, search_param
from chibo.lib.replica import reads_from_replica
from chibo.members import forms as member_forms
from chibo.members import services, tasks
from chibo.members.access import (
    citizen_id_search_filter,
    get_import_for_user,
    get_member_for_user,
    hidden_fields,
    sees_personal_fields,
)
from chibo.members.models import (
    ACTIVE_STATUSES,
    AWAY_STATUSES,
    Change,
    ImportState,
    Member,
    MemberStatus,
    Post,
    RosterImport,
)
from chibo.members.roster_io import write_xlsx
from chibo.members.tasks import check_roster, import_roster
from chibo.orgs.access import get_unit_for_user, has_perm
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm

ROSTER_PAGE_SIZE = 100
SEARCH_PAGE_SIZE = 50
_DERIVED_FIELDS = frozenset({"sort_key", "search_name", "family_name", "middle_name", "given_name"})


def _visible_members(request: HttpRequest, unit: Unit) -> Any:
    # Filter on the unit ids of the visible subtree: the databases then reach the rows
    # through the unit index instead of walking the whole name index.
    units = Unit.objects.visible_to(request.user, Perm.VIEW_MEMBERS).filter(
        path__startswith=unit.path
    )
    return Member.objects.filter(unit__in=units.order_by().values("pk"))


def _current_posts(members: list[Member]) -> dict[int, list[Post]]:
    posts: dict[int, list[Post]] = {}
    today = timezone.localdate()
    for post in Post.objects.filter(member__in=[m.pk for m in members], started_on__lte=today):
        if post.ended_on is None or post.ended_on > today:
            posts.setdefault(post.member_id, []).append(post)
    return posts


def roster(request: HtmxHttpRequest, code: str) -> HttpResponse:
    """Members of the unit and the units below it, in Vietnamese name order."""
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_MEMBERS)
    members = _visible_members(request, unit)
    status_counts = dict(
        members.order_by().values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    query = search_param(request)
    show_active = request.GET.get("all") != "1"
    show = members.active() if show_active else members
    if query:
        show = show.search(query, citizen_id_within=citizen_id_search_filter(request.user))
    if not query:
        show = show.in_vietnamese_order()
    active_count = sum(status_counts.get(s, 0) for s in ACTIVE_STATUSES)
    paginator = Paginator(show.select_related("unit", "attached_to"), ROSTER_PAGE_SIZE)
    if not query:
        # The counts by status already say how many there are: no query to count them again.
        paginator.count = active_count if show_active else sum(status_counts.values())
    page = paginator.get_page(page_param(request))
    posts = _current_posts(list(page))
    context = {
        "unit": unit,
        "page": page,
        "rows": [(member, posts.get(member.pk, [])) for member in page],
        "query": query,
        "status_counts": [
            (label, status_counts.get(value, 0))
            for value, label in MemberStatus.choices
            if value != MemberStatus.LEFT
        ],
        "active_count": active_count,
        "can_manage": has_perm(request.user, Perm.MANAGE_MEMBERS, unit),
    }
    if request.htmx and request.htmx.target == "roster-rows":
        return render(request, "members/_roster_rows.html", context)
    return render(request, "members/roster.html", context)


def search(request: HttpRequest) -> HttpResponse:
    """Members within the user's reach whose name (with or without diacritics), card or
    citizen ID number matches."""
    query = search_param(request)
    results = Member.objects.none()
    if query:
        results = (
            Member.objects.visible_to(request.user)
            .search(query, citizen_id_within=citizen_id_search_filter(request.user))
            .select_related("unit")
        )
    page = Paginator(results, SEARCH_PAGE_SIZE).get_page(page_param(request))
    return render(request, "members/search.html", {"query": query, "page": page})


def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member_for_user(request.user, pk)
    can_manage = has_perm(request.user, Perm.MANAGE_MEMBERS, member.unit)
    periods = member.periods.select_related("unit", "attached_to", "recorded_by").order_by(
        "-started_on", "-pk"
    )
    return render(
        request,
        "members/member.html",
        {
            "member": member,
            "periods": list(periods),
            "posts": list(member.posts.select_related("unit").order_by("-started_on")),
            "can_manage": can_manage,
            "can_see_personal": sees_personal_fields(request.user, member),
            "actions": [a for a in ACTIONS.values() if a.allowed(member)] if can_manage else [],
        },
    )


def member_history(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member_for_user(request.user, pk)
    records = list(member.history.select_related("history_user").order_by("-history_date"))
    return render(
        request,
        "history.html",
        {
            "object": member,
            "entries": history_entries(
                records, hidden=_DERIVED_FIELDS | hidden_fields(request.user, member)
            ),
        },
    )


def member_new(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_unit_for_user(request.user, code, action=Perm.MANAGE_MEMBERS)
    if not unit.is_cell:
        raise Http404
    form = member_forms.MemberForm(request.POST or None)
    arrival = member_forms.ArrivalForm(request.POST or None)
    if request.method == "POST" and all([form.is_valid(), arrival.is_valid()]):
        transferred = arrival.cleaned_data["arrival"] == Change.TRANSFERRED_IN
        try:
            member = services.create_member(
                unit=unit,
                data=form.cleaned_data,
                by=actor(request),
                on=arrival.cleaned_data["arrived_on"] if transferred else None,
                change=Change.TRANSFERRED_IN if transferred else Change.CREATED,
                submission=arrival.cleaned_data["submission"],
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("%(name)s was added.") % {"name": member.full_name})
            return redirect(member)
    return render(
        request, "members/member_form.html", {"form": form, "arrival": arrival, "unit": unit}
    )


def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member_for_user(request.user, pk, action=Perm.MANAGE_MEMBERS)
    form = member_forms.MemberForm(request.POST or None, instance=member)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_member(
                member=member,
                data=form.cleaned_data,
                version=form.cleaned_data["version"],
                by=actor(request),
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The record was saved."))
            return redirect(member)
    return render(
        request, "members/member_form.html", {"form": form, "unit": member.unit, "member": member}
    )


# --- actions that change a member's place or status -------------------------------------


@dataclass(frozen=True)
class Action:
    """One change a record keeper can make on a member's page."""

    slug: str
    label: Any
    form: type[forms.Form]
    allowed: Callable[[Member], bool]
    run: Callable[[HttpRequest, Member, dict[str, Any]], object]


def _cell(request: HttpRequest, code: str) -> Unit:
    try:
        return get_unit_for_user(request.user, code.strip(), action=Perm.MANAGE_MEMBERS)
    except Http404:
        raise ValidationError(_("No party cell with this code is within your reach.")) from None


def _active(m: Member) -> bool:
    return m.status in ACTIVE_STATUSES


ACTIONS = {
    a.slug: a
    for a in [
        Action(
            "official",
            gettext_lazy("Recognise as official member"),
            member_forms.OfficialForm,
            lambda m: m.status == MemberStatus.PROBATIONARY,
            lambda r, m, d: services.make_official(
                member=m,
                on=d["on"],
                votes_for=d["votes_for"],
                votes_against=d["votes_against"] or 0,
                decision=d["decision"],
                by=actor(r),
            ),
        ),
        Action(
            "transfer",
            gettext_lazy("Transfer to another cell"),
            member_forms.TransferForm,
            _active,
            lambda r, m, d: services.transfer_member(
                member=m,
                to_unit=_cell(r, d["to_unit"]),
                on=d["on"],
                reason=d["reason"],
                by=actor(r),
            ),
        ),
        Action(
            "exempt",
            gettext_lazy("Exempt from activity"),
            member_forms.ExemptForm,
            lambda m: m.status in (MemberStatus.OFFICIAL, MemberStatus.PROBATIONARY),
            lambda r, m, d: services.exempt_member(
                member=m, on=d["on"], reason=d["reason"], decision=d["decision"], by=actor(r)
            ),
        ),
        Action(
            "restore",
            gettext_lazy("Restore activity"),
            member_forms.RestoreForm,
            lambda m: m.status == MemberStatus.EXEMPTED,
            lambda r, m, d: services.restore_member(
                member=m, on=d["on"], reason=d["reason"], by=actor(r)
            ),
        ),
        Action(
            "away",
            gettext_lazy("Suspended, detained or on special duty"),
            member_forms.AwayStatusForm,
            lambda m: m.status in (MemberStatus.OFFICIAL, MemberStatus.PROBATIONARY),
            lambda r, m, d: services.record_away_status(
                member=m,
                status=d["status"],
                on=d["on"],
                decision=d["decision"],
                decision_on=d["decision_on"],
                reason=d["reason"],
                by=actor(r),
            ),
        ),
        Action(
            "return",
            gettext_lazy("End the suspension, detention or special duty"),
            member_forms.EndAwayStatusForm,
            lambda m: m.status in AWAY_STATUSES,
            lambda r, m, d: services.end_away_status(
                member=m,
                on=d["on"],
                decision=d["decision"],
                decision_on=d["decision_on"],
                reason=d["reason"],
                by=actor(r),
            ),
        ),
        Action(
            "attach",
            gettext_lazy("Attach temporarily to another cell"),
            member_forms.AttachForm,
            lambda m: _active(m) and m.attached_to_id is None,
            lambda r, m, d: services.attach_member(
                member=m, host=_cell(r, d["host"]), on=d["on"], reason=d["reason"], by=actor(r)
            ),
        ),
        Action(
            "detach",
            gettext_lazy("End the temporary attachment"),
            member_forms.DatedForm,
            lambda m: m.attached_to_id is not None,
            lambda r, m, d: services.end_attachment(member=m, on=d["on"], by=actor(r)),
        ),
        Action(
            "post",
            gettext_lazy("Appoint to a cell post"),
            member_forms.PostForm,
            # Posts are for official members only (POST-1; the service says why).
            lambda m: m.status == MemberStatus.OFFICIAL,
            lambda r, m, d: services.appoint_post(
                member=m,
                kind=d["kind"],
                on=d["on"],
                by=actor(r),
                also_village_head=d["also_village_head"],
                also_front_head=d["also_front_head"],
                is_head_of_agency=d["is_head_of_agency"],
            ),
        ),
        Action(
            "end-post",
            gettext_lazy("End a term in a post"),
            member_forms.EndPostForm,
            lambda m: m.posts.filter(ended_on__isnull=True).exists(),
            lambda r, m, d: services.end_post(
                post=d["post"], on=d["on"], reason=d["reason"], by=actor(r)
            ),
        ),
        Action(
            "leave",
            gettext_lazy("Record leaving (transfer out, death, expulsion, removal)"),
            member_forms.LeaveForm,
            _active,
            lambda r, m, d: services.record_leaving(
                member=m, on=d["on"], reason=d["reason"], note=d["note"], by=actor(r)
            ),
        ),
    ]
}


def member_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    member = get_member_for_user(request.user, pk, action=Perm.MANAGE_MEMBERS)
    spec = ACTIONS.get(action)
    if spec is None or not spec.allowed(member):
        raise Http404
    extra: dict[str, Any] = {"member": member} if spec.form is member_forms.EndPostForm else {}
    form = spec.form(request.POST or None, **extra)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                spec.run(request, member, form.cleaned_data)
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("Recorded: %(action)s.") % {"action": spec.label})
            return redirect(member)
    return render(
        request, "members/member_action.html", {"member": member, "form": form, "action": spec}
    )


# --- roster files -------------------------------------------------------------------------


@reads_from_replica()
def export_roster(request: HttpRequest, code: str) -> FileResponse:
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_MEMBERS)
    members = (
        _visible_members(request, unit)
        .active()
        .select_related("unit")
        .order_by("unit__path", "sort_key", "pk")
    )
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    write_xlsx(
        spool,
        members.iterator(chunk_size=2000),
        title=f"DANH SÁCH ĐẢNG VIÊN — {unit.name}",
        user=request.user,
    )
    spool.seek(0)
    stamp = datetime.date.today().strftime("%Y%m%d")  # noqa: DTZ011 - a file name
    response = FileResponse(spool)
    name_download(response, file_name(f"Danh sách đảng viên {unit.name} {stamp}", "xlsx"))
    return response


def roster_template(request: HttpRequest) -> FileResponse:
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    write_xlsx(spool, [], user=request.user, example=True)
    spool.seek(0)
    response = FileResponse(spool)
    name_download(response, file_name("Mẫu danh sách đảng viên", "xlsx"))
    return response


def import_roster_form(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_unit_for_user(request.user, code, action=Perm.MANAGE_MEMBERS)
    form = member_forms.ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = RosterImport.objects.create(
            created_by=actor(request),
            unit=unit,
            file=upload,
            filename=upload.name[:200],
            update=form.cleaned_data["update"],
        )
        transaction.on_commit(lambda: check_roster.enqueue(str(job.pk)))
        return redirect(job)
    return render(request, "members/import.html", {"unit": unit, "form": form})


def import_status(request: HtmxHttpRequest, pk: str) -> HttpResponse:
    job = get_import_for_user(request.user, pk)
    template = "members/_import_status.html" if request.htmx else "members/import_status.html"
    return render(request, template, {"job": job, "unit": job.unit})


@require_POST
def import_retry(request: HttpRequest, pk: str) -> HttpResponse:
    job = get_import_for_user(request.user, pk)
    if not tasks.retry(job):
        messages.error(request, _("This import is not stopped: there is nothing to retry."))
    return redirect(job)


@require_POST
def import_confirm(request: HttpRequest, pk: str) -> HttpResponse:
    job = get_import_for_user(request.user, pk)
    updated = RosterImport.objects.filter(pk=job.pk, state=ImportState.CHECKED).update(
        state=ImportState.IMPORTING, rows_done=0
    )
    if updated:
        transaction.on_commit(lambda: import_roster.enqueue(str(job.pk)))
    return redirect(job)
