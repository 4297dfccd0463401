"""Requests down, answers up (chibo.directives): sending, answering once, returning with a
reason, accepting, the history, late answers and their reminders (once per step, not
again when the worker retries), the consolidated view and its exports, the to-do items,
bad input, query counts and the demo's requests."""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from chibo.directives import services
from chibo.directives.figures import consolidate
from chibo.directives.models import Answer, AnswerState, Reminder, Request, Target, Template
from chibo.directives.tasks import REMINDER_DAYS, remind_late_answers, send_request_reminders
from chibo.directives.todo import answers_to_review, requests_to_answer
from chibo.orgs.models import RoleGrant, Unit, UnitKind
from chibo.orgs.permissions import Role, Scope

pytestmark = pytest.mark.django_db

COMMUNE_KINDS = ("dang_uy_xa", "dang_uy_phuong", "dang_uy_dac_khu")


def today() -> datetime.date:
    return timezone.localdate()


def to_communes(
    *, due: datetime.date | None = None, template: str = Template.FORM, by: User | None = None
) -> Request:
    """The province asks every commune-level committee for its six-month report."""
    return services.send_request(
        unit=Unit.objects.get(code="LV"),
        kind="half_year",
        title="Báo cáo 6 tháng",
        body="Báo cáo kết quả thực hiện Kế hoạch.",
        due_on=due or today() + datetime.timedelta(days=10),
        period=f"{today().year}-H1",
        template=template,
        target=Target.KINDS,
        kinds=list(UnitKind.objects.filter(code__in=COMMUNE_KINDS)),
        by=by,
    )


def to_cells(*, template: str = Template.FORM, due: datetime.date | None = None) -> Request:
    """Commune 1 asks every unit directly below it."""
    return services.send_request(
        unit=Unit.objects.get(code="X001"),
        kind="plan",
        title="Kế hoạch nâng cao chất lượng sinh hoạt chi bộ",
        body="",
        due_on=due or today() + datetime.timedelta(days=10),
        period=f"{today().year}",
        template=template,
        target=Target.ALL,
        by=None,
    )


def answer_of(request: Request, code: str) -> Answer:
    return Answer.objects.get(request=request, unit__code=code)


def docx_bytes(text: str = "Kế hoạch") -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- sending ------------------------------------------------------------------------------


def test_a_request_to_the_commune_kinds_reaches_every_commune_and_nothing_else() -> None:
    request = to_communes()
    assert sorted(request.answers.values_list("unit__code", flat=True)) == ["X001", "X002"]
    assert set(request.answers.values_list("state", flat=True)) == {AnswerState.NEW}
    # The province's report goes to those the plan names.
    assert "Ban Bí thư Trung ương (báo cáo)" in request.recipients_list
    assert "Ban Tổ chức Trung ương (báo cáo)" in request.recipients_list


def test_a_request_to_all_reaches_the_units_directly_below_and_a_list_the_units_named() -> None:
    assert sorted(to_cells().answers.values_list("unit__code", flat=True)) == sorted(
        Unit.objects.filter(code__startswith="X001.", depth=3).values_list("code", flat=True)
    )
    listed = services.send_request(
        unit=Unit.objects.get(code="LV"), kind="findings", title="Khắc phục", body="",
        due_on=today(), period="", template=Template.DOCUMENT, target=Target.LIST,
        units=[Unit.objects.get(code="X002.01")], by=None,
    )  # fmt: skip
    assert list(listed.answers.values_list("unit__code", flat=True)) == ["X002.01"]


def test_the_sending_form_refuses_bad_input_with_a_message_and_sends_nothing(client_for) -> None:
    client = client_for("bantochuc")
    before = Request.objects.count()
    cases = [
        {"title": "", "due_on": "2026-13-40"},
        {"title": "x", "due_on": "1999-01-01", "template": "form", "period": "2026-H1"},
        {"title": "x", "due_on": "2999-01-01", "template": "form", "period": "kỳ 1"},
        {"title": "x", "due_on": str(today()), "template": "form", "period": "abc"},
        {"title": "x", "due_on": str(today()), "template": "form", "period": "2026",
         "target": "kinds"},
        {"title": "x", "due_on": str(today()), "template": "document", "target": "list",
         "units": "X001 NO-SUCH LV"},
        {"title": "x" * 400, "kind": "nope", "target": "everyone", "template": "pdf"},
    ]  # fmt: skip
    for data in cases:
        response = client.post("/units/LV/requests/new/", {"kind": "other", **data})
        assert response.status_code == 200, data
        assert response.context["form"].errors, data
    assert Request.objects.count() == before


