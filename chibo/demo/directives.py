"""The demo's requests and answers: the plan's own deadlines (the 15/6 and 31/12 reports)
and each level's implementing plan (plan, part III), sent down and answered, some on time,
some late, one returned for correction. Deterministic: the same tree gives the same rows
(the dates follow the clock's year, as the demo's other plans do)."""

from __future__ import annotations

import datetime
import io

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chibo.directives import services
from chibo.directives.models import Answer, AnswerState, Request, Target, Template
from chibo.directives.tasks import remind_late_answers
from chibo.orgs.access import roles_with
from chibo.orgs.models import RoleGrant, Unit, UnitKind
from chibo.orgs.permissions import Perm, Role

COMMUNE_KINDS = ("dang_uy_xa", "dang_uy_phuong", "dang_uy_dac_khu")


def _staff(unit: Unit, perm: Perm) -> User | None:
    """The first of those who act for `unit` with `perm` (a grant on the unit itself)."""
    grants = (
        RoleGrant.objects.active()
        .filter(unit=unit, role__in=roles_with(perm))
        .select_related("user")
        .order_by("user__username")
    )
    # The unit's own staff rather than an administrator.
    grant = grants.exclude(role=Role.ADMINISTRATOR).first() or grants.first()
    return grant.user if grant else None


def _at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def _docx(title: str, unit: Unit) -> SimpleUploadedFile:
    import docx

    document = docx.Document()
    document.add_heading(title, level=1)
    document.add_paragraph(
        f"{unit.name}: mục đích, yêu cầu; nhiệm vụ, giải pháp; tổ chức thực hiện."
    )
    out = io.BytesIO()
    document.save(out)
    return SimpleUploadedFile("ke-hoach.docx", out.getvalue())


def _answer(
    answer: Answer, *, on: datetime.date, today: datetime.date, submit: bool = True
) -> Answer:
    by = _staff(answer.unit, Perm.ANSWER_REQUESTS)
    request = answer.request
    if request.template == Template.DOCUMENT:
        return services.save_answer(
            answer=answer,
            file=_docx(request.title, answer.unit),
            file_type="docx",
            submit=submit,
            version=None,
            by=by,
            today=today,
            at=_at(on),
        )
    return services.save_answer(
        answer=answer,
        results=(
            f"{answer.unit.name} duy trì sinh hoạt chi bộ thường kỳ; cấp ủy viên được phân "
            "công dự sinh hoạt các chi bộ trực thuộc."
        ),
        shortcomings="Một số chi bộ chưa bảo đảm thời gian sinh hoạt; nội dung còn chung chung.",
        proposals="Tiếp tục tập huấn kỹ năng cho bí thư chi bộ.",
        submit=submit,
        version=None,
        by=by,
        today=today,
        at=_at(on),
    )


