"""The periodic report (15/6 and 31/12) of a unit as a Party-format DOCX (HD 36-HD/VPTW),
with its companion XLSX holding every figure, and the job that writes them."""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt
from PIL import Image, ImageColor, ImageDraw, ImageFont

from chibo.lib import party_docx
from chibo.lib.display import format_percent
from chibo.lib.replica import reads_from_replica
from chibo.lib.xlsx import Sheet, write_workbook
from chibo.meetings.services import QUALITY_LABELS
from chibo.orgs.models import Unit
from chibo.reports import figures
from chibo.reports.charts import LEVEL_COLOURS
from chibo.reports.models import JobState, PeriodicReport, ReportSettings
from chibo.reports.periods import Period, parse

COLOURS = [ImageColor.getrgb(colour) for colour in LEVEL_COLOURS]  # the web charts' colours
FONTS = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
]


def committee_name(unit: Unit) -> str:
    """The issuing body of a unit: "Đảng bộ tỉnh X" → "Tỉnh ủy X", "Đảng bộ xã X" →
    "Đảng ủy xã X"; a cell issues as itself."""
    name: str = unit.name
    if name.startswith("Đảng bộ tỉnh "):
        return "Tỉnh ủy " + name.removeprefix("Đảng bộ tỉnh ")
    if name.startswith("Đảng bộ "):
        return "Đảng ủy " + name.removeprefix("Đảng bộ ")
    return name


def issuer_code(unit: Unit) -> str:
    """The issuer part of a party-style number: TU for the provincial committee, ĐU for a
    party committee, CB for a cell."""
    if unit.depth == 1:
        return "TU"
    return "CB" if unit.is_cell else "ĐU"


def place_of(unit: Unit, settings: ReportSettings) -> str:
    if settings.place:
        return settings.place
    root = Unit.objects.filter(path=unit.path[: unit.steplen]).first()
    name = root.name if root else unit.name
    return re.sub(r"^Đảng bộ (tỉnh|thành phố) ", "", name)


def reserve(unit: Unit, period: Period, by: User | None) -> PeriodicReport:
    """The report of `unit` for `period`: a new one gets the next number of the term."""
    settings = ReportSettings.for_unit(unit)
    existing = PeriodicReport.objects.filter(unit=unit, period=period.code).first()
    if existing is not None:
        existing.state, existing.progress, existing.error = JobState.QUEUED, 0, ""
        existing.save(update_fields=["state", "progress", "error"])
        return existing
    for _attempt in range(3):
        last = PeriodicReport.objects.filter(unit=unit, term_start=settings.term_start).aggregate(
            n=Max("serial")
        )["n"]
        try:
            with transaction.atomic():
                return PeriodicReport.objects.create(
                    unit=unit,
                    period=period.code,
                    term_start=settings.term_start,
                    serial=(last or 0) + 1,
                    created_by=by,
                )
        except IntegrityError:  # another report took the number (or the period) meanwhile
            existing = PeriodicReport.objects.filter(unit=unit, period=period.code).first()
            if existing is not None:
                return existing
    raise RuntimeError("could not number the report")


def number_of(report: PeriodicReport) -> str:
    return f"Số {report.serial}-BC/{issuer_code(report.unit)}"


# --- the chart ---------------------------------------------------------------------------