def test_staff_send_from_their_own_unit_only(client_for) -> None:
    data = {
        "kind": "plan", "title": "Kế hoạch", "due_on": str(today()), "template": "document",
        "target": "all", "report_recipients": "Ban Thường vụ Tỉnh ủy",
    }  # fmt: skip
    response = client_for("uyvien1").post("/units/X001/requests/new/", data)
    assert response.status_code == 302
    request = Request.objects.get(title="Kế hoạch")
    assert request.unit.code == "X001"
    assert request.recipients_list == ["Ban Thường vụ Tỉnh ủy"]
    # The province's staff oversee commune 1 but do not speak for it; a cell sends nothing.
    assert client_for("bantochuc").get("/units/X001/requests/new/").status_code == 404
    assert client_for("bithu1").get("/units/X001.01/requests/new/").status_code == 404


def test_the_same_sending_form_sent_twice_sends_one_request(client_for) -> None:
    client = client_for("uyvien1")
    token = client.get("/units/X001/requests/new/").context["form"]["submission"].value()
    data = {
        "kind": "plan", "title": "Kế hoạch", "due_on": str(today()), "template": "document",
        "target": "all", "report_recipients": "", "submission": str(token),
    }  # fmt: skip
    first = client.post("/units/X001/requests/new/", data)
    again = client.post("/units/X001/requests/new/", data)
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert Request.objects.filter(title="Kế hoạch").count() == 1


# --- answering, returning, accepting -----------------------------------------------------


def test_an_answer_is_drafted_submitted_returned_corrected_and_accepted_with_history(
    client_for, cast: dict[str, User]
) -> None:
    request = to_communes(by=cast["bantochuc"])
    answer = answer_of(request, "X001")
    writer, sender = client_for("uyvien1"), client_for("bantochuc")
    url = answer.get_absolute_url()

    response = writer.post(url, {"action": "save", "results": "Đã làm", "version": 0})
    assert response.status_code == 302
    answer.refresh_from_db()
    assert answer.state == AnswerState.DRAFT
    assert answer.figures["cells"] == Unit.objects.cells().filter(code__startswith="X001.").count()
    # The sender cannot write it, nor review a draft.
    assert sender.post(url, {"action": "accept", "version": 1}).status_code == 404
    answer.refresh_from_db()
    assert answer.state == AnswerState.DRAFT

    assert (
        writer.post(url, {"action": "submit", "results": "Đã làm", "version": 1}).status_code == 302
    )
    answer.refresh_from_db()
    assert answer.state == AnswerState.SUBMITTED
    assert answer.submitted_by == cast["uyvien1"]
    first = answer.first_submitted_at
    # Submitted: no more changes by the recipient.
    writer.post(url, {"action": "save", "results": "Sửa", "version": 2})
    answer.refresh_from_db()
    assert answer.results == "Đã làm"

    # Returning needs a reason: a message, nothing changed.
    response = sender.post(url, {"action": "return", "reason": " ", "version": 2})
    assert response.status_code == 200
    assert response.context["review"].errors
    answer.refresh_from_db()
    assert answer.state == AnswerState.SUBMITTED
    sender.post(url, {"action": "return", "reason": "Thiếu số liệu quý II", "version": 2})
    answer.refresh_from_db()
    assert answer.state == AnswerState.RETURNED
    assert answer.return_reason == "Thiếu số liệu quý II"
    assert answer.reviewed_by == cast["bantochuc"]

    # Corrected (a draft keeps it returned), then resubmitted, then accepted.
    writer.post(url, {"action": "save", "results": "Đã bổ sung", "version": 3})
    answer.refresh_from_db()
    assert answer.state == AnswerState.RETURNED
    writer.post(url, {"action": "submit", "results": "Đã bổ sung", "version": 4})
    answer.refresh_from_db()
    assert answer.state == AnswerState.SUBMITTED
    assert answer.first_submitted_at == first
    sender.post(url, {"action": "accept", "version": 5})
    answer.refresh_from_db()
    assert answer.state == AnswerState.ACCEPTED

    states = [
        (h.state, h.history_user.username if h.history_user else None)
        for h in answer.history.order_by("history_id")
    ]
    assert states == [
        ("new", "bantochuc"),
        ("draft", "uyvien1"),
        ("submitted", "uyvien1"),
        ("returned", "bantochuc"),
        ("returned", "uyvien1"),
        ("submitted", "uyvien1"),
        ("accepted", "bantochuc"),
    ]
    with translation.override("vi"):
        page = sender.get(url).content.decode()
    assert "Thiếu số liệu quý II" in page
    sender_user = User.objects.get(username="bantochuc")
    assert (sender_user.get_full_name() or sender_user.username) in page  # people by name


