"""The consolidated view of a request as a Party-format DOCX (HD 36-HD/VPTW) and as XLSX:
data first (chibo.directives.figures.consolidate), then one function per format."""

from __future__ import annotations

import datetime
import io
from typing import Any

from django.utils.translation import gettext as _
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt

from chibo.directives.figures import COUNTS, RATES, Consolidated, rates_of
from chibo.directives.models import Template
from chibo.lib import party_docx
from chibo.lib.xlsx import Sheet, write_workbook
from chibo.orgs.models import Unit
from chibo.reports.models import ReportSettings
from chibo.reports.periodic import committee_name, issuer_code, place_of


def _number(value: Any) -> str:
    if value is None:
        return "—"
    return f"{value:g}".replace(".", ",") if isinstance(value, float) else str(value)


def consolidated_docx(data: Consolidated, *, date: datetime.date) -> bytes:
    request = data.request
    unit = request.unit
    parent = Unit.objects.get_parent(unit) if unit.depth > 1 else None
    collective = "T/M BAN THƯỜNG VỤ" if unit.depth == 1 else "T/M ĐẢNG ỦY"
    frame = party_docx.PartyDocument(
        superior=committee_name(parent) if parent else "",
        issuer=committee_name(unit),
        # The office gives the number from its register when the report is signed.
        number=f"Số      -BC/{issuer_code(unit)}",
        place=place_of(unit, ReportSettings.for_unit(unit)),
        date=date,
        kind="Báo cáo",
        summary=f"Tổng hợp: {request.title}",
        signatures=[
            party_docx.Signature(collective, "BÍ THƯ" if unit.depth > 1 else "PHÓ BÍ THƯ", "")
        ],
        recipients=request.recipients_list,
    )

    def body(document: DocxDocument) -> None:
        add = party_docx.add_text
        answered = len(data.counted)
        add(
            document,
            f"Thực hiện yêu cầu “{request.title}” (hạn {request.due_on:%d/%m/%Y}), "
            f"{answered}/{len(data.answers)} đơn vị đã gửi.",
        )
        if request.template == Template.FORM:
            add(document, "I. SỐ LIỆU TỔNG HỢP", bold=True)
            rates = rates_of(data.total.counts)
            rows = [[str(label), data.total.counts.get(key, 0)] for key, label in COUNTS] + [
                [str(label), rates[key]] for key, label, _p, _w in RATES
            ]
            _table(document, ["Chỉ tiêu", "Toàn đảng bộ"], rows)
            add(document, "II. KẾT QUẢ CỦA CÁC ĐƠN VỊ", bold=True)
        else:
            add(document, "KẾT QUẢ CỦA CÁC ĐƠN VỊ", bold=True)
        for answer in data.narratives:
            add(document, answer.unit.name, bold=True)
            if request.template == Template.DOCUMENT:
                add(document, f"Văn bản kèm theo: {answer.file_name}", italic=True)
            for label, text in (
                ("Kết quả", answer.results),
                ("Hạn chế, nguyên nhân", answer.shortcomings),
                ("Nhiệm vụ, kiến nghị", answer.proposals),
            ):
                if text:
                    add(document, f"{label}: {text}")
        missing = [a.unit.name for a in data.answers if a not in data.counted]
        if missing:
            add(document, "Đơn vị chưa gửi: " + ", ".join(missing) + ".", italic=True)

    return party_docx.build(frame, body)


def _table(document: DocxDocument, headers: list[str], rows: list[list[Any]]) -> None:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        run.font.size = Pt(11)
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = ""
            run = cell.paragraphs[0].add_run(value if isinstance(value, str) else _number(value))
            run.font.size = Pt(11)
            if not isinstance(value, str):
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT


def consolidated_xlsx(data: Consolidated) -> bytes:
    """The figures by unit (summed up the tree, with the total) and the written parts."""
    request = data.request
    heads = [_("Code"), _("Unit"), _("Answers counted"), *data.headers()]
    rows = [
        [line.unit.code, "  " * (line.depth - 1) + line.unit.name, line.answers, *line.values()]
        for line in data.lines
    ]
    rows.append(["", _("Total"), data.total.answers, *data.total.values()])
    texts = [
        [
            a.unit.code,
            a.unit.name,
            a.get_state_display(),
            a.submitted_at,
            a.results,
            a.shortcomings,
            a.proposals,
            a.file_name,
        ]
        for a in data.answers
    ]
    out = io.BytesIO()
    write_workbook(
        out,
        [
            Sheet(_("Figures"), f"{request.title} — {request.unit.name}", heads, rows),
            Sheet(
                _("Answers"),
                f"{request.title} — {request.unit.name}",
                [
                    _("Code"),
                    _("Unit"),
                    _("State"),
                    _("Submitted"),
                    _("Results"),
                    _("Shortcomings and their causes"),
                    _("Tasks ahead and proposals"),
                    _("Document"),
                ],
                texts,
            ),
        ],
    )
    return out.getvalue()
