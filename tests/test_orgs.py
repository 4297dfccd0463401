"""The organisation tree: structure, counts, moves, closures, merges and their history."""

from __future__ import annotations

import datetime
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from chibo.members.models import Member
from chibo.orgs import services
from chibo.orgs.access import get_unit_for_user, top_units
from chibo.orgs.models import Unit, UnitKind

pytestmark = pytest.mark.django_db


def kind(code: str) -> UnitKind:
    return UnitKind.objects.get(code=code)


def test_unit_kinds_are_data_with_the_historic_district_level() -> None:
    codes = set(UnitKind.objects.values_list("code", flat=True))
    assert {"tinh_uy", "dang_uy_xa", "huyen_uy", "chi_bo_truc_thuoc", "to_dang"} <= codes
    assert UnitKind.objects.get(code="huyen_uy").historic
    assert set(UnitKind.objects.filter(holds_meetings=True).values_list("code", flat=True)) == {
        "chi_bo_co_so",
        "chi_bo_truc_thuoc",
    }


def test_subtree_is_one_query() -> None:
    commune = Unit.objects.get(code="X001")
    with CaptureQueriesContext(connection) as queries:
        codes = list(Unit.objects.get_descendants(commune).values_list("code", flat=True))
    assert len(queries) == 1
    assert codes
    assert all(code.startswith("X001.") for code in codes)


def test_subtree_counts_match_the_rows_in_one_query() -> None:
    root = Unit.objects.get(code="LV")
    children = list(Unit.objects.get_children(root))
    with CaptureQueriesContext(connection) as queries:
        counts = Unit.objects.subtree_counts([root, *children])
    assert len(queries) == 1
    assert counts[root.pk].units == Unit.objects.count() - 1
    assert counts[root.pk].cells == Unit.objects.cells().count()
    assert counts[root.pk].members == Member.objects.count()
    commune = Unit.objects.get(code="X001")
    assert (
        counts[commune.pk].members
        == Member.objects.filter(unit__path__startswith=commune.path).count()
    )


def test_subtree_filters_write_the_path_into_the_statement() -> None:
    """On PostgreSQL a subtree's path is part of the statement, not a parameter, so that a
    prepared statement is never planned for one subtree and reused for another; the answers
    are those of the plain filter, also for a value that is not a path."""
    root = Unit.objects.get(code="LV")
    commune = Unit.objects.get(code="X001")
    on_postgresql = connection.vendor == "postgresql"
    for unit in (root, commune):
        expected = {u.pk for u in Unit.objects.all() if u.path.startswith(unit.path)}
        with CaptureQueriesContext(connection) as queries:
            # Often enough for the connection to prepare it (five runs by default).
            for _ in range(7):
                found = set(
                    Member.objects.filter(unit__path__startswith=unit.path).values_list(
                        "unit_id", flat=True
                    )
                ) | set(
                    Unit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True)
                )
                assert found == expected
        assert len(queries) == 14
        sql, params = Member.objects.filter(
            unit__path__startswith=unit.path
        ).query.sql_with_params()
        assert (f"LIKE '{unit.path}%%'" in sql) == on_postgresql
        assert (f"{unit.path}%" in params) != on_postgresql
    if on_postgresql and settings.DATABASES["default"]["OPTIONS"].get("prepare_threshold"):
        # The connection did prepare them, one statement per subtree.
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            prepared = [statement for (statement,) in cursor.fetchall()]
        for unit in (root, commune):
            assert any(f"LIKE '{unit.path}%'" in statement for statement in prepared)
    # Not a path of the tree: passed as a parameter and matched literally.
    for value in ("", "0001%", "00'01", "x"):
        matched = set(Unit.objects.filter(path__startswith=value).values_list("pk", flat=True))
        assert matched == {u.pk for u in Unit.objects.all() if u.path.startswith(value)}
    # An expression on the right keeps working.
    assert Unit.objects.filter(path__startswith=F("path")).count() == Unit.objects.count()


