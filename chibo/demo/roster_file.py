"""A synthetic roster file of any length, for measuring imports (and testing them)."""

from __future__ import annotations

import datetime
import random
from pathlib import Path

import xlsxwriter

from chibo.demo import names
from chibo.members import rules
from chibo.members.roster_io import COLUMNS


def write_demo_roster(path: Path, *, rows: int, cell_codes: list[str], seed: int = 1) -> Path:
    """Write `rows` new, valid members spread over `cell_codes`, with card numbers from
    90,000,000 and citizen IDs from province code 099 (the demo seed uses neither)."""
    rng = random.Random(seed)
    book = xlsxwriter.Workbook(path, {"constant_memory": True})
    sheet = book.add_worksheet()
    date = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write(0, 0, "DANH SÁCH ĐẢNG VIÊN")
    headers = [c.header for c in COLUMNS]
    sheet.write_row(2, 0, headers)
    for n in range(rows):
        female = rng.random() < 0.4
        family = rng.choice(names.FAMILY_NAMES)[0]
        middle = rng.choice(names.MIDDLE_FEMALE if female else names.MIDDLE_MALE)
        given = rng.choice(names.GIVEN_FEMALE if female else names.GIVEN_MALE)
        birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=rng.randint(0, 18_000))
        admitted = birth + datetime.timedelta(days=rng.randint(19 * 365, 24 * 365))
        values: dict[str, object] = {
            "Họ và tên": f"{family} {middle} {given}",
            "Ngày sinh": birth,
            "Giới tính": "Nữ" if female else "Nam",
            "Dân tộc": "Kinh",
            "Tôn giáo": "Không",
            "Số thẻ đảng viên": f"{90_000_000 + n}",
            "Số CCCD": f"099{n:09d}",
            "Ngày vào Đảng": admitted,
            "Ngày chính thức": rules.probation_ends_on(admitted),
            "Chi bộ": cell_codes[n % len(cell_codes)],
            "Trạng thái": "Chính thức",
            "Chức vụ": "",
            "Điện thoại": f"09{rng.randint(10_000_000, 99_999_999)}",
            "Trình độ": "Đại học",
            "Ghi chú": "",
        }
        row = 3 + n
        for col, header in enumerate(headers):
            value = values.get(header, "")
            if isinstance(value, datetime.date):
                sheet.write_datetime(
                    row, col, datetime.datetime.combine(value, datetime.time()), date
                )
            elif value:
                sheet.write_string(row, col, str(value))
    book.close()
    return path
