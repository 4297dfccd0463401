"""A working group's report as documents: data first (a plain dataclass built in a bounded
number of queries), then one function per format (docs/architecture.md)."""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from chibo.lib import party_docx
from chibo.lib.dates import vn_date
from chibo.lib.xlsx import Sheet, write_workbook
from chibo.supervision.models import GroupReport, VisitState
from chibo.supervision.services import display_name, report_visits

LEVEL_LABELS = {"tot": "Tốt", "kha": "Khá", "trung_binh": "Trung bình", "kem": "Kém"}
STATE_LABELS: dict[str, str] = {
    VisitState.PLANNED: "Theo kế hoạch",
    VisitState.DONE: "Đã dự",
    VisitState.MISSED: "Không dự",
}


@dataclass
class GroupReportData:
    """What the documents print: the group, the period, the figures, the narrative and one
    row per visit (date, cell, attendee, state, level, observation)."""

    group: str
    issuer: str
    superior: str
    leader: str
    title: str
    period: str
    date: datetime.date
    figures: dict[str, Any]
    results: str
    shortcomings: str
    proposals: str
    visits: list[list[Any]] = field(default_factory=list)


def group_report_data(report: GroupReport) -> GroupReportData:
    group = report.group
    title = (
        f"kết quả thực hiện nhiệm vụ 6 tháng đầu năm {report.year}"
        if report.half
        else f"kết quả thực hiện nhiệm vụ năm {report.year}"
    )
    rows = [
        [
            timezone.localtime(v.meeting.scheduled_at).date(),
            v.meeting.unit.name,
            display_name(v.user),
            STATE_LABELS.get(v.state, v.state),
            LEVEL_LABELS.get(v.meeting.quality_level, ""),
            v.observation,
        ]
        for v in report_visits(report)
    ]
    return GroupReportData(
        group=group.name,
        issuer=group.name,
        superior=group.unit.name,
        leader=display_name(group.leader),
        title=title,
        period=report.period,
        date=(report.submitted_at and timezone.localtime(report.submitted_at).date())
        or timezone.localdate(),
        figures=report.figures,
        results=report.results,
        shortcomings=report.shortcomings,
        proposals=report.proposals,
        visits=rows,
    )


def _paragraphs(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def group_report_docx(data: GroupReportData) -> bytes:
    """The report in the Party's format (HD 36): sent to the level that set the group up
    (through its Organisation Commission)."""
    f = data.figures
    doc = party_docx.PartyDocument(
        superior=data.superior,
        issuer=data.issuer,
        number="",
        place=data.superior.removeprefix("Đảng bộ ").removeprefix("tỉnh "),
        date=data.date,
        kind="Báo cáo",
        summary=data.title,
        signatures=[party_docx.Signature("T/M TỔ CÔNG TÁC", "TỔ TRƯỞNG", data.leader)],
        recipients=[f"{data.superior} (qua Ban Tổ chức) (báo cáo)", "Lưu tổ công tác"],
    )

    def body(document: Any) -> None:
        add = party_docx.add_text
        add(document, "I. KẾT QUẢ THỰC HIỆN NHIỆM VỤ", bold=True)
        levels = f.get("levels", {})
        add(
            document,
            f"Từ {vn_date(datetime.date.fromisoformat(f['from']))} đến "
            f"{vn_date(datetime.date.fromisoformat(f['to']))}, tổ công tác dự "
            f"{f.get('visits_done', 0)}/{f.get('visits_planned', 0)} buổi sinh hoạt theo kế "
            f"hoạch (không dự: {f.get('visits_missed', 0)}), tại {f.get('cells_visited', 0)}/"
            f"{f.get('cells_assigned', 0)} chi bộ được phân công. Chất lượng các buổi sinh hoạt "
            f"đã dự: Tốt {levels.get('tot', 0)}, Khá {levels.get('kha', 0)}, Trung bình "
            f"{levels.get('trung_binh', 0)}, Kém {levels.get('kem', 0)}.",
        )
        for line in _paragraphs(data.results):
            add(document, line)
        add(document, "II. HẠN CHẾ, NGUYÊN NHÂN", bold=True)
        for line in _paragraphs(data.shortcomings) or ["—"]:
            add(document, line)
        add(document, "III. ĐỀ XUẤT, KIẾN NGHỊ", bold=True)
        for line in _paragraphs(data.proposals) or ["—"]:
            add(document, line)

    return party_docx.build(doc, body)


def group_report_xlsx(data: GroupReportData) -> bytes:
    f = data.figures
    levels = f.get("levels", {})
    summary = [
        ["Buổi sinh hoạt theo kế hoạch", f.get("visits_planned", 0)],
        ["Đã dự", f.get("visits_done", 0)],
        ["Không dự", f.get("visits_missed", 0)],
        ["Chi bộ được phân công", f.get("cells_assigned", 0)],
        ["Chi bộ đã dự", f.get("cells_visited", 0)],
        *[
            [f"Buổi đã dự xếp loại {label}", levels.get(key, 0)]
            for key, label in LEVEL_LABELS.items()
        ],
    ]
    out = io.BytesIO()
    write_workbook(
        out,
        [
            Sheet(
                "Tong hop", f"{data.group} — {data.period}", ["Chỉ tiêu", "Số"], summary, (40, 10)
            ),
            Sheet(
                "Cac buoi du",
                f"{data.group} — {data.period}",
                ["Ngày", "Chi bộ", "Người dự", "Tình trạng", "Xếp loại", "Nhận xét"],
                data.visits,
                (12, 30, 24, 14, 12, 60),
            ),
        ],
    )
    return out.getvalue()
