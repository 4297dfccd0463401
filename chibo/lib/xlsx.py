"""Tables written to XLSX the same way everywhere: a title, a bold header, typed cells."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

import xlsxwriter


@dataclass
class Sheet:
    """One worksheet: its tab name, a title line, the column headers and the rows."""

    name: str
    title: str
    headers: Sequence[str]
    rows: Iterable[Sequence[Any]]
    widths: Sequence[int] = ()


def write_workbook(target: IO[bytes], sheets: Sequence[Sheet]) -> None:
    """Write `sheets` to `target`, streaming rows (constant memory)."""
    book = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": False})
    font = {"font_name": "Times New Roman"}
    title = book.add_format({"bold": True, "font_size": 12, **font})
    head = book.add_format(
        {"bold": True, "border": 1, "bg_color": "#F2DCDB", "text_wrap": True, **font}
    )
    date = book.add_format({"num_format": "dd/mm/yyyy", **font})
    plain = book.add_format(font)
    for spec in sheets:
        sheet = book.add_worksheet(spec.name[:31])
        for index, width in enumerate(spec.widths):
            sheet.set_column(index, index, width)
        sheet.write_string(0, 0, spec.title, title)
        sheet.write_row(2, 0, list(spec.headers), head)
        sheet.freeze_panes(3, 0)
        for row, values in enumerate(spec.rows, start=3):
            for col, value in enumerate(values):
                if value is None or value == "":
                    continue
                if isinstance(value, datetime.datetime):
                    sheet.write_datetime(row, col, value.replace(tzinfo=None), date)
                elif isinstance(value, datetime.date):
                    moment = datetime.datetime.combine(value, datetime.time())
                    sheet.write_datetime(row, col, moment, date)
                elif isinstance(value, bool):
                    sheet.write_boolean(row, col, value, plain)
                elif isinstance(value, int | float):
                    sheet.write_number(row, col, value, plain)
                else:
                    sheet.write_string(row, col, str(value), plain)
    book.close()