def test_a_stale_form_or_garbage_is_refused_with_a_message(client_for) -> None:
    answer = answer_of(to_communes(), "X001")
    writer = client_for("uyvien1")
    writer.post(answer.get_absolute_url(), {"action": "save", "results": "A", "version": 0})
    for data in (
        {"action": "save", "results": "B", "version": 0},  # read before the first save
        {"action": "submit", "results": "", "version": 1},  # nothing written
        {"action": "submit", "results": "B", "version": "x"},
        {"action": "submit", "results": "B"},
        {"action": "fly", "version": 1},
    ):
        response = writer.post(answer.get_absolute_url(), data)
        assert response.status_code == 200, data
    answer.refresh_from_db()
    assert (answer.state, answer.results) == (AnswerState.DRAFT, "A")


def test_a_document_answer_takes_a_checked_upload_only(client_for) -> None:
    answer = answer_of(to_cells(template=Template.DOCUMENT), "X001.01")
    writer = client_for("bithu1")
    url = answer.get_absolute_url()
    fake = SimpleUploadedFile("ke-hoach.docx", b"MZ not a document")
    response = writer.post(url, {"action": "submit", "version": 0, "file": fake})
    assert response.status_code == 200
    assert response.context["form"].errors
    response = writer.post(url, {"action": "submit", "version": 0})
    assert response.status_code == 200
    assert response.context["form"].errors
    good = SimpleUploadedFile("ke-hoach.docx", docx_bytes())
    assert writer.post(url, {"action": "submit", "version": 0, "file": good}).status_code == 302
    answer.refresh_from_db()
    assert (answer.state, answer.file_type) == (AnswerState.SUBMITTED, "docx")
    response = writer.get(f"/answers/{answer.pk}/file/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:2] == b"PK"


# --- who sees what -----------------------------------------------------------------------


def test_a_recipient_sees_the_request_and_only_its_own_answer(client_for) -> None:
    request = to_cells()
    own, other = answer_of(request, "X001.01"), answer_of(request, "X001.02")
    bithu1 = client_for("bithu1")
    page = bithu1.get(request.get_absolute_url())
    assert page.status_code == 200
    assert [a.pk for a in page.context["answers"]] == [own.pk]
    assert bithu1.get(own.get_absolute_url()).status_code == 200
    assert bithu1.get(other.get_absolute_url()).status_code == 404
    assert bithu1.get(f"/requests/{request.pk}/consolidated/").status_code == 404
    # The sender's staff, and the province above, see every answer.
    for username in ("uyvien1", "bantochuc"):
        page = client_for(username).get(request.get_absolute_url())
        assert len(page.context["answers"]) == request.answers.count()
    for username in ("bithu2", "dangvien1", "kiemtra", "outsider"):
        assert client_for(username).get(request.get_absolute_url()).status_code == 404


# --- late answers and reminders ----------------------------------------------------------


def test_a_late_recipient_is_reminded_once_per_step_and_never_twice_on_a_retry(
    cast: dict[str, User],
) -> None:
    request = to_communes(due=today() - datetime.timedelta(days=1))
    services.save_answer(answer=answer_of(request, "X002"), results="Xong", submit=True,
                         version=None, by=None)  # fmt: skip
    late = answer_of(request, "X001")
    assert late.is_late()
    assert not answer_of(request, "X002").is_late()
    mail.outbox.clear()
    assert remind_late_answers() == 1
    assert remind_late_answers() == 0  # the worker retries
    send_request_reminders.enqueue()  # and once more through the queue
    assert list(Reminder.objects.filter(answer__request=request).values_list("step")) == [(1,)]
    assert [m.to for m in mail.outbox] == [[cast["uyvien1"].email]]
    assert "Báo cáo 6 tháng" in mail.outbox[0].subject
    # A week late: the next step of the rule, once.
    later = today() + datetime.timedelta(days=REMINDER_DAYS[1] - 1)
    assert remind_late_answers(today=later) == 1
    assert remind_late_answers(today=later) == 0
    assert len(mail.outbox) == 2


def test_the_sender_sees_who_answered_who_is_late_and_who_was_returned(client_for) -> None:
    request = to_cells(due=today() - datetime.timedelta(days=2))
    codes = list(request.answers.order_by("unit__path").values_list("unit__code", flat=True))
    first, second = answer_of(request, codes[0]), answer_of(request, codes[1])
    services.save_answer(answer=first, results="Xong", submit=True, version=None, by=None)
    services.save_answer(answer=second, results="Xong", submit=True, version=None, by=None)
    services.return_answer(answer=second, reason="Bổ sung", version=None, by=None)
    page = client_for("uyvien1").get(request.get_absolute_url())
    counts = page.context["counts"]
    assert (counts["submitted"], counts["returned"], counts["late"]) == (
        1, 1, len(codes) - 2
    )  # fmt: skip
    late = client_for("uyvien1").get(f"{request.get_absolute_url()}?show=late")
    assert {a.unit.code for a in late.context["answers"]} == set(codes[2:])


# --- consolidated view and exports ---------------------------------------------------------


def test_the_consolidated_view_sums_figures_up_the_tree_and_lists_the_written_parts(
    client_for, cast: dict[str, User]
) -> None:
    request = services.send_request(
        unit=Unit.objects.get(code="LV"), kind="year", title="Báo cáo năm", body="",
        due_on=today(), period=f"{today().year}", template=Template.FORM, target=Target.LIST,
        units=list(Unit.objects.filter(code__in=["X001.01", "X001.02", "X002.01"])), by=None,
    )  # fmt: skip
    for code, who in (("X001.01", "bithu1"), ("X001.02", "admin"), ("X002.01", "bithu2")):
        services.save_answer(answer=answer_of(request, code), results=f"Kết quả {code}",
                             submit=True, version=None, by=cast[who])  # fmt: skip
    Answer.objects.filter(request=request, unit__code="X001.02").update(
        figures={"cells": 1, "regular": 5, "cell_months": 10}
    )
    Answer.objects.filter(request=request, unit__code="X001.01").update(
        figures={"cells": 1, "regular": 3, "cell_months": 10}
    )
    Answer.objects.filter(request=request, unit__code="X002.01").update(
        figures={"cells": 1, "regular": 10, "cell_months": 10}
    )
    data = consolidate(Request.objects.get(pk=request.pk))
    by_code = {line.unit.code: line for line in data.lines}
    assert by_code["X001"].counts["regular"] == 8
    assert not by_code["X001"].is_recipient
    assert by_code["X001"].rates["compliance"] == 40.0
    assert data.total.counts["regular"] == 18
    assert data.total.counts["cells"] == 3
    assert [a.unit.code for a in data.narratives] == ["X001.01", "X001.02", "X002.01"]
    page = client_for("bantochuc").get(f"/requests/{request.pk}/consolidated/")
    assert "Kết quả X002.01" in page.content.decode()

    docx = client_for("bantochuc").get(f"/requests/{request.pk}/consolidated.docx")
    assert docx.status_code == 200
    with zipfile.ZipFile(io.BytesIO(docx.content)) as archive:
        text = archive.read("word/document.xml").decode()
    for words in ("ĐẢNG CỘNG SẢN VIỆT NAM", "Nơi nhận:", "Ban Bí thư Trung ương",
                  "Ban Tổ chức Trung ương", "Kết quả X001.02", "PHÓ BÍ THƯ"):  # fmt: skip
        assert words in text, words
    xlsx = client_for("bantochuc").get(f"/requests/{request.pk}/consolidated.xlsx")
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(xlsx.content))
    assert len(book.sheet_names) == 2
    figures = book.get_sheet_by_index(0).to_python()
    assert any("X001" in str(row[0]) for row in figures)
    assert (
        client_for("bantochuc").get(f"/requests/{request.pk}/consolidated.pdf").status_code == 404
    )