def _font(size: int) -> Any:
    for path in FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def levels_chart_png(board: figures.Dashboard) -> bytes:
    """Meeting quality by month as stacked bars (PNG for the DOCX)."""
    width, height, pad = 1400, 560, 70
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font, small = _font(26), _font(22)
    rows = board.by_month
    totals = [sum(r.levels) for r in rows] or [0]
    top = max([*totals, 1])
    inner = height - 2 * pad - 40
    step = (width - 2 * pad) / max(1, len(rows))
    bar = step * 0.7
    draw.line([(pad, height - pad), (width - pad, height - pad)], fill=(120, 120, 120), width=2)
    for i, row in enumerate(rows):
        x = pad + i * step + (step - bar) / 2
        y = float(height - pad)
        for value, colour in zip(row.levels, COLOURS, strict=True):
            h = inner * value / top
            if h:
                draw.rectangle([(x, y - h), (x + bar, y)], fill=colour)
            y -= h
        draw.text(
            (x + bar / 2, height - pad + 10), row.label[:2], fill="black", font=small, anchor="mt"
        )
    x = pad
    for name, colour in zip(QUALITY_LABELS.values(), COLOURS, strict=True):
        draw.rectangle([(x, 14), (x + 24, 38)], fill=colour)
        draw.text((x + 32, 12), name, fill="black", font=font)
        x += 60 + 18 * len(name)
    draw.text((pad - 10, height - pad - inner), str(top), fill="black", font=small, anchor="rm")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


# --- the DOCX ------------------------------------------------------------------------------


def _table(document: DocxDocument, headers: list[str], rows: list[list[Any]]) -> None:
    table = document.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(str(text))
        run.bold = True
        run.font.size = Pt(11)
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=True):
            cell.text = ""
            text = "—" if value is None else _number(value)
            run = cell.paragraphs[0].add_run(text)
            run.font.size = Pt(11)
            if not isinstance(value, str):
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _blank(document: DocxDocument, hint: str) -> None:
    party_docx.add_text(document, f"[{hint}]", italic=True)


