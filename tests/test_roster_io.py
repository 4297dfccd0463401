"""Roster files: the import's rules, all-or-nothing behaviour, the export round trip."""

from __future__ import annotations

import csv
import datetime
import io
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chibo.members import roster_io
from chibo.members.models import Member, MembershipPeriod, MemberStatus, RosterImport
from chibo.members.roster_io import COLUMNS, ImportFileError, import_members, parse_row
from chibo.orgs.models import Unit
from tests.factories import HEADER
from tests.factories import import_roster as run
from tests.factories import roster_cells as cells
from tests.factories import roster_row as row
from tests.factories import roster_xlsx as xlsx

pytestmark = pytest.mark.django_db

D = datetime.date


def test_a_good_file_with_title_rows_and_shuffled_columns_imports(tmp_path: Path) -> None:
    header = list(reversed(HEADER))
    rows = [list(reversed(row(i))) for i in range(5)]
    rows.insert(2, [None] * len(HEADER))  # a blank row is skipped
    result = run(xlsx(tmp_path / "a.xlsx", rows, header=header, title_rows=4))
    assert result.ok, result.errors
    assert (result.rows, result.created) == (5, 5)
    member = Member.objects.get(card_number="90000001")
    assert member.unit.code == "X001.01"
    assert member.status == MemberStatus.OFFICIAL
    assert member.birth_date == D(1980, 1, 2)
    assert MembershipPeriod.objects.filter(member=member, ended_on__isnull=True).count() == 1
    assert member.periods.get().change == "imported"


def test_headers_match_whatever_the_case_or_diacritics(tmp_path: Path) -> None:
    header = [
        "HO VA TEN",
        "ngay sinh",
        "GIỚI TÍNH",
        "so the dang vien",
        "Số CCCD",
        "NGÀY VÀO ĐẢNG",
        "ngày chính thức",
        "trang thai",
        "Số điện thoại",
    ]
    result = run(xlsx(tmp_path / "b.xlsx", [row(1)], header=header))
    assert result.ok, result.errors
    assert result.created == 1


def test_dates_in_text_and_nfd_names(tmp_path: Path) -> None:
    rows = [
        row(
            1,
            **{"Ngày sinh": "02/03/1981", "Họ và tên": unicodedata.normalize("NFD", "Đỗ Thị Huệ")},
        ),
        row(2, **{"Ngày sinh": "2/3/1981", "Ngày vào Đảng": "2005-02-03"}),
        row(3, **{"Ngày sinh": 29650}),  # an Excel serial number: 05/03/1981
    ]
    result = run(xlsx(tmp_path / "c.xlsx", rows))
    assert result.ok, result.errors
    assert Member.objects.get(card_number="90000001").full_name == "Đỗ Thị Huệ"
    assert Member.objects.get(card_number="90000002").birth_date == D(1981, 3, 2)
    assert Member.objects.get(card_number="90000003").birth_date == D(1981, 3, 5)


def test_one_bad_row_writes_nothing_and_every_error_is_listed(tmp_path: Path) -> None:
    rows = [row(i) for i in range(1, 2500)]
    rows[3] = row(4, **{"Ngày sinh": "31/02/1980"})
    rows[2000] = row(2001, **{"Giới tính": "không rõ", "Số CCCD": "123"})
    before = Member.objects.count()
    result = run(xlsx(tmp_path / "d.xlsx", rows))
    assert not result.ok
    assert Member.objects.count() == before
    assert [str(e) for e in result.errors] == [
        'Dòng 7, cột "Ngày sinh": ngày này không tồn tại',
        'Dòng 2004, cột "Giới tính": ghi Nam hoặc Nữ',
        'Dòng 2004, cột "Số CCCD": Số CCCD gồm đúng 12 chữ số.',
    ]


def test_duplicates_inside_the_file_and_against_the_database(tmp_path: Path) -> None:
    existing = Member.objects.filter(unit__code="X001.01", card_number__isnull=False).first()
    assert existing is not None
    rows = [
        row(1),
        row(2, **{"Số thẻ đảng viên": "90000001", "Số CCCD": "068180099999"}),
        row(3, **{"Số thẻ đảng viên": existing.card_number}),
    ]
    result = run(xlsx(tmp_path / "e.xlsx", rows))
    messages = [str(e) for e in result.errors]
    assert messages[0] == 'Dòng 5, cột "Số thẻ đảng viên": số này đã có ở dòng 4'
    assert messages[1].startswith(
        'Dòng 6, cột "Số thẻ đảng viên": đảng viên này đã có trong hệ thống'
    )
    assert not Member.objects.filter(card_number="90000001").exists()