# --- query counts ----------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_lists_the_consolidated_view_and_exports_make_flat_queries(client_for) -> None:
    client = client_for("bantochuc")
    yesterday = today() - datetime.timedelta(days=1)
    one = services.send_request(
        unit=Unit.objects.get(code="LV"), kind="year", title="Một", body="", due_on=yesterday,
        period=f"{today().year}", template=Template.FORM, target=Target.LIST,
        units=[Unit.objects.get(code="X001.01")], by=None,
    )  # fmt: skip
    services.save_answer(answer=one.answers.get(), results="A", submit=True, version=None,
                         by=None)  # fmt: skip
    many = services.send_request(
        unit=Unit.objects.get(code="LV"), kind="year", title="Nhiều", body="", due_on=yesterday,
        period=f"{today().year}", template=Template.FORM, target=Target.KINDS,
        kinds=list(UnitKind.objects.filter(holds_meetings=True)), by=None,
    )  # fmt: skip
    for answer in many.answers.order_by("pk")[1:]:
        services.save_answer(answer=answer, results="B", submit=True, version=None, by=None)
    assert many.answers.count() > 5
    for suffix in ("", "consolidated/", "consolidated.docx", "consolidated.xlsx"):
        small = _queries(client, f"/requests/{one.pk}/{suffix}")
        large = _queries(client, f"/requests/{many.pk}/{suffix}")
        assert large == small, suffix
    before = _queries(client, "/requests/")
    for i in range(5):
        to_communes(due=today() + datetime.timedelta(days=i))
    assert _queries(client, "/requests/") == before
    assert _queries(client_for("uyvien1"), "/requests/") == _queries(
        client_for("uyvien1"), "/requests/?all=1"
    )