def periodic_docx(
    board: figures.Dashboard, *, number: str, date: datetime.date, place: str
) -> bytes:
    unit, period = board.unit, board.period
    parent = Unit.objects.get_parent(unit) if unit.depth > 1 else None
    collective = "T/M BAN THƯỜNG VỤ" if unit.depth == 1 else "T/M ĐẢNG ỦY"
    if unit.is_cell:
        collective = "T/M CHI BỘ"
    frame = party_docx.PartyDocument(
        superior=committee_name(parent) if parent else "",
        issuer=committee_name(unit),
        number=number,
        place=place,
        date=date,
        kind="Báo cáo",
        summary=f"Kết quả thực hiện chế độ và nâng cao chất lượng sinh hoạt chi bộ {period.label}",
        signatures=[
            party_docx.Signature(collective, "BÍ THƯ" if unit.depth > 1 else "PHÓ BÍ THƯ", "")
        ],
        recipients=[
            f"{committee_name(parent)} (để báo cáo)"
            if parent
            else "Ban Tổ chức Trung ương (để báo cáo)",
            "Các tổ chức đảng trực thuộc",
            "Lưu Văn phòng",
        ],
    )
    tables = board.tables()
    chart = levels_chart_png(board)
    compared = board.compared

    def since(key: str) -> str:
        """What follows a figure compared with last year's: ' (cùng kỳ 80,1 %, +5,1)'."""
        return f" ({compared[key].since('vi')})" if key in compared else ""

    def body(document: DocxDocument) -> None:
        add = party_docx.add_text
        add(document, "I. TÌNH HÌNH CHUNG", bold=True)
        _blank(document, "Phần này do cơ quan tham mưu viết: đặc điểm, thuận lợi, khó khăn")
        add(document, "II. KẾT QUẢ THỰC HIỆN", bold=True)
        add(document, "1. Chấp hành chế độ sinh hoạt chi bộ", bold=True)
        add(
            document,
            f"Toàn đảng bộ có {board.cells} chi bộ (trong đó {board.weak_cells} chi bộ yếu kém). "
            f"Tỷ lệ chi bộ sinh hoạt thường kỳ đúng quy định: {_pct(board.total.compliance)}"
            f"{since('compliance')}; "
            f"sinh hoạt chuyên đề theo quý: {_pct(board.thematic)}; "
            f"tỷ lệ đảng viên dự sinh hoạt: {_pct(board.total.attendance)}"
            f"{since('attendance')}; tỷ lệ cấp ủy viên, đảng viên giữ chức vụ lãnh đạo dự "
            f"sinh hoạt: {_pct(board.leaders['attendance'])}{since('leaders')}.",
        )
        _title, headers, rows = tables["summary"]
        _table(document, [str(h) for h in headers], rows)
        if "comparison" in tables:
            title, headers, rows = tables["comparison"]
            add(document, f"{title}:", italic=True)
            _table(document, [str(h) for h in headers], rows)
        add(document, "2. Chất lượng sinh hoạt chi bộ", bold=True)
        document.add_picture(io.BytesIO(chart), width=Mm(160))
        document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _title, headers, rows = tables["months"]
        _table(document, [str(h) for h in headers], rows)
        if board.children:
            add(document, "3. Kết quả theo đơn vị trực thuộc", bold=True)
            _title, headers, rows = tables["units"]
            _table(document, [str(h) for h in headers], rows)
        add(document, "4. Đánh giá, xếp loại", bold=True)
        _title, headers, rows = tables["classification"]
        _table(document, [str(h) for h in headers], rows)
        add(document, "5. Công tác kiểm tra, giám sát và tổ công tác", bold=True)
        r = board.reports
        add(
            document,
            f"Số chi bộ được kiểm tra trong năm: {board.inspected}/{board.cells}. "
            f"Báo cáo của các tổ công tác đến hạn: {r['due']}, đã gửi: {r['submitted']}, "
            f"đã đánh giá: {r['evaluated']}, quá hạn: {r['overdue']}.",
        )
        v = board.visits
        add(
            document,
            f"Cấp ủy viên cấp trên được phân công dự sinh hoạt chi bộ: {v.assigned} lượt, "
            f"đã dự {v.attended} lượt ({_pct(v.rate)}), không dự {v.missed} lượt, chưa ghi "
            f"nhận {v.unrecorded} lượt"
            + (f"; chi tiết từng đồng chí tại Phụ lục ({len(board.visitors)} đồng chí)."
               if board.visitors else "."),
        )  # fmt: skip
        if board.weak:
            w = board.weak
            add(
                document,
                f"Chi bộ yếu kém: đưa vào danh sách {w['this']['entered']} "
                f"(năm trước {w['last']['entered']}), ra khỏi danh sách {w['this']['left']} "
                f"(năm trước {w['last']['left']}). Nhân rộng {board.content.get('models', 0)} "
                "mô hình, cách làm hay. Số chi bộ trong danh sách chi bộ yếu kém cuối kỳ: "
                f"{board.weak_listed}{since('weak')}.",
            )
        add(document, "6. Công tác phát triển đảng viên", bold=True)
        d = board.development
        target = f"; chỉ tiêu năm {board.period.end.year}: {d['target']}" if d["target"] else ""
        add(
            document,
            f"Kết nạp {d['total']} đảng viên mới{since('admitted')}, trong đó: nữ {d['women']}, "
            f"dân tộc thiểu số "
            f"{d['ethnic_minority']}, người có đạo {d['religious']}, trong doanh nghiệp tư nhân "
            f"{d['private_enterprise']}, doanh nghiệp có vốn đầu tư nước ngoài "
            f"{d['foreign_invested']}, chủ doanh nghiệp {d['business_owner']}, ở nông thôn "
            f"{d['rural']}{target}.",
        )
        _blank(document, "Nhận xét, đánh giá")
        add(document, "7. Tài liệu, định hướng chuyên đề, quy chế làm việc, bồi dưỡng bí thư",
            bold=True)  # fmt: skip
        c = board.content
        materials = c["materials"]
        secretaries = c["secretaries"]
        add(
            document,
            f"Cấp trên gửi {materials['materials']} tài liệu sinh hoạt chi bộ; tỷ lệ chi bộ đã "
            f"mở tài liệu: {_pct(figures.rate(materials['opened'], materials['due']))}. "
            f"Số lượt chi bộ sinh hoạt chuyên đề theo chuyên đề được định hướng: "
            f"{c['oriented_done']}/{board.thematic_due} "
            f"({_pct(figures.rate(c['oriented_done'], board.thematic_due))}). "
            f"Chi bộ có quy chế làm việc còn hiệu lực: {c['regulations_current']}/{board.cells} "
            f"({_pct(figures.rate(c['regulations_current'], board.cells))}). "
            f"Bí thư chi bộ được bồi dưỡng, tập huấn trong {c['training_years']} năm gần đây: "
            f"{secretaries['trained']}/{secretaries['n']} "
            f"({_pct(figures.rate(secretaries['trained'], secretaries['n']))}).",
        )
        s = board.secretaries
        add(
            document,
            f"Bí thư chi bộ thôn, tổ dân phố: {s['residential']} đồng chí; trong đó kiêm trưởng "
            f"thôn, tổ trưởng tổ dân phố {s['village_head_n']} ({_pct(s['village_head'])}), "
            f"kiêm trưởng ban công tác Mặt trận {s['front_head_n']} ({_pct(s['front_head'])}); "
            f"kiêm một trong hai chức danh: {_pct(s['either'])} (tỷ lệ tính trên số chi bộ "
            "thôn, tổ dân phố).",
        )
        add(document, "III. HẠN CHẾ, NGUYÊN NHÂN", bold=True)
        _blank(document, "Phần này do cơ quan tham mưu viết")
        add(document, "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI", bold=True)
        _blank(document, "Phần này do cơ quan tham mưu viết")

    def appendix(document: DocxDocument) -> None:
        add = party_docx.add_text
        title, headers, rows = tables["visitors"]
        add(document, "PHỤ LỤC", bold=True)
        add(
            document,
            f"{title} ({period.label}), xếp theo tỷ lệ dự từ thấp đến cao",
            italic=True,
        )
        _table(document, [str(h) for h in headers], rows)

    return party_docx.build(frame, body, appendix if board.visitors else None)


