"""Pages of the requests sent down and the answers sent up: the list of what is to answer
and what was sent, the sending form, a request with who answered and who is late, its
consolidated view and exports, an answer with its form, review and history."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.directives import services
from chibo.directives.access import (
    acting_q,
    acting_units,
    acts_for,
    get_answer_for_user,
    get_request_for_user,
    sees_all_answers,
)
from chibo.directives.exporters import consolidated_docx, consolidated_xlsx
from chibo.directives.figures import answer_counts, consolidate, figure_lines
from chibo.directives.forms import AnswerForm, RequestForm, ReviewForm
from chibo.directives.models import (
    COUNTED,
    OWED,
    Answer,
    AnswerState,
    Request,
    RequestKind,
    Target,
    Template,
)
from chibo.lib.history import history_entries
from chibo.lib.http import actor, add_validation_errors, page_param
from chibo.lib.replica import reads_from_replica
from chibo.lib.uploads import CONTENT_TYPES
from chibo.orgs.access import get_unit_for_user, is_superuser
from chibo.orgs.permissions import Perm

WRITABLE = (*OWED, AnswerState.RETURNED)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = CONTENT_TYPES["docx"]


def inbox(request: HttpRequest) -> HttpResponse:
    """What the user's units are asked to answer, and what their units sent."""
    user = request.user
    today = timezone.localdate()
    to_answer = (
        Answer.objects.visible_to(user, Perm.ANSWER_REQUESTS)
        .select_related("request__unit", "unit")
        .order_by("request__due_on", "unit__path")
    )
    if request.GET.get("all") != "1":
        to_answer = to_answer.filter(state__in=WRITABLE)
    sent = (
        Request.objects.filter(acting_q(user, Perm.SEND_REQUESTS, through="unit__"))
        .select_related("unit")
        .annotate(
            n=Count("answers"),
            answered=Count("answers", filter=Q(answers__state__in=COUNTED)),
            returned=Count("answers", filter=Q(answers__state=AnswerState.RETURNED)),
            late=Count("answers", filter=Q(answers__state__in=OWED, due_on__lt=today)),
        )
        .order_by("-sent_at")
    )
    senders = acting_units(user, Perm.SEND_REQUESTS)
    if is_superuser(user):
        senders = [u for u in senders if u.depth == 1]
    return render(
        request,
        "directives/inbox.html",
        {
            "answers": Paginator(to_answer, 50).get_page(page_param(request, "apage")),
            "sent": Paginator(sent, 50).get_page(page_param(request)),
            "senders": [u for u in senders if not u.is_cell],
            "today": today,
            "show_all": request.GET.get("all") == "1",
        },
    )