def test_update_matches_by_card_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "f.xlsx", [row(i) for i in range(1, 4)])
    assert run(path).created == 3
    changed = xlsx(tmp_path / "g.xlsx", [row(1, **{"Điện thoại": "0987654321"}), row(2), row(3)])
    result = run(changed, update=True)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    member = Member.objects.get(card_number="90000001")
    assert member.phone == "0987654321"
    # The import itself is recorded by the member's first period; the change by history.
    assert member.history.count() == 1
    again = run(changed, update=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert member.history.count() == 1


def test_rows_name_cells_by_code_or_exact_name_within_reach(tmp_path: Path) -> None:
    header = [*HEADER, "Chi bộ"]
    target = Unit.objects.get(code="X001.02")
    rows = [[*row(1), "X001.01"], [*row(2), target.name], [*row(3), "X002.01"], [*row(4), "X999"]]
    result = run(xlsx(tmp_path / "h.xlsx", rows, header=header), code="X001")
    assert [(e.row, e.column) for e in result.errors] == [(6, "Chi bộ"), (7, "Chi bộ")]
    result = run(xlsx(tmp_path / "i.xlsx", rows[:2], header=header), code="X001")
    assert result.ok
    assert Member.objects.get(card_number="90000002").unit == target


def test_a_file_for_a_commune_needs_the_cell_column(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="Chi bộ"):
        run(xlsx(tmp_path / "j.xlsx", [row(1)]), code="X001")


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "a.xlsx", "Tệp trống"),
        (b"\x00\x01\x02binary", "a.bin", "không phải bảng tính"),
        (b"PK\x03\x04broken zip", "a.xlsx", "Không đọc được bảng tính"),
        ("Tên,Tuổi\nAn,3\n".encode(), "a.csv", "Không tìm thấy dòng tiêu đề"),
        ("Họ và tên;Ngày sinh;Giới tính\nAn;1/1/1980;Nam\n".encode(), "a.csv", "thiếu các cột"),
    ],
)
def test_files_that_cannot_be_imported_get_one_clear_message(
    content: bytes, name: str, message: str
) -> None:
    with pytest.raises(ImportFileError, match=message):
        import_members(
            io.BytesIO(content),
            filename=name,
            unit=Unit.objects.get(code="X001.01"),
            cells=cells(),
            by=None,
        )


def test_too_large_files_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(roster_io, "MAX_BYTES", 100)
    with pytest.raises(ImportFileError, match="lớn hơn"):
        import_members(
            io.BytesIO(b"x" * 200),
            filename="a.csv",
            unit=Unit.objects.get(code="X001.01"),
            cells=cells(),
            by=None,
        )


def test_csv_with_semicolons_and_a_bom(tmp_path: Path) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(HEADER)
    for i in range(1, 3):
        writer.writerow([v.strftime("%d/%m/%Y") if isinstance(v, D) else v for v in row(i)])
    path = tmp_path / "k.csv"
    path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode())
    result = run(path)
    assert result.ok, result.errors
    assert result.created == 2


def test_excel_numbers_keep_their_leading_zeros(tmp_path: Path) -> None:
    result = run(
        xlsx(
            tmp_path / "l.xlsx",
            [
                row(
                    1,
                    **{
                        "Số CCCD": 68180000001,
                        "Điện thoại": 912345678,
                        "Số thẻ đảng viên": 90000001,
                    },
                )
            ],
        )
    )
    assert result.ok, result.errors
    member = Member.objects.get(card_number="90000001")
    assert (member.citizen_id, member.phone) == ("068180000001", "0912345678")


def test_dry_run_writes_nothing_but_counts(tmp_path: Path) -> None:
    result = run(xlsx(tmp_path / "m.xlsx", [row(1), row(2)]), dry_run=True)
    assert (result.ok, result.created) == (True, 2)
    assert not Member.objects.filter(card_number__in=["90000001", "90000002"]).exists()


