"""Documents in the Party's format (HD 36-HD/VPTW, 2018), as DOCX.

A4, Times New Roman; top left the superior and the issuing body, "*" and the number;
top right "ĐẢNG CỘNG SẢN VIỆT NAM" underlined and the place and date in italics; the type
of document centred in capitals with its summary below; the signature block on the right
("T/M CHI BỘ" / "BÍ THƯ"); "Nơi nhận:" at the bottom left.
"""

from __future__ import annotations

import datetime
import html
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from chibo.lib.dates import vn_date

FONT = "Times New Roman"


@dataclass
class Signature:
    """One signature column: "T/M CHI BỘ" / "BÍ THƯ" / the name."""

    on_behalf: str
    title: str
    name: str


@dataclass
class PartyDocument:
    """The frame of a Party document; the body is written by the caller."""

    superior: str
    issuer: str
    number: str
    place: str
    date: datetime.date
    kind: str
    summary: str
    signatures: list[Signature] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)


def html_paragraphs(text: str) -> list[str]:
    """The paragraphs of sanitised minutes HTML, as plain text."""
    text = re.sub(r"(?i)<br\s*/?>|</p>|</li>", "\n", text or "")
    text = re.sub(r"(?i)<li[^>]*>", "- ", text)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return [line.strip() for line in text.splitlines() if line.strip()]


def _paragraph(
    target: DocxDocument | _Cell,
    text: str = "",
    *,
    size: float = 14,
    bold: bool = False,
    italic: bool = False,
    underline: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
) -> Paragraph:
    paragraph = target.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(0)
    run = paragraph.add_run(text)
    run.font.name = FONT
    run.font.size = Pt(size)
    run.bold = bold
    run.italic = italic
    run.underline = underline
    return paragraph


def build(
    doc: PartyDocument,
    body: Callable[[DocxDocument], None],
    appendix: Callable[[DocxDocument], None] | None = None,
) -> bytes:
    """The DOCX bytes of `doc` with the body that `body` writes, and the appendix that
    `appendix` writes on a new page after "Nơi nhận"."""
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(25), Mm(25)
    section.left_margin, section.right_margin = Mm(35), Mm(15)
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(14)
    # Page numbers from the second page on, centred in the footer.
    section.different_first_page_header_footer = True
    number = section.footer.paragraphs[0]
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    field.append(run)
    number._p.append(field)

    header = document.add_table(rows=1, cols=2)
    header.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = header.rows[0].cells
    left.paragraphs[0].text = ""
    _paragraph(left, doc.superior.upper(), align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(left, doc.issuer.upper(), bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(left, "*", align=WD_ALIGN_PARAGRAPH.CENTER)
    if doc.number:
        _paragraph(left, doc.number, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(
        right,
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        size=15,
        bold=True,
        underline=True,
        align=WD_ALIGN_PARAGRAPH.CENTER,
    )
    _paragraph(
        right, f"{doc.place}, {vn_date(doc.date)}", italic=True, align=WD_ALIGN_PARAGRAPH.RIGHT
    )

    _paragraph(document, "")
    _paragraph(document, doc.kind.upper(), size=16, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(document, doc.summary, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(document, "")
    body(document)
    _paragraph(document, "")

    if doc.signatures:
        signatures = document.add_table(rows=1, cols=max(2, len(doc.signatures)))
        cells = signatures.rows[0].cells
        # One signature stands on the right; two share the width.
        start = len(cells) - len(doc.signatures)
        for cell, signature in zip(cells[start:], doc.signatures, strict=True):
            if signature.on_behalf:
                _paragraph(cell, signature.on_behalf, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
            _paragraph(cell, signature.title, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
            for _ in range(3):
                _paragraph(cell, "")
            _paragraph(cell, signature.name, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    if doc.recipients:
        _paragraph(document, "")
        _paragraph(document, "Nơi nhận:", size=12, bold=True, underline=True)
        for recipient in doc.recipients:
            _paragraph(document, f"- {recipient},", size=11)
    if appendix is not None:
        _paragraph(document, "").paragraph_format.page_break_before = True
        appendix(document)

    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def add_text(
    document: DocxDocument, text: str, *, bold: bool = False, italic: bool = False
) -> None:
    """A body paragraph, justified, 14 pt."""
    paragraph = _paragraph(
        document, text, bold=bold, italic=italic, align=WD_ALIGN_PARAGRAPH.JUSTIFY
    )
    paragraph.paragraph_format.space_after = Pt(3)
    paragraph.paragraph_format.first_line_indent = Mm(10)