def test_tree_can_hold_the_historic_district_shape() -> None:
    root = Unit.objects.get(code="LV")
    district = services.create_unit(
        parent=root, code="H01", name="Huyện ủy Đơn Dương", kind=kind("huyen_uy")
    )
    commune = services.create_unit(
        parent=district, code="H01.X1", name="Đảng ủy xã Ka Đơn", kind=kind("dang_uy_xa")
    )
    cell = services.create_unit(
        parent=commune, code="H01.X1.01", name="Chi bộ thôn Ka Đơn", kind=kind("chi_bo_truc_thuoc")
    )
    assert cell.depth == 4
    assert [u.code for u in Unit.objects.get_ancestors(cell)] == ["LV", "H01", "H01.X1"]


def test_codes_are_unique() -> None:
    root = Unit.objects.get(code="LV")
    with pytest.raises(ValidationError):
        services.create_unit(parent=root, code="X001", name="Trùng mã", kind=kind("dang_uy_xa"))


def test_moving_a_unit_takes_its_subtree_and_members_and_records_history() -> None:
    cell = Unit.objects.get(code="X001.01")
    members_before = set(cell.members.values_list("pk", flat=True))
    target = Unit.objects.get(code="X002")
    services.move_unit(unit=cell, new_parent=target)
    cell.refresh_from_db()
    assert cell.path.startswith(target.path)
    assert set(cell.members.values_list("pk", flat=True)) == members_before
    record = cell.history.latest()
    assert record.history_change_reason == "moved under X002"
    assert (
        Unit.objects.get(code="X001").numchild
        == Unit.objects.get_children(Unit.objects.get(code="X001")).count()
    )


def test_a_unit_cannot_move_under_itself() -> None:
    commune = Unit.objects.get(code="X001")
    with pytest.raises(ValidationError):
        services.move_unit(unit=commune, new_parent=Unit.objects.get(code="X001.01"))


def test_closing_keeps_the_unit_and_its_members() -> None:
    cell = Unit.objects.get(code="X001.02")
    members = cell.members.count()
    services.close_unit(unit=cell, on=datetime.date(2026, 3, 1), reason="Sáp nhập thôn")
    cell.refresh_from_db()
    assert cell.closed_on == datetime.date(2026, 3, 1)
    assert not cell.is_active(datetime.date(2026, 3, 1))
    assert cell.is_active(datetime.date(2026, 2, 28))
    assert cell.members.count() == members
    assert not Unit.objects.active(datetime.date(2026, 4, 1)).filter(pk=cell.pk).exists()
    with pytest.raises(ValidationError):
        services.close_unit(unit=cell, on=datetime.date(2026, 4, 1), reason="again")


def test_a_unit_with_open_sub_units_cannot_close() -> None:
    with pytest.raises(ValidationError):
        services.close_unit(
            unit=Unit.objects.get(code="X001"), on=datetime.date(2026, 3, 1), reason="x"
        )


def test_merging_moves_sub_units_and_closes_the_unit() -> None:
    source = Unit.objects.get(code="X002")
    into = Unit.objects.get(code="X001")
    moved = [u.code for u in Unit.objects.get_children(source)]
    services.merge_unit(unit=source, into=into, on=datetime.date(2026, 1, 1))
    source.refresh_from_db()
    assert source.merged_into == into
    assert source.closed_on == datetime.date(2026, 1, 1)
    for code in moved:
        assert Unit.objects.get(code=code).path.startswith(into.path)


def test_top_units_start_where_the_grants_start(cast) -> None:
    assert [u.code for u in top_units(cast["bantochuc"])] == ["LV"]
    assert [u.code for u in top_units(cast["uyvien1"])] == ["X001"]
    assert [u.code for u in top_units(cast["bithu1"])] == ["X001.01"]
    assert top_units(cast["outsider"]) == []
    assert [u.code for u in top_units(cast["admin"])] == ["LV"]