def test_export_then_import_round_trips_to_identical_data(tmp_path: Path) -> None:
    fields = [
        "full_name",
        "birth_date",
        "gender",
        "ethnicity",
        "religion",
        "card_number",
        "citizen_id",
        "admitted_on",
        "official_on",
        "status",
        "occupation",
        "phone",
        "education",
        "notes",
        "unit_id",
    ]
    before = list(
        Member.objects.filter(unit__code__startswith="X001").order_by("pk").values(*fields)
    )
    path = tmp_path / "export.xlsx"
    call_command("export_members", "--unit", "X001", "-o", str(path), stdout=io.StringIO())
    out = io.StringIO()
    call_command("import_members", str(path), "--unit", "X001", "--update", stdout=out)
    assert f"0 mới, 0 cập nhật, {len(before)} không đổi" in out.getvalue()
    # Deleting the rows and importing the file again gives back the same records.
    Member.objects.filter(unit__code__startswith="X001", user__isnull=True).delete()
    kept = Member.objects.filter(unit__code__startswith="X001").count()
    call_command("import_members", str(path), "--unit", "X001", "--update", stdout=io.StringIO())
    after = list(
        Member.objects.filter(unit__code__startswith="X001")
        .order_by("card_number", "citizen_id")
        .values(*fields)
    )
    key = lambda m: (m["card_number"] or "", m["citizen_id"] or "")  # noqa: E731
    assert sorted(before, key=key) == sorted(after, key=key)
    assert kept < len(after)


def test_the_command_exits_1_and_prints_every_error(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "n.xlsx", [row(1, **{"Ngày vào Đảng": "hôm qua"}), row(2)])
    err = io.StringIO()
    with pytest.raises(CommandError, match="không ghi gì"):
        call_command("import_members", str(path), "--unit", "X001.01", stderr=err)
    assert 'Dòng 4, cột "Ngày vào Đảng": ghi ngày theo dạng dd/mm/yyyy' in err.getvalue()
    with pytest.raises(CommandError, match="X999"):
        call_command("import_members", str(path), "--unit", "X999")


def test_bithu1_cannot_import_into_another_cell(tmp_path: Path) -> None:
    path = xlsx(tmp_path / "o.xlsx", [row(1)])
    with pytest.raises(CommandError):
        call_command("import_members", str(path), "--unit", "X002.01", "--as", "bithu1")


def test_the_template_reads_back_as_one_valid_row(tmp_path: Path) -> None:
    path = tmp_path / "template.xlsx"
    roster_io.write_xlsx(path, [], user=None, example=True)
    result = run(path, dry_run=True)
    assert result.ok, result.errors
    assert result.rows == 1


# The row parser never raises, whatever the cells hold: bad content becomes row errors.
cell_values = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True),
    st.dates(),
    st.datetimes(),
    st.booleans(),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(cell_values, min_size=0, max_size=len(COLUMNS) + 2))
def test_the_row_parser_only_ever_reports_validation_errors(values: list[Any]) -> None:
    mapping = dict(enumerate(COLUMNS))
    unit = Unit(code="X", name="X")
    parsed, errors = parse_row(
        7, values, mapping, resolve_unit=lambda text: None, default_unit=unit, today=D(2026, 11, 26)
    )
    assert (parsed is None) == bool(errors)
    assert all(error.row == 7 for error in errors)


