"""The writers of requests and answers: send a request, save or submit an answer, return
it for correction, accept it. Every change of an answer is kept in its history with who
and when (and, for a return, why)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from chibo.directives.figures import unit_figures
from chibo.directives.models import (
    OWED,
    Answer,
    AnswerState,
    Request,
    Target,
    Template,
)
from chibo.lib.history import bulk_reason
from chibo.lib.locking import claim
from chibo.lib.submissions import once_per_submission
from chibo.orgs.models import Unit, UnitKind
from chibo.reports.periods import PeriodError, parse

Actor = User | None

# Who the province's consolidated report goes to, as the plan names them ("Nơi nhận" of
# the plan of the Provincial Standing Committee). A lower unit reports to the committee
# above it.
PROVINCE_RECIPIENTS = (
    "Ban Bí thư Trung ương (báo cáo)",
    "Ban Tổ chức Trung ương (báo cáo)",
    "Vụ III, Ban Tổ chức Trung ương (báo cáo)",
    "Các ban đảng của Tỉnh uỷ",
    "Các đồng chí Tỉnh uỷ viên",
    "Lưu Văn phòng Tỉnh uỷ",
)


def default_recipients(unit: Unit) -> list[str]:
    """The "Nơi nhận" of a unit's consolidated report: the plan's list for the province,
    the committee above for a lower unit."""
    if unit.depth == 1:
        return list(PROVINCE_RECIPIENTS)
    from chibo.reports.periodic import committee_name

    parent = Unit.objects.get_parent(unit)
    return [f"{committee_name(parent)} (báo cáo)", "Lưu Văn phòng"]


def recipients_of(
    unit: Unit,
    target: str,
    *,
    kinds: Sequence[UnitKind] = (),
    units: Sequence[Unit] = (),
    on: datetime.date | None = None,
) -> list[Unit]:
    """The active units below `unit` that a request to `target` reaches."""
    below = (
        Unit.objects.active(on)
        .filter(path__startswith=unit.path, depth__gt=unit.depth)
        .select_related("kind")
    )
    if target == Target.ALL:
        return list(below.filter(depth=unit.depth + 1).order_by("path"))
    if target == Target.KINDS:
        return list(below.filter(kind__in=list(kinds)).order_by("path"))
    if target == Target.LIST:
        wanted = {u.pk for u in units}
        return list(below.filter(pk__in=wanted).order_by("path"))
    return []


def check_period(template: str, period: str) -> str:
    """The period of a form's figures, understood (reports.periods); empty for a document."""
    period = period.strip()
    if template != Template.FORM:
        return period
    if not period:
        raise ValidationError({"period": _("Give the period the figures cover.")})
    try:
        parse(period)
    except PeriodError as error:
        raise ValidationError({"period": str(error)}) from error
    return period


@transaction.atomic
@once_per_submission
def send_request(
    *,
    unit: Unit,
    kind: str,
    title: str,
    body: str,
    due_on: datetime.date,
    period: str,
    template: str,
    target: str,
    kinds: Sequence[UnitKind] = (),
    units: Sequence[Unit] = (),
    report_recipients: Sequence[str] | None = None,
    sent_at: datetime.datetime | None = None,
    submission: uuid.UUID | None = None,
    by: Actor,
) -> Request:
    """Send a request from `unit` to the units below it that `target` names; each gets
    its answer to write (not started)."""
    if unit.is_cell:
        raise ValidationError(_("A party cell has no units below it to send requests to."))
    if not title.strip():
        raise ValidationError({"title": _("Give the request a title.")})
    period = check_period(template, period)
    recipients = recipients_of(unit, target, kinds=kinds, units=units)
    if not recipients:
        raise ValidationError(_("No unit below matches: choose the recipients again."))
    request = Request(
        unit=unit,
        kind=kind,
        title=title.strip(),
        body=body.strip(),
        due_on=due_on,
        period=period,
        template=template,
        target=target,
        report_recipients="\n".join(
            default_recipients(unit) if report_recipients is None else report_recipients
        ),
        sent_by=by,
        sent_at=sent_at or timezone.now(),
    )
    request._history_user = by  # type: ignore[attr-defined]
    request.save()
    if target == Target.KINDS:
        request.kinds.set(kinds)
    bulk_create_with_history(
        [Answer(request=request, unit=recipient) for recipient in recipients],
        Answer,
        default_user=by,
        default_change_reason=bulk_reason(),
    )
    return request


def _locked(answer: Answer, version: int | None) -> Answer:
    locked = Answer.objects.select_for_update().select_related("request").get(pk=answer.pk)
    claim(locked, version)
    return locked


def _save(answer: Answer, by: Actor) -> None:
    """Save with its history row: who, when, and the fields changed (the state among them)."""
    answer._history_user = by  # type: ignore[attr-defined]
    answer.save()


@transaction.atomic
def save_answer(
    *,
    answer: Answer,
    results: str = "",
    shortcomings: str = "",
    proposals: str = "",
    file: UploadedFile | None = None,
    file_type: str = "",
    submit: bool,
    version: int | None,
    by: Actor,
    today: datetime.date | None = None,
    at: datetime.datetime | None = None,
) -> Answer:
    """Save the recipient's answer as a draft, or submit it. A form's figures are computed
    again on every save (as `by` sees the unit, for the request's period)."""
    locked = _locked(answer, version)
    request = locked.request
    if locked.state not in (*OWED, AnswerState.RETURNED):
        raise ValidationError(_("The answer is submitted; it can no longer be changed."))
    if request.template == Template.FORM:
        locked.figures = unit_figures(by, locked.unit, request.period, today=today)
        locked.results = results.strip()
        locked.shortcomings = shortcomings.strip()
        locked.proposals = proposals.strip()
    elif file is not None:
        locked.file.save(f"{locked.unit.code}-{request.pk}.{file_type}", file, save=False)
        locked.file_name = (file.name or "van-ban")[-200:]
        locked.file_type = file_type
        locked.file_size = file.size or 0
    if submit:
        if request.template == Template.FORM and not locked.results:
            raise ValidationError({"results": _("Write the results before submitting.")})
        if request.template == Template.DOCUMENT and not locked.file:
            raise ValidationError({"file": _("Upload the document before submitting.")})
        now = at or timezone.now()
        locked.state = AnswerState.SUBMITTED
        locked.submitted_at, locked.submitted_by = now, by
        locked.first_submitted_at = locked.first_submitted_at or now
    else:
        # A returned answer stays returned while it is corrected.
        if locked.state == AnswerState.NEW:
            locked.state = AnswerState.DRAFT
    _save(locked, by)
    return locked


@transaction.atomic
def return_answer(*, answer: Answer, reason: str, version: int | None, by: Actor) -> Answer:
    """The sender returns a submitted answer for correction, saying why."""
    locked = _locked(answer, version)
    if locked.state != AnswerState.SUBMITTED:
        raise ValidationError(_("Only a submitted answer can be returned."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say what is to be corrected.")})
    locked.state = AnswerState.RETURNED
    locked.return_reason = reason.strip()
    locked.reviewed_at, locked.reviewed_by = timezone.now(), by
    _save(locked, by)
    return locked


@transaction.atomic
def accept_answer(*, answer: Answer, version: int | None, by: Actor) -> Answer:
    """The sender accepts a submitted answer."""
    locked = _locked(answer, version)
    if locked.state != AnswerState.SUBMITTED:
        raise ValidationError(_("Only a submitted answer can be accepted."))
    locked.state = AnswerState.ACCEPTED
    locked.reviewed_at, locked.reviewed_by = timezone.now(), by
    _save(locked, by)
    return locked
