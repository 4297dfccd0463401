"""The minutes of a meeting as documents: plain data first, then DOCX and PDF bytes."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils import timezone
from docx.document import Document as DocxDocument

from chibo.lib import party_docx, seal
from chibo.lib.dates import vn_date
from chibo.lib.pdf import PDF_FAMILY, PdfUnavailableError, html_to_pdf
from chibo.meetings import seals
from chibo.meetings.models import AttendanceCounts, AttendanceStatus, Meeting, MeetingKind
from chibo.meetings.services import QUALITY_LABELS
from chibo.orgs.models import Unit


@dataclass
class ItemText:
    """One agenda item with its notes and speakers."""

    title: str
    paragraphs: list[str]
    speeches: list[tuple[str, list[str]]]


@dataclass
class MinutesData:
    """Everything the minutes say, as text: the input of every minutes format."""

    superior: str
    cell: str
    place_name: str
    date: datetime.date
    title: str
    opening: str
    place: str
    chair: str
    secretary: str
    guests: list[str]
    counts: AttendanceCounts
    absent: list[str]
    items: list[ItemText]
    conclusion: list[str]
    resolution: list[str]
    vote: str
    closing: str
    quality: str = ""
    tasks: list[str] = field(default_factory=list)
    amendments: list[str] = field(default_factory=list)
    seal: str = ""  # of approved minutes, as printed (chibo.lib.seal.display)


def minutes_data(meeting: Meeting) -> MinutesData:
    """Read one meeting into plain data (a fixed number of queries)."""
    meeting.load_people()
    unit = meeting.unit
    parent = (
        Unit.objects.filter(path=unit.path[: -Unit.steplen]).first() if unit.depth > 1 else None
    )
    province = Unit.objects.filter(path=unit.path[: Unit.steplen]).first()
    local = timezone.localtime(meeting.started_at or meeting.scheduled_at)
    attendance = list(meeting.attendance.select_related("member").order_by("member__sort_key"))
    counts = meeting.attendance_counts(attendance)
    items = [
        ItemText(
            title=item.title,
            paragraphs=party_docx.html_paragraphs(item.notes),
            speeches=[
                (s.member.full_name, party_docx.html_paragraphs(s.gist))
                for s in item.speeches.all()
            ],
        )
        for item in meeting.items.prefetch_related("speeches__member")
    ]
    absent = [
        f"{a.member.full_name} ({a.reason or 'không lý do'})"
        for a in attendance
        if a.status in (AttendanceStatus.ABSENT_EXCUSED, AttendanceStatus.ABSENT_UNEXCUSED)
    ]
    kind = {
        MeetingKind.REGULAR: "sinh hoạt chi bộ thường kỳ",
        MeetingKind.THEMATIC: "sinh hoạt chi bộ chuyên đề",
        MeetingKind.COMBINED: "sinh hoạt chi bộ thường kỳ kết hợp chuyên đề",
        MeetingKind.EXTRAORDINARY: "sinh hoạt chi bộ bất thường",
    }[MeetingKind(meeting.kind)]
    vote = ""
    if meeting.votes_for is not None:
        passed = meeting.vote_passed(counts)
        vote = (
            f"Biểu quyết thông qua nghị quyết: {meeting.votes_for} tán thành, "
            f"{meeting.votes_against or 0} không tán thành, {meeting.votes_abstain or 0} không "
            f"biểu quyết, trên tổng số {counts.denominator} đảng viên có quyền biểu quyết "
            f"({counts.voters_present} có mặt). "
            f"Nghị quyết {'được' if passed else 'không được'} thông qua."
        )
    end = timezone.localtime(meeting.ended_at) if meeting.ended_at else None
    return MinutesData(
        superior=(parent.name if parent else province.name if province else ""),
        cell=unit.name,
        place_name=province.name.replace("Đảng bộ tỉnh ", "") if province else "",
        date=local.date(),
        title=f"{kind.capitalize()} tháng {local.month}/{local.year}"
        + (f" — {meeting.topic}" if meeting.topic else ""),
        opening=f"Vào hồi {local:%H} giờ {local:%M}, {vn_date(local.date())}",
        place=meeting.place,
        chair=meeting.chair.full_name if meeting.chair else "",
        secretary=meeting.minutes_secretary.full_name if meeting.minutes_secretary else "",
        guests=[f"{g.name} ({g.title})" if g.title else g.name for g in meeting.guests.all()],
        counts=counts,
        absent=absent,
        items=items,
        conclusion=party_docx.html_paragraphs(meeting.conclusion),
        resolution=party_docx.html_paragraphs(meeting.resolution),
        vote=vote,
        quality=(
            f"Chi bộ xếp loại chất lượng buổi sinh hoạt: {QUALITY_LABELS[meeting.quality_level]}."
            if meeting.quality_level in QUALITY_LABELS
            else ""
        ),
        closing=f"Buổi sinh hoạt kết thúc vào hồi {end:%H} giờ {end:%M} cùng ngày." if end else "",
        tasks=[
            f"{t.title} — {t.owner.full_name if t.owner else 'Chi ủy'}, hạn {t.deadline:%d/%m/%Y}"
            for t in meeting.tasks.select_related("owner")
        ],
        amendments=[
            f"Đính chính ngày {timezone.localtime(a.made_at):%d/%m/%Y}: {a.reason}"
            for a in meeting.amendments.all()
        ],
        seal=seal.display(seals.latest(meeting)) if meeting.is_locked else "",
    )


def minutes_docx(data: MinutesData) -> bytes:
    """The minutes (biên bản) as DOCX in the Party's format."""
    frame = party_docx.PartyDocument(
        superior=data.superior,
        issuer=data.cell,
        number="",
        place=data.place_name,
        date=data.date,
        kind="Biên bản",
        summary=data.title,
        signatures=[
            party_docx.Signature("", "THƯ KÝ", data.secretary),
            party_docx.Signature("T/M CHI BỘ", "BÍ THƯ", data.chair),
        ],
    )

    def body(document: DocxDocument) -> None:
        c = data.counts
        add = party_docx.add_text
        add(
            document,
            f"{data.opening}, tại {data.place}, {data.cell} tiến hành {data.title.lower()}.",
        )
        add(document, f"Chủ trì: đồng chí {data.chair}. Thư ký: đồng chí {data.secretary}.")
        if data.guests:
            add(document, "Đại biểu dự: " + "; ".join(data.guests) + ".")
        add(
            document,
            f"Tổng số đảng viên của chi bộ: {c.official + c.probationary + c.exempted + c.away} "
            f"(chính thức: {c.official}, dự bị: {c.probationary}, miễn sinh hoạt: {c.exempted}"
            + (f", đình chỉ, tạm giam hoặc làm nhiệm vụ đặc biệt: {c.away}" if c.away else "")
            + "); "
            f"đảng viên sinh hoạt tạm thời: {c.attached_here}. Có mặt: {c.present}; "
            f"vắng có lý do: {c.absent_excused}; vắng không lý do: {c.absent_unexcused}.",
        )
        if data.absent:
            add(document, "Vắng: " + "; ".join(data.absent) + ".")
        add(document, "NỘI DUNG SINH HOẠT", bold=True)
        for n, item in enumerate(data.items, start=1):
            add(document, f"{n}. {item.title}", bold=True)
            for paragraph in item.paragraphs:
                add(document, paragraph)
            for speaker, gist in item.speeches:
                add(document, f"Đồng chí {speaker}: " + " ".join(gist), italic=True)
        if data.conclusion:
            add(document, "KẾT LUẬN", bold=True)
            for paragraph in data.conclusion:
                add(document, paragraph)
        if data.resolution:
            add(document, "NGHỊ QUYẾT", bold=True)
            for paragraph in data.resolution:
                add(document, paragraph)
        for task in data.tasks:
            add(document, f"- {task}")
        if data.vote:
            add(document, data.vote)
        if data.quality:
            add(document, data.quality)
        for amendment in data.amendments:
            add(document, amendment, italic=True)
        if data.closing:
            add(document, data.closing)
        if data.seal:
            add(document, f"Mã kiểm tra nội dung biên bản (SHA-256): {data.seal}", italic=True)

    return party_docx.build(frame, body)


__all__ = ["PdfUnavailableError"]  # the views catch it from here


def minutes_pdf(data: MinutesData) -> bytes:
    """The minutes as PDF (WeasyPrint, from the same data as the DOCX), in the one
    vendored font (chibo.lib.pdf)."""
    page = render_to_string(
        "meetings/minutes_print.html",
        {"data": data, "vn_date": vn_date(data.date), "family": PDF_FAMILY},
    )
    return html_to_pdf(page)