# --- to-do items ---------------------------------------------------------------------------


def test_the_todo_lists_requests_to_answer_and_answers_to_review(cast: dict[str, User]) -> None:
    request = to_communes(due=today() - datetime.timedelta(days=1))
    items = list(requests_to_answer(cast["uyvien1"], today()))
    assert [(i.kind, i.overdue) for i in items] == [("directives.answer", True)]
    assert items[0].url == answer_of(request, "X001").get_absolute_url()
    assert list(requests_to_answer(cast["bithu1"], today())) == []
    assert list(answers_to_review(cast["bantochuc"], today())) == []
    services.save_answer(answer=answer_of(request, "X001"), results="Xong", submit=True,
                         version=None, by=cast["uyvien1"])  # fmt: skip
    assert list(requests_to_answer(cast["uyvien1"], today())) == []
    review = list(answers_to_review(cast["bantochuc"], today()))
    assert [i.kind for i in review] == ["directives.review"]
    for username in ("dangvien1", "outsider", "kiemtra", "tocongtac1"):
        assert list(requests_to_answer(cast[username], today())) == []
        assert list(answers_to_review(cast[username], today())) == []
    with CaptureQueriesContext(connection) as queries:
        list(requests_to_answer(cast["uyvien1"], today()))
        list(answers_to_review(cast["bantochuc"], today()))
    assert len(queries) <= 4  # the grants of each user, then one query each


# --- the demo ----------------------------------------------------------------------------------


def test_the_demo_request_to_all_communes_is_answered_by_two_of_three_and_the_third_reminded_once(
    cast: dict[str, User],
) -> None:
    from chibo.demo.directives import seed_requests

    province = Unit.objects.get(code="LV")
    ward = Unit.objects.add_child(
        province,
        instance=Unit(code="P001", name="Đảng bộ phường Thử",
                      kind=UnitKind.objects.get(code="dang_uy_phuong")),
    )  # fmt: skip
    RoleGrant.objects.create(user=cast["uyvien1"], unit=ward, role=Role.UPPER_COMMITTEE,
                             scope=Scope.SUBTREE)  # fmt: skip
    counts = seed_requests(province, today=today())
    assert counts["requests"] >= 3
    report = Request.objects.get(unit=province, kind="half_year")
    states = dict(report.answers.values_list("unit__code", "state"))
    assert sorted(states) == ["P001", "X001", "X002"]
    answered = [c for c, s in states.items() if s in (AnswerState.SUBMITTED, AnswerState.ACCEPTED)]
    late = [a for a in report.answers.all() if a.is_late()]
    assert len(answered) == 2
    assert len(late) == 1
    assert Reminder.objects.filter(answer=late[0]).count() == 1
    assert remind_late_answers() == 0  # the worker retries: nothing sent twice
    assert Reminder.objects.filter(answer=late[0]).count() == 1
    assert Answer.objects.filter(state=AnswerState.RETURNED).exists()
    assert Request.objects.filter(kind="plan").count() >= 2  # each level's plan
    assert Request.objects.filter(kind="year", due_on__month=12, due_on__day=31).exists()


def test_the_services_refuse_what_the_state_does_not_allow() -> None:
    answer = answer_of(to_communes(), "X001")
    with pytest.raises(ValidationError):
        services.return_answer(answer=answer, reason="x", version=None, by=None)
    with pytest.raises(ValidationError):
        services.accept_answer(answer=answer, version=None, by=None)
    with pytest.raises(ValidationError):
        services.send_request(
            unit=Unit.objects.get(code="X001.01"), kind="other", title="x", body="",
            due_on=today(), period="", template=Template.DOCUMENT, target=Target.ALL, by=None,
        )  # fmt: skip
