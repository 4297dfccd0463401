"""The test data every test file builds on: meetings planned and completed, grown cells,
rated members, roster files, a file that is a PDF, a fresh database for a restore. Test
files import these from here, never from each other."""

from __future__ import annotations

import datetime
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from chibo.content import services as content_services
from chibo.content.models import Material, MaterialKind
from chibo.meetings import services
from chibo.meetings.models import Meeting, MeetingKind
from chibo.members import roster_io
from chibo.members import services as member_services
from chibo.members.models import Member
from chibo.members.roster_io import import_members
from chibo.orgs.models import Unit

D = datetime.date
# The header htmx sends with its requests: a page answers them with a fragment.
HX = {"HTTP_HX_REQUEST": "true"}


def cell(code: str = "X001.01") -> Unit:
    unit: Unit = Unit.objects.select_related("kind").get(code=code)
    return unit


def at(day: D, hour: int = 19) -> datetime.datetime:
    return datetime.datetime(
        day.year, day.month, day.day, hour, tzinfo=timezone.get_current_timezone()
    )


MARCH_5 = D(2026, 3, 5)


def planned(code: str = "X001.01", kind: str = MeetingKind.REGULAR, day: D = MARCH_5) -> Meeting:
    return services.plan_meeting(
        unit=cell(code),
        kind=kind,
        scheduled_at=at(day),
        place="Nhà văn hóa thôn",
        by=None,
        topic="Chuyên đề" if kind != MeetingKind.REGULAR else "",
    )


def all_present(meeting: Meeting) -> dict[int, tuple[str, str]]:
    return {
        m.pk: (services.default_status(m, meeting), "")
        for m, _row in services.attendance_roster(meeting)
    }


def complete(meeting: Meeting) -> Meeting:
    members = [m for m, _row in services.attendance_roster(meeting)]
    services.record_attendance(meeting=meeting, entries=all_present(meeting), by=None)
    services.save_minutes(
        meeting=meeting,
        data={
            "chair": members[0],
            "minutes_secretary": members[1],
            "started_at": at(D(2026, 3, 5), 19),
            "ended_at": at(D(2026, 3, 5), 21),
            "conclusion": "<p>Thống nhất</p><script>alert(1)</script>",
            "resolution": "<p>Nghị quyết tháng 3</p>",
        },
        item_notes={item.pk: "<p>Đã thảo luận</p>" for item in meeting.items.all()},
        by=None,
    )
    # Every official member present who may vote votes: all but one for.
    voters = meeting.attendance_counts().voters_present
    services.record_vote(meeting=meeting, votes_for=voters - 1, against=0, abstain=1, by=None)
    return meeting


def grow_cell(code: str, n: int) -> None:
    for i in range(n):
        member_services.create_member(
            unit=cell(code),
            data={
                "full_name": f"Đinh Văn Thêm {chr(65 + i % 26)}{i}",
                "gender": "male",
                "birth_date": D(1980, 1, 1),
                "admitted_on": D(2005, 1, 1),
                "official_on": D(2006, 1, 1),
                "card_number": f"5{i:07d}",
            },
            by=None,
        )


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def rate_members(cell: Unit, levels: list[str], year: int = 2026) -> None:
    """Rate the cell's first official members with `levels`, self-assessed and verified."""
    from chibo.scoring.classification import rate

    members = Member.objects.filter(unit=cell, status="official")[: len(levels)]
    for member, level in zip(members, levels, strict=True):
        rate(unit=cell, member=member, year=year, step="self", level=level, by=None)
        rate(unit=cell, member=member, year=year, step="verify", level=level, by=None)


HEADER = [
    "Họ và tên",
    "Ngày sinh",
    "Giới tính",
    "Số thẻ đảng viên",
    "Số CCCD",
    "Ngày vào Đảng",
    "Ngày chính thức",
    "Trạng thái",
    "Điện thoại",
]


def roster_row(n: int, **overrides: Any) -> list[Any]:
    values = {
        "Họ và tên": f"Phạm Văn Thử{chr(65 + n % 26)}",
        "Ngày sinh": D(1980, 1, 1 + n % 28),
        "Giới tính": "Nam",
        "Số thẻ đảng viên": f"9{n:07d}",
        "Số CCCD": f"0681800{n:05d}",
        "Ngày vào Đảng": D(2005, 2, 3),
        "Ngày chính thức": D(2006, 2, 3),
        "Trạng thái": "Chính thức",
        "Điện thoại": "0912345678",
    }
    values.update(overrides)
    return [values[h] for h in HEADER]


def roster_xlsx(
    path: Path, rows: list[list[Any]], header: list[str] = HEADER, title_rows: int = 2
) -> Path:
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    date = book.add_format({"num_format": "dd/mm/yyyy"})
    sheet.write(0, 0, "ĐẢNG BỘ XÃ — DANH SÁCH ĐẢNG VIÊN CHI BỘ")
    r = title_rows
    sheet.write_row(r, 0, header)
    for values in rows:
        r += 1
        for c, value in enumerate(values):
            if isinstance(value, D):
                sheet.write_datetime(r, c, datetime.datetime.combine(value, datetime.time()), date)
            elif value is not None:
                sheet.write(r, c, value)
    book.close()
    return path


def roster_cells(code: str = "X001.01") -> list[Unit]:
    return list(Unit.objects.cells().filter(path__startswith=Unit.objects.get(code=code).path))


def import_roster(path: Path, code: str = "X001.01", **kwargs: Any) -> roster_io.ImportResult:
    unit = Unit.objects.select_related("kind").get(code=code)
    return import_members(path, unit=unit, cells=roster_cells(code), by=None, **kwargs)


def run_chibo(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the project's own command
        [sys.executable, "-m", "chibo", *args], env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip


def new_database(tmp_path: Path) -> tuple[str, object]:
    """The URL of a new, empty database of the same engine, and how to drop it."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}", lambda: None
    import psycopg

    name = f"chibo_restore_{uuid.uuid4().hex[:8]}"
    settings = connection.settings_dict
    params: dict[str, Any] = {
        "host": settings["HOST"] or None,
        "port": settings["PORT"] or None,
        "user": settings["USER"] or None,
        "password": settings["PASSWORD"] or None,
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**params) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(**params) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')

    user = settings["USER"] or ""
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}", drop


def this_month() -> datetime.date:
    return timezone.localdate().replace(day=1)


def publish(
    code: str = "LV", cells: list[str] | None = None, month: datetime.date | None = None
) -> Material:
    return content_services.publish(
        unit=Unit.objects.get(code=code),
        kind=MaterialKind.MEETING,
        title=f"Tài liệu sinh hoạt chi bộ từ {code}",
        summary="Nội dung chính",
        month=month or this_month(),
        topic="",
        file=SimpleUploadedFile("tai-lieu.pdf", PDF),
        file_type="pdf",
        cells=[Unit.objects.get(code=c) for c in cells or []],
        by=None,
    )