def test_expired_grants_give_nothing(cast) -> None:
    from django.http import Http404

    user = cast["bithu1"]
    user.role_grants.update(
        valid_until=datetime.date(2020, 1, 1), valid_from=datetime.date(2019, 1, 1)
    )
    with pytest.raises(Http404):
        get_unit_for_user(user, "X001.01")


def test_units_command_prints_the_tree() -> None:
    out = io.StringIO()
    call_command("units", "--tree", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("LV  Đảng bộ tỉnh")
    assert any(line.startswith("  X001  ") for line in lines)
    assert any(line.startswith("    X001.01  ") for line in lines)
    out = io.StringIO()
    call_command("units", "--root", "X002", stdout=out)
    assert all(line.startswith("X002") for line in out.getvalue().splitlines())
    with pytest.raises(CommandError):
        call_command("units", "--root", "NOPE", stdout=io.StringIO())


def test_units_into_a_reader_that_stops_early_end_quietly(tmp_path: Path) -> None:
    """`chibo units --tree | head -n 1`: one line, status 0 and nothing on standard error,
    as with Unix tools (the entry point's doing, so every command behaves alike)."""
    env = {
        **{k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}},
        "CHIBO_VAR_DIR": str(tmp_path),
    }
    chibo = [sys.executable, "-m", "chibo"]
    for args in (["migrate", "-v", "0"], ["seed", "--size", "small"]):
        done = subprocess.run([*chibo, *args], env=env, capture_output=True, check=False)  # noqa: S603
        assert done.returncode == 0, done.stderr[-2000:]
    units = subprocess.Popen(  # noqa: S603
        [*chibo, "units", "--tree"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    head = subprocess.Popen(["head", "-n", "1"], stdin=units.stdout, stdout=subprocess.PIPE)  # noqa: S607
    assert units.stdout is not None
    assert units.stderr is not None
    units.stdout.close()
    shown, _ = head.communicate(timeout=60)
    assert units.wait(timeout=60) == 0
    assert units.stderr.read() == b""
    assert shown.decode().splitlines() == ["LV  Đảng bộ tỉnh Lâm Viên  [Tỉnh ủy]"]
    # The small tree fits in the pipe, so head may have read it all before it stopped: a
    # reader gone before the first write is sure to break the pipe.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        gone = subprocess.run(  # noqa: S603
            [*chibo, "units", "--tree"], env=env, stdout=write_end,
            stderr=subprocess.PIPE, check=False, timeout=60,
        )  # fmt: skip
    finally:
        os.close(write_end)
    assert (gone.returncode, gone.stderr) == (0, b"")


def test_a_grant_on_a_unit_alone_does_not_show_what_lies_below(client_for, cast) -> None:
    from chibo.orgs.models import RoleGrant
    from chibo.orgs.permissions import Role, Scope

    RoleGrant.objects.create(
        user=cast["outsider"],
        unit=Unit.objects.get(code="X001"),
        role=Role.PROPAGANDA,
        scope=Scope.UNIT,
    )
    html = client_for("outsider").get("/units/X001/").content.decode()
    assert Unit.objects.get(code="X001.01").name not in html
    fragment = client_for("outsider").get("/units/?parent=X001", headers={"HX-Request": "true"})
    assert Unit.objects.get(code="X001.01").name not in fragment.content.decode()
    assert (
        Unit.objects.get(code="X001.01").name
        in client_for("uyvien1").get("/units/X001/").content.decode()
    )


def test_members_who_left_are_not_counted() -> None:
    from chibo.members import services
    from chibo.members.models import LeaveReason

    cell = Unit.objects.select_related("kind").get(code="X001.01")
    before = Unit.objects.subtree_counts([cell])[cell.pk].members
    member = cell.members.filter(user__isnull=True).first()
    assert member is not None
    services.record_leaving(
        member=member, on=datetime.date(2026, 1, 10), reason=LeaveReason.DECEASED, note="", by=None
    )
    assert Unit.objects.subtree_counts([cell])[cell.pk].members == before - 1
