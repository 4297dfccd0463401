"""Roster files: reading Excel/CSV rosters into member records and writing them back.

Columns are found by their Vietnamese header, in any order, case or diacritics, below any
title rows. An import is all or nothing: rows are parsed, checked and written in batches
inside one transaction, and any error rolls the whole file back, so memory stays bounded
however long the file is.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import enum
import functools
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import python_calamine
import xlsxwriter
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from chibo.lib import vntext
from chibo.lib.bulk import insert_objects, insert_rows
from chibo.lib.history import bulk_reason
from chibo.lib.uploads import unpacked_size, zip_entries
from chibo.members import rules
from chibo.members.access import hidden_fields, may_name_member
from chibo.members.models import (
    ACTIVE_STATUSES,
    AWAY_STATUSES,
    Change,
    Gender,
    Member,
    MembershipPeriod,
    MemberStatus,
)
from chibo.members.services import AWAY_CHANGES, IDENTITY_FIELDS, next_period
from chibo.orgs.models import Unit

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser

MAX_BYTES = 40 * 1024 * 1024
MAX_ROWS = 200_000
# A spreadsheet is a zip archive: what it unpacks to is bounded too, so that a small file
# that unpacks to gigabytes (a "zip bomb") is refused before it is read. A roster of 150,000
# members (`chibo bench`'s file) is 12 MB and unpacks to 106 MB, 8.8 times its size.
MAX_UNPACKED = 400 * 1024 * 1024
MAX_PACKING_RATIO = 100
BATCH = 1000
HEADER_SEARCH_ROWS = 30
# The columns of the membership period an import starts each new member's history with.
PERIOD_COLUMNS = [
    "member_id", "unit_id", "status", "started_on", "ended_on", "change", "reason", "decision",
    "decision_on", "recorded_by_id", "recorded_at",
]  # fmt: skip


@dataclass(frozen=True)
class Column:
    """A roster column: the member field, its header, the other headers people use."""

    field: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False


COLUMNS = [
    Column("full_name", "Họ và tên", ("Họ tên", "Họ và tên đảng viên"), required=True),
    Column("birth_date", "Ngày sinh", ("Ngày tháng năm sinh",), required=True),
    Column("gender", "Giới tính", ("Nam/Nữ",), required=True),
    Column("ethnicity", "Dân tộc"),
    Column("religion", "Tôn giáo"),
    Column("card_number", "Số thẻ đảng viên", ("Số thẻ", "Số thẻ ĐV"), required=True),
    Column(
        "citizen_id", "Số CCCD", ("CCCD", "Số căn cước", "Số căn cước công dân", "Số định danh")
    ),
    Column("admitted_on", "Ngày vào Đảng", ("Ngày kết nạp",), required=True),
    Column("official_on", "Ngày chính thức", ("Ngày công nhận chính thức",)),
    Column("unit", "Chi bộ", ("Mã chi bộ", "Tên chi bộ")),
    Column("status", "Trạng thái", ("Tình trạng",)),
    Column(
        "occupation", "Chức vụ", ("Nghề nghiệp", "Nghề nghiệp, chức vụ", "Chức vụ, nghề nghiệp")
    ),
    Column("phone", "Điện thoại", ("Số điện thoại", "SĐT", "ĐT")),
    Column("education", "Trình độ", ("Trình độ chuyên môn", "Học vấn")),
    Column("notes", "Ghi chú"),
    # A suspension, detention or special duty (STATUS-1): from when, by which decision.
    Column("status_from", "Từ ngày", ("Trạng thái từ ngày", "Ngày bắt đầu")),
    Column("decision", "Số quyết định", ("Quyết định", "Số QĐ")),
    Column("decision_on", "Ngày quyết định", ("Ngày QĐ", "Ngày ký quyết định")),
]
STATUS_WORDS = {
    "chinh thuc": MemberStatus.OFFICIAL,
    "du bi": MemberStatus.PROBATIONARY,
    "mien sinh hoat": MemberStatus.EXEMPTED,
    "mien cong tac va sinh hoat dang": MemberStatus.EXEMPTED,
    "mien cong tac va sinh hoat": MemberStatus.EXEMPTED,
    "dinh chi sinh hoat": MemberStatus.SUSPENDED,
    "dinh chi sinh hoat dang": MemberStatus.SUSPENDED,
    "bi dinh chi sinh hoat dang": MemberStatus.SUSPENDED,
    "tam giam": MemberStatus.DETAINED,
    "bi tam giam": MemberStatus.DETAINED,
    "lam nhiem vu dac biet": MemberStatus.SPECIAL_DUTY,
    "nhiem vu dac biet": MemberStatus.SPECIAL_DUTY,
}
STATUS_LABELS = {
    MemberStatus.OFFICIAL: "Chính thức",
    MemberStatus.PROBATIONARY: "Dự bị",
    MemberStatus.EXEMPTED: "Miễn sinh hoạt",
    # Set by an import with the columns "Từ ngày", "Số quyết định" and "Ngày quyết định".
    MemberStatus.SUSPENDED: "Đình chỉ sinh hoạt",
    MemberStatus.DETAINED: "Tạm giam",
    MemberStatus.SPECIAL_DUTY: "Làm nhiệm vụ đặc biệt",
}
GENDER_WORDS = {
    "nam": Gender.MALE,
    "nu": Gender.FEMALE,
    "male": Gender.MALE,
    "female": Gender.FEMALE,
}
GENDER_LABELS = {Gender.MALE: "Nam", Gender.FEMALE: "Nữ"}
_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_EXCEL_EPOCH = datetime.date(1899, 12, 30)


@functools.lru_cache(maxsize=4096)
def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", vntext.fold(text)).strip()


_HEADERS = {_key(name): column for column in COLUMNS for name in (column.header, *column.aliases)}


class ImportFileError(Exception):
    """The file as a whole cannot be read: one message says why."""


@dataclass(frozen=True)
class RowError:
    """A problem with one cell of the file, numbered as Excel shows it."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return _('Row %(row)s, column "%(column)s": %(message)s') % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class ImportResult:
    """What an import did, or would do (dry run), or why it did nothing."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


class _Rollback(Exception):
    pass


# --- reading ----------------------------------------------------------------------------


def read_rows(
    source: Path | IO[bytes], filename: str = ""
) -> tuple[int, Iterator[tuple[int, list[Any]]]]:
    """The number of rows of the first sheet, and (row number as Excel shows it, cell
    values) for each of them."""
    data = source.read_bytes() if isinstance(source, Path) else source.read(MAX_BYTES + 1)
    name = filename or (source.name if isinstance(source, Path) else "")
    if sniff(data, name) == "spreadsheet":
        return _spreadsheet_rows(data)
    return _csv_rows(data)


def sniff(data: bytes, name: str = "") -> str:
    """What the file is by its content, not its name: "spreadsheet" (xlsx, ods, xls) or
    "csv"; anything else, too large, or unpacking to too much is refused with a message."""
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            _("The file is larger than %(size)s MB; split it into several files.")
            % {"size": MAX_BYTES // (1024 * 1024)}
        )
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if data[:4] == b"PK\x03\x04":
        _check_archive(data)
        return "spreadsheet"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "spreadsheet"
    if (
        name.lower().endswith((".csv", ".txt"))
        or b"\x00" not in data[:4096]
        or _utf16(data) is not None
    ):
        return "csv"
    raise ImportFileError(_("This is not a spreadsheet: send an .xlsx or .csv file."))


def _check_archive(data: bytes) -> None:
    """Refuse a zip whose content would unpack to too much, from its directory alone."""
    entries = zip_entries(data)
    if entries is None:
        raise ImportFileError(
            _("The spreadsheet cannot be read (%(reason)s). Save it again as .xlsx.")
            % {"reason": "zip"}
        )
    unpacked = unpacked_size(entries)
    if unpacked > MAX_UNPACKED or (
        unpacked > 10 * 1024 * 1024 and unpacked > MAX_PACKING_RATIO * len(data)
    ):
        raise ImportFileError(
            _(
                "The spreadsheet would unpack to %(size)s MB, far more than a roster needs: "
                "it is refused. Save only the roster sheet as .xlsx and send it again."
            )
            % {"size": unpacked // (1024 * 1024)}
        )


def _spreadsheet_rows(data: bytes) -> tuple[int, Iterator[tuple[int, list[Any]]]]:
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.iter_rows()
    except Exception as error:  # calamine raises several kinds for broken files
        raise ImportFileError(
            _("The spreadsheet cannot be read (%(reason)s). Save it again as .xlsx.")
            % {"reason": str(error)[:120]}
        ) from error
    if sheet.total_height > MAX_ROWS + 1:
        raise ImportFileError(_("The file has more than %(n)s rows; split it.") % {"n": MAX_ROWS})
    return sheet.total_height, enumerate(rows, start=1)


def _utf16(data: bytes) -> str | None:
    """The encoding of a UTF-16 text (Excel's "Unicode text" and some exports), by its byte
    order mark, or without one by the zero bytes of its ASCII characters; None otherwise."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) and not data.startswith(b"\xff\xfe\x00\x00"):
        return "utf-16"
    head = data[:4096]
    if len(head) < 4:
        return None
    # ASCII characters (the header, digits, separators) give a zero byte in every pair, on
    # the same side; a program or an image has zero bytes on both sides.
    even, odd = head[0::2].count(0) / len(head[0::2]), head[1::2].count(0) / len(head[1::2])
    if odd > 0.5 and even < 0.05:
        return "utf-16-le"
    if even > 0.5 and odd < 0.05:
        return "utf-16-be"
    return None


def _csv_text(data: bytes) -> str:
    """The text of a CSV file: UTF-8 (with or without its mark), UTF-16 (with its mark, or
    recognised by its zero bytes), or the old Vietnamese Windows code page."""
    encodings = [_utf16(data)] if _utf16(data) else ["utf-8-sig", "cp1258"]
    for encoding in encodings:
        try:
            text = data.decode(str(encoding))
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise ImportFileError(_("The CSV file is not in UTF-8: save it as “CSV UTF-8”."))


def _csv_rows(data: bytes) -> tuple[int, Iterator[tuple[int, list[Any]]]]:
    text = _csv_text(data)
    try:
        dialect: Any = csv.Sniffer().sniff(text[:8192], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            yield from enumerate(csv.reader(io.StringIO(text), dialect), start=1)
        except csv.Error as error:
            raise ImportFileError(
                _("The CSV file is malformed: %(reason)s") % {"reason": error}
            ) from error

    return text.count("\n") + 1, rows()


def find_header(rows: Iterator[tuple[int, list[Any]]]) -> tuple[int, dict[int, Column]]:
    """The header row (below any title rows) and which column holds which field."""
    best: tuple[int, dict[int, Column]] | None = None
    for row_number, cells in rows:
        mapping: dict[int, Column] = {}
        for index, value in enumerate(cells):
            column = _HEADERS.get(_key(str(value))) if value not in (None, "") else None
            if column is not None and column not in mapping.values():
                mapping[index] = column
        if len(mapping) >= 3:
            best = (row_number, mapping)
            break
        if row_number >= HEADER_SEARCH_ROWS:
            break
    if best is None:
        raise ImportFileError(
            _(
                "No header row was found in the first %(n)s rows: "
                "the file needs the columns %(columns)s."
            )
            % {"n": HEADER_SEARCH_ROWS, "columns": _required_names()}
        )
    return best


def _required_names() -> str:
    return ", ".join(f"“{c.header}”" for c in COLUMNS if c.required)


# --- parsing one row --------------------------------------------------------------------


def parse_date(value: Any) -> datetime.date:
    """An Excel date, a serial number, dd/mm/yyyy, d/m/yyyy or yyyy-mm-dd."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2_958_466:
            return _EXCEL_EPOCH + datetime.timedelta(days=int(value))
        raise ValueError(_("not a date"))
    text = str(value).strip()
    match = _DATE.match(text)
    try:
        if match:
            day, month, year = (int(g) for g in match.groups())
            return datetime.date(year, month, day)
        match = _ISO.match(text)
        if match:
            year, month, day = (int(g) for g in match.groups())
            return datetime.date(year, month, day)
    except ValueError as error:
        raise ValueError(_("this day does not exist")) from error
    raise ValueError(_("write the date as dd/mm/yyyy"))


def _text(value: Any, *, digits_width: int = 0) -> str:
    """Cell text; whole numbers that Excel stored as floats lose their ".0", and digit
    strings that lost their leading zeros get them back up to `digits_width`."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
        return text.zfill(digits_width) if digits_width else text
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.strftime("%d/%m/%Y")
    return vntext.nfc(str(value))


@dataclass
class ParsedRow:
    """One valid data row: member fields, the cell and the status it names."""

    row: int
    fields: dict[str, Any]
    unit: Unit
    status: str | None
    # The record this row would create, already checked.
    member: Member
    # A suspension, detention or special duty: (from, decision, decision dated).
    away: tuple[datetime.date, str, datetime.date] | None = None


@functools.cache
def _member_columns() -> tuple[dict[str, int], tuple[Any, ...], tuple[Any, ...]]:
    """Each field's place among a member's columns, their constant defaults, and the fields
    whose default is computed for each record."""
    fields = Member._meta.concrete_fields
    computed = tuple(
        (i, f) for i, f in enumerate(fields) if f.has_default() and callable(f.default)
    )
    return (
        {f.attname: i for i, f in enumerate(fields)},
        tuple(None if (i, f) in computed else f.get_default() for i, f in enumerate(fields)),
        computed,
    )


def _new_member(fields: dict[str, Any]) -> Member:
    """An unsaved member with `fields` (the full name is set apart). Built from positional
    values, which costs a quarter of the keyword form: an import builds one per row."""
    place, defaults, computed = _member_columns()
    values = list(defaults)
    for i, field_ in computed:
        values[i] = field_.get_default()
    for key, value in fields.items():
        if key != "full_name":
            values[place[key]] = value
    # Typed as Any: django-stubs checks positional arguments against the first field only
    # (and only on some runs, by the order it reads the models in).
    model: Any = Member
    member: Member = model(*values)
    return member


class _Kind(enum.Enum):
    """How a column's cells are read."""

    TEXT = 1
    DATE = 2
    GENDER = 3
    CITIZEN_ID = 4
    PHONE = 5


_KINDS = {
    "birth_date": _Kind.DATE,
    "admitted_on": _Kind.DATE,
    "official_on": _Kind.DATE,
    "status_from": _Kind.DATE,
    "decision_on": _Kind.DATE,
    "gender": _Kind.GENDER,
    "citizen_id": _Kind.CITIZEN_ID,
    "phone": _Kind.PHONE,
}


@functools.lru_cache(maxsize=64)
def _plan(
    mapping: tuple[tuple[int, Column], ...],
) -> tuple[dict[str, str], tuple[tuple[int, str, bool, _Kind], ...]]:
    """For a file's columns, once: each field's header, and for each column (where it is,
    its field, whether it must be filled, how it is read). The card number may be empty
    when the citizen ID is given, which the row's check says."""
    return (
        {column.field: column.header for _index, column in mapping},
        tuple(
            (
                index,
                column.field,
                column.required and column.field != "card_number",
                _KINDS.get(column.field, _Kind.TEXT),
            )
            for index, column in mapping
        ),
    )


def parse_row(
    row: int,
    cells: list[Any],
    mapping: dict[int, Column],
    *,
    resolve_unit: Callable[[str], Unit | None],
    default_unit: Unit | None,
    today: datetime.date,
) -> tuple[ParsedRow | None, list[RowError]]:
    """Parse and check one data row; never raises for bad content."""
    errors: list[RowError] = []
    headers, plan = _plan(tuple(mapping.items()))

    def fail(field_name: str, message: str) -> None:
        errors.append(RowError(row, headers.get(field_name, field_name), message))

    fields: dict[str, Any] = {}
    width = len(cells)
    for index, field_name, required, kind in plan:
        raw = cells[index] if index < width else None
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if required:
                fail(field_name, _("this cell must not be empty"))
            continue
        try:
            if kind is _Kind.DATE:
                fields[field_name] = parse_date(raw)
            elif kind is _Kind.GENDER:
                gender = GENDER_WORDS.get(_key(str(raw)))
                if gender is None:
                    raise ValueError(_("write Nam or Nữ"))
                fields["gender"] = gender
            elif kind is _Kind.CITIZEN_ID:
                fields["citizen_id"] = _text(raw, digits_width=12).replace(" ", "")
            elif kind is _Kind.PHONE:
                phone = _text(raw).replace(" ", "").replace(".", "")
                fields["phone"] = "0" + phone if phone.isdigit() and len(phone) == 9 else phone
            else:
                fields[field_name] = _text(raw)
        except ValueError as error:
            fail(field_name, str(error))
    if not fields.get("card_number") and not fields.get("citizen_id"):
        fail("card_number", _("give the party card number or the citizen ID number"))

    status = None
    if "status" in fields:
        status = STATUS_WORDS.get(_key(fields.pop("status")))
        if status is None:
            fail(
                "status",
                _(
                    "write Chính thức, Dự bị, Miễn sinh hoạt, Đình chỉ sinh hoạt, Tạm giam "
                    "or Làm nhiệm vụ đặc biệt"
                ),
            )
    # STATUS-1: an away status comes with its day and decision; those columns say nothing
    # for another status.
    status_from = fields.pop("status_from", None)
    decision = fields.pop("decision", "")
    decision_on = fields.pop("decision_on", None)
    away = None
    if status in AWAY_STATUSES:
        # Without a day, the row can only confirm a status already recorded (checked when
        # writing, against the member found).
        if status_from is not None:
            for key, message in rules.away_decision_problems(
                decision=decision, decision_on=decision_on, on=status_from
            ).items():
                fail(key, message)
            if status_from > today:
                fail("status_from", _("this day has not come yet"))
            away = (status_from, decision, decision_on)
    elif status_from is not None or decision or decision_on is not None:
        field_name = "status_from" if status_from is not None else "decision"
        fail(
            field_name,
            _("fill this only for Đình chỉ sinh hoạt, Tạm giam or Làm nhiệm vụ đặc biệt"),
        )
    unit = default_unit
    if fields.get("unit"):
        unit = resolve_unit(fields.pop("unit"))
        if unit is None:
            fail("unit", _("no party cell with this code or name within your reach"))
    else:
        fields.pop("unit", None)
        if unit is None:
            fail("unit", _("name the party cell (its code or exact name)"))

    # Text cells are already in NFC (_text); identifiers lose spaces, empty ones are None.
    for key in ("card_number", "citizen_id"):
        if key in fields:
            fields[key] = fields[key].replace(" ", "") or None
    if fields.get("full_name") and len(fields["full_name"].split(" ")) < 2:
        fail("full_name", _("write the full name: family, middle and given name"))
    member = _new_member(fields)
    member.status = status or (
        MemberStatus.OFFICIAL if fields.get("official_on") else MemberStatus.PROBATIONARY
    )
    if away is not None and member.admitted_on and away[0] < member.admitted_on:
        fail("status_from", _("this day comes before the admission"))
    for field_name, messages in member.fact_errors(today).items():
        for message in messages:
            fail(field_name, message)
    if errors or unit is None:
        return None, errors
    member.unit = unit
    member.set_name(fields.get("full_name") or "")
    return ParsedRow(row, fields, unit, status, member, away), []


# --- importing --------------------------------------------------------------------------


def import_members(
    source: Path | IO[bytes],
    *,
    unit: Unit,
    cells: Iterable[Unit],
    by: User | None,
    filename: str = "",
    update: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportResult:
    """Import a roster into `unit` (a cell, or a unit whose `cells` the rows name).

    `cells` are the cells the importing person may write to. Nothing is written if any
    row is wrong, or on a dry run.
    """
    result = ImportResult(dry_run=dry_run)
    total, rows = read_rows(source, filename)
    header_row, mapping = find_header(rows)
    fields_found = {column.field for column in mapping.values()}
    missing = [c.header for c in COLUMNS if c.required and c.field not in fields_found]
    if missing:
        raise ImportFileError(
            _("The header row (row %(row)s) lacks the columns: %(columns)s.")
            % {"row": header_row, "columns": ", ".join(f"“{name}”" for name in missing)}
        )
    allowed = {cell.pk: cell for cell in cells}
    by_code = {cell.code: cell for cell in allowed.values()}
    by_name = {cell.name: cell for cell in allowed.values()}
    default_unit = unit if unit.pk in allowed else None
    if default_unit is None and "unit" not in fields_found:
        raise ImportFileError(
            _("%(unit)s is not a party cell: the file needs the column “Chi bộ”.") % {"unit": unit}
        )

    def resolve_unit(text: str) -> Unit | None:
        return by_code.get(text) or by_code.get(text.upper()) or by_name.get(text)

    today = timezone.localdate()
    seen: dict[str, int] = {}
    # A dry run writes nothing, so it needs no transaction: its progress can be saved
    # and seen while it runs.
    try:
        with contextlib.nullcontext() if dry_run else transaction.atomic():
            batch: list[ParsedRow] = []
            for row_number, cells_ in rows:
                if all(value is None or str(value).strip() == "" for value in cells_):
                    continue
                result.rows += 1
                if result.rows > MAX_ROWS:
                    raise ImportFileError(
                        _("The file has more than %(n)s rows; split it.") % {"n": MAX_ROWS}
                    )
                parsed, errors = parse_row(
                    row_number,
                    cells_,
                    mapping,
                    resolve_unit=resolve_unit,
                    default_unit=default_unit,
                    today=today,
                )
                result.errors.extend(errors)
                if parsed is not None and _check_duplicates(parsed, seen, mapping, result):
                    batch.append(parsed)
                if len(batch) >= BATCH:
                    _write_batch(batch, result, allowed=allowed, update=update, by=by, today=today)
                    batch = []
                    if progress:
                        progress(row_number, total)
            _write_batch(batch, result, allowed=allowed, update=update, by=by, today=today)
            if progress:
                progress(total, total)
            if result.errors or dry_run:
                raise _Rollback
    except _Rollback:
        pass
    return result


def _check_duplicates(
    parsed: ParsedRow, seen: dict[str, int], mapping: dict[int, Column], result: ImportResult
) -> bool:
    headers = {column.field: column.header for column in mapping.values()}
    ok = True
    for field_name in ("card_number", "citizen_id"):
        value = parsed.fields.get(field_name)
        if not value:
            continue
        key = f"{field_name}:{value}"
        if key in seen:
            result.errors.append(
                RowError(
                    parsed.row,
                    headers[field_name],
                    _("the same number is already on row %(row)s") % {"row": seen[key]},
                )
            )
            ok = False
        else:
            seen[key] = parsed.row
    return ok


def _write_batch(
    batch: list[ParsedRow],
    result: ImportResult,
    *,
    allowed: dict[int, Unit],
    update: bool,
    by: User | None,
    today: datetime.date,
) -> None:
    if not batch:
        return
    cards = [p.fields["card_number"] for p in batch if p.fields.get("card_number")]
    ids = [p.fields["citizen_id"] for p in batch if p.fields.get("citizen_id")]
    existing = list(
        Member.objects.filter(Q(card_number__in=cards) | Q(citizen_id__in=ids)).select_related(
            "unit"
        )
    )
    by_card = {m.card_number: m for m in existing if m.card_number}
    by_id = {m.citizen_id: m for m in existing if m.citizen_id}
    to_create: list[Member] = []
    to_update: list[Member] = []
    made_official: list[Member] = []
    # Members whose row records a suspension, detention or special duty (STATUS-1).
    away: list[tuple[Member, tuple[datetime.date, str, datetime.date]]] = []
    # When the present situation of each matched member began: a status change the file
    # records cannot be dated before it.
    period_starts = dict(
        MembershipPeriod.objects.filter(member__in=existing, ended_on__isnull=True).values_list(
            "member_id", "started_on"
        )
    )
    for parsed in batch:
        card: str = parsed.fields.get("card_number") or ""
        cid: str = parsed.fields.get("citizen_id") or ""
        match = by_card.get(card) if card else by_id.get(cid)
        other = by_id.get(cid) if cid else None
        if other is not None and other is not match:
            message = (
                _("this number belongs to %(name)s (%(unit)s)")
                % {"name": other.full_name, "unit": other.unit.code}
                if may_name_member(by, other)
                else _outside_reach()
            )
            result.errors.append(RowError(parsed.row, "Số CCCD", message))
            continue
        undated = (
            parsed.status in AWAY_STATUSES
            and parsed.away is None
            and (match is None or match.status != parsed.status)
        )
        if undated:
            result.errors.append(
                RowError(parsed.row, "Từ ngày", _("give the day this status applies from"))
            )
            continue
        if match is None:
            to_create.append(parsed.member)
            if parsed.away is not None:
                away.append((parsed.member, parsed.away))
            continue
        problem = _update_problem(match, parsed, allowed=allowed, update=update, by=by)
        if problem:
            result.errors.append(RowError(parsed.row, "Số thẻ đảng viên", problem))
            continue
        if parsed.away is not None and parsed.status != match.status:
            began = period_starts.get(match.pk)
            if began is not None and parsed.away[0] < began:
                result.errors.append(
                    RowError(
                        parsed.row,
                        "Từ ngày",
                        _("this status cannot begin before %(date)s")
                        % {"date": began.strftime("%d/%m/%Y")},
                    )
                )
                continue
            _apply(match, parsed)
            assert parsed.status is not None
            match.status = MemberStatus(parsed.status)
            away.append((match, parsed.away))
            to_update.append(match)
            continue
        if _apply(match, parsed):
            if parsed.status == MemberStatus.OFFICIAL and match.status == MemberStatus.PROBATIONARY:
                on = match.official_on or today
                if problem := rules.recognition_problem(
                    admitted_on=match.admitted_on, official_on=on
                ):
                    result.errors.append(RowError(parsed.row, "Ngày chính thức", problem))
                    continue
                match.official_on = on
                began = period_starts.get(match.pk)
                if began is not None and on < began:
                    result.errors.append(
                        RowError(
                            parsed.row,
                            "Ngày chính thức",
                            _("the official date cannot come before %(date)s")
                            % {"date": began.strftime("%d/%m/%Y")},
                        )
                    )
                    continue
                match.status = MemberStatus.OFFICIAL
                made_official.append(match)
            to_update.append(match)
        else:
            result.unchanged += 1
    if result.errors or result.dry_run:
        # Nothing will be kept: count what would be done, write nothing.
        result.created += len(to_create)
        result.updated += len(to_update)
        return
    if to_create:
        # New records start their history with the membership period below, which says
        # who imported them and when; per-row history copies would double the cost of a
        # province-wide import.
        insert_objects(to_create)
        _read_back_keys(to_create)
        away_of = {id(m): a for m, a in away}
        # Rows rather than MembershipPeriod instances: building a model instance cost more
        # than writing its row (see docs/performance.md, the import).
        reason = _("Imported from a roster file")
        recorded_by = by.pk if by is not None else None
        recorded_at = connection.ops.adapt_datetimefield_value(timezone.now())
        periods: list[tuple[Any, ...]] = []
        for m in to_create:
            start = min(m.admitted_on or today, today)
            if id(m) not in away_of:
                periods.append(
                    (m.pk, m.unit_id, m.status, start, None, Change.IMPORTED, reason, "", None)
                )
                continue
            # Official or probationary until the away status began, then away (STATUS-1).
            since, decision, decision_on = away_of[id(m)]
            before = MemberStatus.OFFICIAL if m.official_on else MemberStatus.PROBATIONARY
            if since > start:
                periods.append(
                    (m.pk, m.unit_id, before, start, since, Change.IMPORTED, reason, "", None)
                )
            change = AWAY_CHANGES[MemberStatus(m.status)]
            periods.append(
                (m.pk, m.unit_id, m.status, max(since, start), None, change, reason, decision,
                 decision_on)
            )  # fmt: skip
        insert_rows(
            MembershipPeriod,
            PERIOD_COLUMNS,
            [(*period, recorded_by, recorded_at) for period in periods],
        )
        result.created += len(to_create)
    if to_update:
        bulk_update_with_history(
            to_update,
            Member,
            [
                *IDENTITY_FIELDS,
                "family_name",
                "middle_name",
                "given_name",
                "sort_key",
                "search_name",
                "status",
            ],
            batch_size=BATCH,
            default_user=by,
            default_change_reason=bulk_reason(),
        )
        for member in made_official:
            next_period(member, on=member.official_on or today, change=Change.MADE_OFFICIAL, by=by)
        created = {id(m) for m in to_create}
        for member, (since, decision, decision_on) in away:
            if id(member) not in created:
                next_period(
                    member,
                    on=since,
                    change=AWAY_CHANGES[MemberStatus(member.status)],
                    by=by,
                    decision=decision,
                    decision_on=decision_on,
                )
        result.updated += len(to_update)


def _read_back_keys(members: list[Member]) -> None:
    """Set the primary keys of freshly inserted members, found by their unique numbers."""
    cards = {m.card_number: m for m in members if m.card_number}
    ids = {m.citizen_id: m for m in members if not m.card_number and m.citizen_id}
    found = Member.objects.filter(
        Q(card_number__in=list(cards)) | Q(citizen_id__in=list(ids))
    ).values_list("pk", "card_number", "citizen_id")
    for pk, card, cid in found:
        member = cards.get(card or "") or ids.get(cid or "")
        if member is not None:
            member.pk = pk


def _outside_reach() -> str:
    # Neither name nor cell: numbers tried one after another must not tell who is a member
    # where (only that the number is taken, which the unique number makes unavoidable).
    return _("this number is registered outside your reach")


def _update_problem(
    member: Member,
    parsed: ParsedRow,
    *,
    allowed: dict[int, Unit],
    update: bool,
    by: AnyUser | None,
) -> str | None:
    if not may_name_member(by, member):
        return _outside_reach()
    if not update:
        return _(
            "this member is already registered (%(name)s, %(unit)s); "
            "import with “update” to change them"
        ) % {
            "name": member.full_name,
            "unit": member.unit.code,
        }
    if member.unit_id not in allowed or member.status not in ACTIVE_STATUSES:
        return _("this number belongs to a member outside your cells")
    if member.unit_id != parsed.unit.pk:
        return _("this member belongs to %(unit)s: transfer them on their page first") % {
            "unit": member.unit.code
        }
    going_away = parsed.status in AWAY_STATUSES and member.status in (
        MemberStatus.OFFICIAL,
        MemberStatus.PROBATIONARY,
    )
    if (
        parsed.status
        and parsed.status != member.status
        and not going_away
        and not (
            parsed.status == MemberStatus.OFFICIAL and member.status == MemberStatus.PROBATIONARY
        )
    ):
        return _("the status changes from %(old)s: record that on the member's page") % {
            "old": member.get_status_display()
        }
    return None


def _apply(member: Member, parsed: ParsedRow) -> bool:
    """Copy the row's fields onto `member`; whether anything changed."""
    changed = False
    for key, value in parsed.fields.items():
        if key == "full_name":
            if value != member.full_name:
                member.set_name(value)
                changed = True
        elif getattr(member, key) != value:
            setattr(member, key, value)
            changed = True
    return changed


# --- writing ----------------------------------------------------------------------------


def export_rows(members: Iterable[Member], *, user: AnyUser | None = None) -> Iterator[list[Any]]:
    """The roster columns of each member, as typed values; the fields `user` may not see
    (members.access's field rule; None: the machine's operator) are left empty."""
    for m in members:
        hidden = hidden_fields(user, m)
        yield [
            m.full_name,
            m.birth_date,
            GENDER_LABELS.get(Gender(m.gender), "") if m.gender else "",
            m.ethnicity,
            m.religion,
            m.card_number or "",
            "" if "citizen_id" in hidden else m.citizen_id or "",
            m.admitted_on,
            m.official_on,
            m.unit.code,
            STATUS_LABELS.get(MemberStatus(m.status), ""),
            m.occupation,
            "" if "phone" in hidden else m.phone,
            m.education,
            m.notes,
            # "Từ ngày", "Số quyết định", "Ngày quyết định": on the member's page; a row
            # re-imported with an unchanged status needs none of them.
            None,
            "",
            None,
        ]


def write_xlsx(
    target: Path | IO[bytes],
    members: Iterable[Member],
    *,
    user: AnyUser | None,
    title: str = "",
    example: bool = False,
) -> None:
    """Write a roster workbook (or the empty template) that `import_members` reads back,
    as `user` may see it (None: the machine's operator)."""
    workbook = xlsxwriter.Workbook(target, {"constant_memory": True, "in_memory": False})
    sheet = workbook.add_worksheet("Danh sách đảng viên")
    bold = workbook.add_format({"bold": True, "font_name": "Times New Roman", "font_size": 12})
    head = workbook.add_format(
        {
            "bold": True,
            "border": 1,
            "bg_color": "#F2DCDB",
            "text_wrap": True,
            "font_name": "Times New Roman",
        }
    )
    date = workbook.add_format({"num_format": "dd/mm/yyyy", "font_name": "Times New Roman"})
    text = workbook.add_format({"num_format": "@", "font_name": "Times New Roman"})
    widths = [28, 12, 9, 10, 12, 16, 15, 13, 13, 14, 14, 24, 13, 14, 24, 12, 16, 13]
    for index, width in enumerate(widths):
        sheet.set_column(index, index, width)
    sheet.write(0, 0, title or "DANH SÁCH ĐẢNG VIÊN", bold)
    header_row = 2
    sheet.write_row(header_row, 0, [c.header for c in COLUMNS], head)
    sheet.freeze_panes(header_row + 1, 1)
    rows: Iterable[list[Any]] = export_rows(members, user=user)
    if example:
        rows = [
            [
                "Nguyễn Văn An",
                datetime.date(1985, 3, 14),
                "Nam",
                "Kinh",
                "Không",
                "10000001",
                "001085000001",
                datetime.date(2010, 5, 19),
                datetime.date(2011, 5, 19),
                "X001.01",
                "Chính thức",
                "Trưởng thôn",
                "0912345678",
                "Đại học",
                "",
                None,
                "",
                None,
            ]
        ]
    for offset, values in enumerate(rows, start=header_row + 1):
        for index, value in enumerate(values):
            if isinstance(value, datetime.date):
                sheet.write_datetime(
                    offset, index, datetime.datetime.combine(value, datetime.time()), date
                )
            elif value is None:
                continue
            else:
                sheet.write_string(offset, index, str(value), text if index in (5, 6, 12) else None)
    workbook.close()