def _number(value: Any) -> str:
    """Vietnamese writes a decimal comma."""
    return f"{value:g}".replace(".", ",") if isinstance(value, float) else str(value)


def _pct(value: float | None) -> str:
    return format_percent(value, language="vi")


def periodic_xlsx(board: figures.Dashboard) -> bytes:
    """Every figure of the report, one sheet per table."""
    out = io.BytesIO()
    write_workbook(
        out,
        [
            Sheet(
                str(title)[:31],
                f"{title} — {board.unit.name} — {board.period.label}",
                headers,
                rows,
            )
            for title, headers, rows in board.tables().values()
        ],
    )
    return out.getvalue()


# --- the job ----------------------------------------------------------------------------------


def write_report(
    report: PeriodicReport,
    user: Any,
    *,
    today: datetime.date | None = None,
    progress: Callable[[int], None] = lambda _n: None,
) -> PeriodicReport:
    """Compute the figures and write the DOCX and XLSX of `report` (as `user` sees the
    unit: the figures are the dashboard's)."""
    today = today or timezone.localdate()
    report.state = JobState.RUNNING
    report.save(update_fields=["state"])
    period = parse(report.period)
    with reads_from_replica():
        board = figures.build(user, report.unit, period, today=today)
    progress(40)
    settings = ReportSettings.for_unit(report.unit)
    docx = periodic_docx(
        board, number=number_of(report), date=today, place=place_of(report.unit, settings)
    )
    progress(80)
    xlsx = periodic_xlsx(board)
    name = f"bao-cao-{report.unit.code}-{report.period}".replace("..", "_")
    report.docx.save(f"{name}.docx", ContentFile(docx), save=False)
    report.xlsx.save(f"{name}.xlsx", ContentFile(xlsx), save=False)
    report.state, report.progress, report.finished_at = JobState.DONE, 100, timezone.now()
    report.save()
    return report