def test_web_import_checks_then_imports_on_confirmation(
    client_for, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    client = client_for("bithu1")
    path = xlsx(tmp_path / "w.xlsx", [row(1), row(2)])
    with django_capture_on_commit_callbacks(execute=True), path.open("rb") as upload:
        response = client.post("/units/X001.01/members/import/", {"file": upload})
    assert response.status_code == 302
    job = RosterImport.objects.get()
    assert job.state == "checked"
    assert job.summary["created"] == 2
    page = client.get(response["Location"]).content.decode()
    assert "Nhập các dòng này" in page
    assert not Member.objects.filter(card_number="90000001").exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/members/imports/{job.pk}/confirm/")
    job.refresh_from_db()
    assert job.state == "done"
    assert Member.objects.filter(card_number__in=["90000001", "90000002"]).count() == 2
    assert not job.file  # the uploaded file is not kept


def test_web_import_of_a_bad_file_lists_the_errors(
    client_for, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    client = client_for("bithu1")
    path = xlsx(tmp_path / "x.xlsx", [row(1, **{"Giới tính": "?"})])
    with django_capture_on_commit_callbacks(execute=True), path.open("rb") as upload:
        response = client.post("/units/X001.01/members/import/", {"file": upload})
    page = client.get(response["Location"]).content.decode()
    assert "Dòng 4, cột &quot;Giới tính&quot;: ghi Nam hoặc Nữ" in page
    assert "không ghi gì" in page.lower() or "không có gì được ghi" in page.lower()


def test_an_update_records_official_status_as_a_new_period(tmp_path: Path) -> None:
    probationary = row(
        1, **{"Ngày chính thức": None, "Trạng thái": "Dự bị", "Ngày vào Đảng": D(2025, 12, 1)}
    )
    assert run(xlsx(tmp_path / "p.xlsx", [probationary])).created == 1
    member = Member.objects.get(card_number="90000001")
    assert member.status == MemberStatus.PROBATIONARY
    too_early = row(
        1,
        **{
            "Ngày chính thức": D(2025, 12, 1),
            "Trạng thái": "Chính thức",
            "Ngày vào Đảng": D(2025, 12, 1),
        },
    )
    result = run(xlsx(tmp_path / "q.xlsx", [too_early]), update=True)
    # PROB-1: not before the 12 months of probation.
    assert [(e.row, e.column) for e in result.errors] == [(4, "Ngày chính thức")]
    assert "01/12/2026" in str(result.errors[0])
    due = row(
        1,
        **{
            "Ngày chính thức": D(2026, 12, 1),
            "Trạng thái": "Chính thức",
            "Ngày vào Đảng": D(2025, 12, 1),
        },
    )
    result = run(xlsx(tmp_path / "q2.xlsx", [due]), update=True)
    assert result.ok
    member.refresh_from_db()
    assert member.status == MemberStatus.OFFICIAL
    assert list(member.periods.order_by("pk").values_list("status", "change")) == [
        ("probationary", "imported"),
        ("official", "made_official"),
    ]


def test_an_official_date_before_the_present_situation_is_a_row_error(tmp_path: Path) -> None:
    from chibo.members import services

    probationary = row(
        1, **{"Ngày chính thức": None, "Trạng thái": "Dự bị", "Ngày vào Đảng": D(2025, 11, 1)}
    )
    run(xlsx(tmp_path / "p.xlsx", [probationary]))
    member = Member.objects.get(card_number="90000001")
    services.attach_member(
        member=member,
        host=Unit.objects.select_related("kind").get(code="X001.02"),
        on=D(2026, 11, 20),
        reason="",
        by=None,
    )
    early = row(
        1,
        **{
            # After the 12 months of probation, but before the attachment began.
            "Ngày chính thức": D(2026, 11, 10),
            "Trạng thái": "Chính thức",
            "Ngày vào Đảng": D(2025, 11, 1),
        },
    )
    result = run(xlsx(tmp_path / "q.xlsx", [early]), update=True)
    assert [(e.row, e.column) for e in result.errors] == [(4, "Ngày chính thức")]
    member.refresh_from_db()
    assert member.status == MemberStatus.PROBATIONARY


def test_the_web_refuses_a_file_too_large_before_storing_it(
    client_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chibo.members import forms

    monkeypatch.setattr(forms, "MAX_BYTES", 10)
    upload = SimpleUploadedFile("big.csv", b"x" * 50, content_type="text/csv")
    response = client_for("bithu1").post("/units/X001.01/members/import/", {"file": upload})
    assert response.status_code == 200
    assert "MB" in response.content.decode()
    assert not RosterImport.objects.exists()


@pytest.mark.parametrize(
    ("encoding", "mark"),
    [("utf-16", b""), ("utf-16-le", b""), ("utf-16-be", b""), ("utf-16-le", b"\xff\xfe")],
)
def test_a_utf16_csv_is_read_as_utf16(tmp_path: Path, encoding: str, mark: bytes) -> None:
    """Excel's "Unicode text" is UTF-16: it used to be refused as "not a spreadsheet" or
    read as garbage (issue 21)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter="\t")
    writer.writerow(HEADER)
    for i in range(1, 3):
        writer.writerow([v.strftime("%d/%m/%Y") if isinstance(v, D) else v for v in row(i)])
    for name in ("k.csv", "k.txt", "k.bin"):
        path = tmp_path / name
        path.write_bytes(mark + out.getvalue().encode(encoding))
        result = run(path)
        assert result.ok, result.errors
        assert result.created == 2
        Member.objects.filter(card_number__startswith="9").delete()


def test_a_csv_in_no_known_encoding_says_it_must_be_utf8() -> None:
    # Zero bytes scattered in what is neither UTF-8 nor UTF-16.
    data = b"H\xe1\x00\x9d;x\n" * 3 + b"\x00\x00\x00\x00" * 2
    with pytest.raises(ImportFileError, match="UTF-8"):
        roster_io._csv_text(data)


AWAY_HEADER = [*HEADER, "Từ ngày", "Số quyết định", "Ngày quyết định"]


def away_row(n: int, status: str, since: Any, decision: Any, decided: Any) -> list[Any]:
    return [*row(n, **{"Trạng thái": status}), since, decision, decided]


def test_the_import_sets_suspension_detention_and_special_duty_with_their_decision(
    tmp_path: Path,
) -> None:
    """STATUS-1 through the roster import: the status, the day it applies from and the
    decision's number and date; the membership periods keep the status before it."""
    rows = [
        away_row(1, "Đình chỉ sinh hoạt", D(2026, 3, 1), "5-QĐ/UBKT", D(2026, 2, 25)),
        away_row(2, "Tạm giam", D(2026, 4, 2), "7-QĐ/ĐU", D(2026, 4, 2)),
        away_row(3, "Làm nhiệm vụ đặc biệt", "01/05/2026", "9-QĐ/BCH", "28/04/2026"),
        away_row(4, "Chính thức", None, None, None),
    ]
    result = run(xlsx(tmp_path / "away.xlsx", rows, header=AWAY_HEADER))
    assert result.ok, [str(e) for e in result.errors]
    suspended = Member.objects.get(card_number="90000001")
    assert suspended.status == MemberStatus.SUSPENDED
    periods = list(suspended.periods.order_by("started_on"))
    assert [(p.status, p.started_on, p.ended_on) for p in periods] == [
        (MemberStatus.OFFICIAL, D(2005, 2, 3), D(2026, 3, 1)),
        (MemberStatus.SUSPENDED, D(2026, 3, 1), None),
    ]
    assert (periods[1].decision, periods[1].decision_on) == ("5-QĐ/UBKT", D(2026, 2, 25))
    assert Member.objects.get(card_number="90000002").status == MemberStatus.DETAINED
    assert Member.objects.get(card_number="90000003").status == MemberStatus.SPECIAL_DUTY
    # Updating an existing official member to suspended records the change from that day.
    again = [away_row(4, "Đình chỉ sinh hoạt", D(2026, 6, 1), "11-QĐ/UBKT", D(2026, 6, 1))]
    result = run(xlsx(tmp_path / "again.xlsx", again, header=AWAY_HEADER), update=True)
    assert result.ok, [str(e) for e in result.errors]
    fourth = Member.objects.get(card_number="90000004")
    assert fourth.status == MemberStatus.SUSPENDED
    last = fourth.periods.order_by("-started_on").first()
    assert last is not None
    assert (last.status, last.started_on, last.decision) == (
        MemberStatus.SUSPENDED, D(2026, 6, 1), "11-QĐ/UBKT",
    )  # fmt: skip
    # The exported roster reads back: a status already recorded needs no day again.
    exported = tmp_path / "export.xlsx"
    roster_io.write_xlsx(
        exported,
        Member.objects.filter(card_number__in=["90000001", "90000004"]).select_related("unit"),
        user=None,
    )
    result = run(exported, update=True)
    assert result.ok, [str(e) for e in result.errors]
    assert result.unchanged == 2


def test_bad_away_statuses_are_named_by_row_and_column_and_nothing_is_kept(
    tmp_path: Path,
) -> None:
    before = Member.objects.count()
    rows = [
        away_row(1, "Đình chỉ sinh hoạt", D(2026, 3, 1), "5-QĐ/UBKT", D(2026, 2, 25)),
        away_row(2, "Tạm giam", None, "7-QĐ/ĐU", D(2026, 4, 2)),
        away_row(3, "Đình chỉ sinh hoạt", D(2026, 3, 1), None, None),
        away_row(4, "Tạm giam", D(2026, 3, 1), "8-QĐ", D(2026, 3, 9)),
        away_row(5, "Nghỉ phép", None, None, None),
        away_row(6, "Chính thức", D(2026, 3, 1), None, None),
    ]
    result = run(xlsx(tmp_path / "bad.xlsx", rows, header=AWAY_HEADER))
    assert not result.ok
    found = {(e.row, e.column) for e in result.errors}
    # The header is on Excel row 3: data rows start at 4.
    assert (5, "Từ ngày") in found
    assert {(6, "Số quyết định"), (6, "Ngày quyết định")} <= found
    assert (7, "Ngày quyết định") in found
    assert (8, "Trạng thái") in found
    assert (9, "Từ ngày") in found
    assert all(e.row != 4 for e in result.errors)
    assert Member.objects.count() == before