def seed_requests(province: Unit, *, today: datetime.date | None = None) -> dict[str, int]:
    """The province's requests to its commune-level committees, and each commune's request
    for its units' plans, with their answers; then the day's reminders of late answers."""
    today = today or timezone.localdate()
    # The last 15/6 already passed: its report is due; the 31/12 of the same year.
    year = today.year if today > datetime.date(today.year, 6, 15) else today.year - 1
    communes = list(
        Unit.objects.filter(
            path__startswith=province.path,
            depth=province.depth + 1,
            kind__code__in=COMMUNE_KINDS,
        ).order_by("path")
    )
    kinds = list(UnitKind.objects.filter(code__in=COMMUNE_KINDS))
    sender = _staff(province, Perm.SEND_REQUESTS)

    def to_communes(kind: str, title: str, body: str, due: datetime.date, **extra: str) -> Request:
        return services.send_request(
            unit=province,
            kind=kind,
            title=title,
            body=body,
            due_on=due,
            target=Target.KINDS,
            kinds=kinds,
            sent_at=_at(due - datetime.timedelta(days=30)),
            by=sender,
            period=extra.get("period", ""),
            template=extra.get("template", Template.FORM),
        )

    plan = to_communes(
        "plan",
        "Xây dựng kế hoạch thực hiện Kết luận số 18-KL/TW",
        "Các đảng ủy cụ thể hóa Kế hoạch của Ban Thường vụ Tỉnh ủy (mục III.5).",
        datetime.date(year, 2, 28),
        template=Template.DOCUMENT,
    )
    half = to_communes(
        "half_year",
        f"Báo cáo 6 tháng đầu năm {year} thực hiện Kế hoạch",
        "Báo cáo kết quả thực hiện chế độ và nâng cao chất lượng sinh hoạt chi bộ (mục III.1).",
        datetime.date(year, 6, 15),
        period=f"{year}-H1",
    )
    whole = to_communes(
        "year",
        f"Báo cáo năm {year} thực hiện Kế hoạch",
        "Báo cáo kết quả năm, đề xuất nhiệm vụ năm sau (mục III.1).",
        datetime.date(year, 12, 31),
        period=str(year),
    )
    reviewer = sender
    for i, answer in enumerate(
        plan.answers.select_related("unit", "request").order_by("unit__path")
    ):
        _answer(answer, on=datetime.date(year, 2, 20 + i), today=today)
        services.accept_answer(answer=answer, version=None, by=reviewer)
    # The 6-month report: two of three answer, the first commune (uyvien1's) is late.
    for i, answer in enumerate(
        half.answers.select_related("unit", "request").order_by("unit__path")
    ):
        if i == 0:
            continue
        _answer(answer, on=datetime.date(year, 6, 10 + i), today=today)
        if i == 1:
            services.accept_answer(answer=answer, version=None, by=reviewer)
    # The year report, still running: a draft, one returned for correction, one submitted.
    for i, answer in enumerate(
        whole.answers.select_related("unit", "request").order_by("unit__path")
    ):
        on = min(today, datetime.date(year, 12, 31))
        _answer(answer, on=on, today=today, submit=i != 0)
        if i == 1:
            services.return_answer(
                answer=answer,
                reason="Bổ sung số liệu sinh hoạt chuyên đề và kết quả kiểm tra chi bộ.",
                version=None,
                by=reviewer,
            )
    requests = 3
    # Each commune asks the units below it for their own plan (III.5): most answer, one is
    # returned, the last one of each commune is late.
    for commune in communes:
        if not services.recipients_of(commune, Target.ALL):
            continue
        committee = _staff(commune, Perm.SEND_REQUESTS)
        due = datetime.date(year, 3, 31)
        request = services.send_request(
            unit=commune,
            kind="plan",
            title=f"Xây dựng kế hoạch nâng cao chất lượng sinh hoạt chi bộ năm {year}",
            body="Các chi bộ, đảng bộ cơ sở xây dựng kế hoạch và gửi về Đảng ủy.",
            due_on=due,
            period="",
            template=Template.DOCUMENT,
            target=Target.ALL,
            sent_at=_at(datetime.date(year, 3, 1)),
            by=committee,
        )
        requests += 1
        answers = list(request.answers.select_related("unit", "request").order_by("unit__path"))
        for i, answer in enumerate(answers):
            if i == len(answers) - 1:
                continue
            _answer(answer, on=datetime.date(year, 3, 10 + i % 20), today=today)
            if i == 1:
                services.return_answer(
                    answer=answer,
                    reason="Kế hoạch chưa nêu lịch sinh hoạt chuyên đề từng quý.",
                    version=None,
                    by=committee,
                )
            elif i % 2 == 0:
                services.accept_answer(answer=answer, version=None, by=committee)
    reminders = remind_late_answers(today=today)
    return {
        "requests": requests,
        "answers": Answer.objects.filter(request__unit__path__startswith=province.path).count(),
        "late_reminded": reminders,
        "returned": Answer.objects.filter(state=AnswerState.RETURNED).count(),
    }