def new_request(request: HttpRequest, code: str) -> HttpResponse:
    """The sending form of a unit, for its staff."""
    unit = get_unit_for_user(request.user, code, action=Perm.SEND_REQUESTS)
    if unit.is_cell or not acts_for(request.user, Perm.SEND_REQUESTS, unit):
        raise Http404
    form = RequestForm(
        request.POST or None,
        unit=unit,
        initial={
            "kind": RequestKind.HALF_YEAR,
            "template": Template.FORM,
            "target": Target.ALL,
            "period": f"{timezone.localdate().year}-H1",
            "report_recipients": "\n".join(services.default_recipients(unit)),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sent = services.send_request(
                unit=unit,
                kind=data["kind"],
                title=data["title"],
                body=data["body"],
                due_on=data["due_on"],
                period=data["period"],
                template=data["template"],
                target=data["target"],
                kinds=list(data["kinds"]),
                units=data["units"],
                report_recipients=form.recipients_lines or [],
                submission=data["submission"],
                by=actor(request),
            )
        except ValidationError as error:
            add_validation_errors(form, error)
        else:
            messages.success(request, _("The request is sent."))
            return redirect(sent)
    return render(request, "directives/new.html", {"unit": unit, "form": form})


def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The request; for its sender, every answer with who is late and who was returned;
    for a recipient, their own answer."""
    item = get_request_for_user(request.user, pk)
    today = timezone.localdate()
    overseer = sees_all_answers(request.user, item)
    answers = (
        Answer.objects.filter(request=item)
        .select_related("unit", "request")
        .annotate(reminded=Count("reminders"))
        .order_by("unit__path")
    )
    if not overseer:
        answers = answers.filter(pk__in=Answer.objects.visible_to(request.user).values("pk"))
    shown = request.GET.get("show", "")
    if overseer and shown == "late":
        answers = answers.filter(state__in=OWED)
    elif overseer and shown in AnswerState.values:
        answers = answers.filter(state=shown)
    return render(
        request,
        "directives/request.html",
        {
            "item": item,
            "unit": item.unit,
            "overseer": overseer,
            "counts": answer_counts(item, today) if overseer else None,
            "answers": Paginator(answers, 100).get_page(page_param(request)),
            "past_due": item.due_on < today,
            "shown": shown,
            "states": AnswerState.choices,
        },
    )


def consolidated(request: HttpRequest, pk: int) -> HttpResponse:
    """The answers put together: figures summed up the tree, written parts by unit."""
    item = get_request_for_user(request.user, pk, action=Perm.SEND_REQUESTS)
    data = consolidate(item)
    return render(
        request,
        "directives/consolidated.html",
        {
            "item": item,
            "unit": item.unit,
            "data": data,
            "headers": data.headers(),
            "form": item.template == Template.FORM,
        },
    )


@reads_from_replica()
def consolidated_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    item = get_request_for_user(request.user, pk, action=Perm.SEND_REQUESTS)
    if fmt not in ("docx", "xlsx"):
        raise Http404
    data = consolidate(item)
    if fmt == "docx":
        content, media = consolidated_docx(data, date=timezone.localdate()), DOCX
    else:
        content, media = consolidated_xlsx(data), XLSX
    response = HttpResponse(content, content_type=media)
    response["Content-Disposition"] = f'attachment; filename="tong-hop-{item.pk}.{fmt}"'
    return response


def answer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An answer: its form for the recipient's staff while it is theirs to write, the
    review (return with a reason, or accept) for the sender's staff once submitted."""
    answer = get_answer_for_user(request.user, pk)
    item = answer.request
    user = request.user
    can_write = answer.state in WRITABLE and acts_for(user, Perm.ANSWER_REQUESTS, answer.unit)
    can_review = answer.state == AnswerState.SUBMITTED and acts_for(
        user, Perm.SEND_REQUESTS, item.unit
    )
    document = item.template == Template.DOCUMENT
    posted = request.method == "POST"
    action = request.POST.get("action", "")
    form = AnswerForm(
        request.POST if posted and can_write and action in ("save", "submit") else None,
        request.FILES if posted and can_write else None,
        document=document,
        initial={
            "results": answer.results,
            "shortcomings": answer.shortcomings,
            "proposals": answer.proposals,
            "version": answer.version,
        },
    )
    review = ReviewForm(
        request.POST if posted and can_review and action in ("return", "accept") else None,
        initial={"version": answer.version},
    )
    if posted:
        if not (can_write or can_review):
            raise Http404
        try:
            if can_write and action in ("save", "submit") and form.is_valid():
                data = form.cleaned_data
                services.save_answer(
                    answer=answer,
                    results=data.get("results", ""),
                    shortcomings=data.get("shortcomings", ""),
                    proposals=data.get("proposals", ""),
                    file=data.get("file"),
                    file_type=form.file_type,
                    submit=action == "submit",
                    version=data["version"],
                    by=actor(request),
                )
                messages.success(
                    request,
                    _("The answer is submitted.") if action == "submit" else _("Saved."),
                )
                return redirect(answer)
            if can_review and action in ("return", "accept") and review.is_valid():
                version = review.cleaned_data["version"]
                if action == "return":
                    services.return_answer(
                        answer=answer,
                        reason=review.cleaned_data["reason"],
                        version=version,
                        by=actor(request),
                    )
                    messages.success(request, _("The answer is returned for correction."))
                else:
                    services.accept_answer(answer=answer, version=version, by=actor(request))
                    messages.success(request, _("The answer is accepted."))
                return redirect(answer)
        except ValidationError as error:
            add_validation_errors(form if action in ("save", "submit") else review, error)
    records = list(answer.history.select_related("history_user").order_by("-history_id")[:50])
    return render(
        request,
        "directives/answer.html",
        {
            "answer": answer,
            "item": item,
            "unit": answer.unit,
            "form": form if can_write else None,
            "review": review if can_review else None,
            "document": document,
            "figures": figure_lines(answer.figures) if answer.figures else [],
            "late": answer.is_late(),
            "history": history_entries(records, hidden=frozenset({"version", "figures"})),
            "reminders": list(answer.reminders.order_by("sent_at")),
        },
    )


def answer_file(request: HttpRequest, pk: int) -> FileResponse:
    answer = get_answer_for_user(request.user, pk)
    if not answer.file:
        raise Http404
    return FileResponse(
        answer.file.open("rb"),
        as_attachment=True,
        filename=f"{answer.unit.code}-{answer.request_id}.{answer.file_type}",
        content_type=CONTENT_TYPES.get(answer.file_type, "application/octet-stream"),
    )
