"""The national size (issue 24): PostgreSQL only, a national unit above provinces built like
the province size, and the national dashboard read from the provinces' monthly rollup."""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests import factories


def _on_postgresql() -> bool:
    return connection.vendor == "postgresql"


@pytest.mark.skipif(_on_postgresql(), reason="the refusal is SQLite's")
@pytest.mark.django_db
def test_the_national_size_is_refused_on_sqlite_with_a_clear_message() -> None:
    with pytest.raises(CommandError, match="PostgreSQL only"):
        call_command("seed", size="national")


@pytest.mark.slow
@pytest.mark.skipif(not _on_postgresql(), reason="PostgreSQL only (as in CI)")
@pytest.mark.django_db
def test_a_scaled_down_national_seed_keeps_the_province_proportions() -> None:
    from django.contrib.auth import get_user_model

    from chibo.demo.national import (
        NATIONAL,
        check_keys,
        plain_copy,
        seed_national,
    )
    from chibo.meetings.models import Attendance, CellMonth, Meeting
    from chibo.members.models import Member
    from chibo.orgs.models import Unit
    from chibo.reports import national
    from chibo.reports.models import ProvinceMonth
    from chibo.reports.periods import parse

    indexes_before = _indexes_of_the_loaded_tables()
    # Beside the test province (its codes and accounts), under codes of its own; the units
    # and members made by one process, the meetings by another.
    counts = seed_national(random_seed=7, months=2, provinces=2, scale=0.03, namespace="N")
    root = Unit.objects.get(code="NVN")
    assert root.depth == 1
    assert root.numchild == 2
    assert root.kind.code == national.NATIONAL_KIND
    provinces = list(Unit.objects.filter(path__startswith=root.path, depth=2).order_by("path"))
    assert [p.code for p in provinces] == ["NLV", "NV02"]
    assert all(p.kind.code == "tinh_uy" for p in provinces)
    for province in provinces:
        cells = Unit.objects.cells().filter(path__startswith=province.path)
        communes = Unit.objects.filter(path__startswith=province.path, depth=3)
        # The province size's proportions: its cells per commune-level unit and members per
        # cell (a tenth more members per cell, for the country's 5.6 million).
        per_commune = cells.count() / communes.count()
        assert 10 <= per_commune <= 40
        low, high = NATIONAL.members_per_cell
        for cell in cells:
            assert low <= Member.objects.filter(unit=cell).count() <= high
    below = {"unit__path__startswith": root.path}
    assert counts["members"] == Member.objects.filter(**below).count()
    assert counts["meetings"] == Meeting.objects.filter(**below).count() == Meeting.objects.count()
    assert counts["attendance_rows"] == Attendance.objects.count()
    # Every held meeting has its cell-month; keys are whole although the load ran without
    # the foreign keys' triggers; the indexes and primary keys dropped for the load are back.
    assert CellMonth.objects.count() == Meeting.objects.filter(state="approved").count()
    assert set(check_keys().values()) == {0}
    assert _indexes_of_the_loaded_tables() == indexes_before
    assert "meetings_attendance_pkey" in indexes_before
    assert [u.path for u in provinces] == [root.path + "0001", root.path + "0002"]
    # Both processes planned the same members: every attendance row is of a member of the
    # meeting's cell (or one attached to it), each table's keys in the provinces' order.
    assert (
        not Attendance.objects.filter(meeting__unit__path__startswith=root.path)
        .exclude(member__unit=F("meeting__unit"))
        .exclude(attached_from_elsewhere=True)
        .exists()
    )
    for model in (Member, Meeting):
        first_province = model.objects.filter(unit__path__startswith=provinces[0].path)
        second_province = model.objects.filter(unit__path__startswith=provinces[1].path)
        assert max(first_province.values_list("pk", flat=True)) < min(
            second_province.values_list("pk", flat=True)
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'meetings_attendance'"
            " AND indexname = 'attendance_once'"
        )
        assert cursor.fetchone()[0] == 1
    assert ProvinceMonth.objects.filter(unit__in=provinces).count() == 2 * 2
    # The floor: the seed's tables read back (with the test province's rows) and copied.
    seconds, rows = plain_copy()
    assert seconds > 0
    assert rows >= sum(counts["rows"].values())

    # The national dashboard: from the rollup, the same figures as the cell-months say,
    # a number of queries that does not grow with the months shown.
    client = Client()
    client.force_login(get_user_model().objects.get(username="admin"))
    months = sorted(set(CellMonth.objects.values_list("month", flat=True)))
    board = national.build(root, parse(f"{months[0]}..{months[-1] + datetime.timedelta(27)}"))
    assert board.total.sums["present"] == sum(CellMonth.objects.values_list("present", flat=True))
    assert board.cells == Unit.objects.cells().filter(path__startswith=root.path).count()
    queries = []
    for last in months:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/units/NVN/dashboard/?period={months[0]}..{last}")
        assert response.status_code == 200
        assert "Lâm Viên" in response.content.decode()
        assert response.templates[0].name == "reports/national.html"
        queries.append(len(captured))
    assert queries[0] == queries[-1]


def _indexes_of_the_loaded_tables() -> dict[str, str]:
    from chibo.demo.national import REBUILT, TABLES

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)",
            [[TABLES[name][0]._meta.db_table for name in REBUILT]],
        )
        return dict(cursor.fetchall())


def _nothing_left_running() -> None:
    import multiprocessing
    import threading

    assert multiprocessing.active_children() == []
    assert not [t for t in threading.enumerate() if t.name.startswith("national-seed")]


def _nothing_loaded(members: int) -> None:
    from chibo.meetings.models import Meeting
    from chibo.members.models import Member

    # What was sent before the failure is rolled back with the rest; the indexes dropped
    # for the load are back.
    assert Member.objects.count() == members
    assert not Meeting.objects.filter(unit__code__startswith="F").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'attendance_once'")
        assert cursor.fetchone()[0] == 1


def _after_first_batch(monkeypatch: pytest.MonkeyPatch, then: Callable[[], object]) -> None:
    """The generator calls `then` after handing over its first batch of rows."""
    from chibo.demo import national

    made = national._generate

    def generate(**kwargs: object) -> int:
        hand_over = kwargs["hand_over"]
        assert callable(hand_over)

        def first_batch_only(batch: object) -> None:
            hand_over(batch)
            if not isinstance(batch, str):
                then()

        kwargs["hand_over"] = first_batch_only
        return made(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(national, "_generate", generate)


def _seed(provinces: int = 2) -> None:
    from chibo.demo import national

    national.seed_national(random_seed=7, months=1, provinces=provinces, scale=0.01, namespace="F")


@pytest.mark.skipif(not _on_postgresql(), reason="PostgreSQL only (as in CI)")
@pytest.mark.django_db
def test_a_failure_of_the_generator_process_is_reported_and_loads_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chibo.members.models import Member

    members = Member.objects.count()

    def fail() -> None:
        raise ValueError("generator broke")

    _after_first_batch(monkeypatch, fail)
    with pytest.raises(RuntimeError, match=r"generator failed[\s\S]*generator broke"):
        _seed()
    _nothing_loaded(members)
    _nothing_left_running()


@pytest.mark.skipif(not _on_postgresql(), reason="PostgreSQL only (as in CI)")
@pytest.mark.django_db
def test_a_generator_process_that_dies_is_reported_and_loads_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os
    import signal

    from chibo.members.models import Member

    members = Member.objects.count()
    _after_first_batch(monkeypatch, lambda: os.kill(os.getpid(), signal.SIGKILL))
    with pytest.raises(RuntimeError, match="generator stopped \\(killed by signal 9"):
        _seed()
    _nothing_loaded(members)
    _nothing_left_running()


@pytest.mark.skipif(not _on_postgresql(), reason="PostgreSQL only (as in CI)")
@pytest.mark.django_db
def test_a_failed_copy_stops_the_generator_process_and_its_receiver(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """More batches than the receiving queue holds: the receiver, blocked on the full queue
    when the COPY failed, must still end."""
    from chibo.demo import national
    from chibo.members.models import Member

    members = Member.objects.count()
    sent = national.Streams.send
    calls = []

    def send(self: national.Streams, packed: national.Packed) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise ValueError("COPY failed")
        sent(self, packed)

    monkeypatch.setattr(national.Streams, "send", send)
    with pytest.raises(ValueError, match="COPY failed"):
        _seed(provinces=8)
    _nothing_loaded(members)
    _nothing_left_running()


@pytest.mark.skipif(not _on_postgresql(), reason="PostgreSQL only (as in CI)")
@pytest.mark.django_db
def test_the_generator_process_may_not_use_the_database(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from chibo.members.models import Member

    members = Member.objects.count()
    _after_first_batch(monkeypatch, lambda: list(Member.objects.all()[:1]))
    with pytest.raises(RuntimeError, match="generator must not use the database"):
        _seed()
    _nothing_loaded(members)
    _nothing_left_running()


@pytest.mark.slow
@pytest.mark.django_db
def test_the_province_size_loaded_by_copy_keeps_the_rules_and_the_rollups() -> None:
    """The province size is made as one province of the national size is (on SQLite, its
    COPY text inserted by `chibo.demo.copy_text`), then
    given what the history leaves beside its meetings: what it loads breaks no rule of the
    rule book, and the rollups it writes as it goes are those the product computes."""
    import io

    from chibo.demo.seed import seed_province_by_copy
    from chibo.meetings import stats
    from chibo.meetings.models import CellMonth, Meeting, MeetingStats
    from chibo.orgs.models import Unit
    from chibo.scoring.models import AnnualRating
    from chibo.supervision.models import Visit

    # Two years of history ending with the planned month: 2025 is a year seen whole.
    counts = seed_province_by_copy(random_seed=7, months=24, scale=0.03, namespace="N")
    root = Unit.objects.get(code="NLV")
    assert root.depth == 1
    assert root.kind.code == "tinh_uy"
    below = {"unit__path__startswith": root.path}
    meetings = Meeting.objects.filter(**below)
    assert counts["meetings"] == meetings.count() > 0
    assert set(meetings.values_list("state", flat=True)) == {"approved", "planned"}

    # The rollups written during the load, against the product's own computation.
    def rollups() -> tuple[set[tuple[object, ...]], set[tuple[object, ...]]]:
        mine = {"meeting__unit__path__startswith": root.path}
        fields = [f.name for f in MeetingStats._meta.concrete_fields]
        month_fields = [f.attname for f in CellMonth._meta.concrete_fields if f.name != "id"]
        return (
            set(MeetingStats.objects.filter(**mine).values_list(*fields)),
            set(CellMonth.objects.filter(**below).values_list(*month_fields)),
        )

    loaded = rollups()
    assert loaded[0]
    assert loaded[1]
    stats.rebuild()
    assert rollups() == loaded

    # What the history leaves beside the meetings: visits by the committee members whose
    # plan covers the cell, the classifications of the year seen whole, the seals of the
    # cell whose pages the benchmark measures.
    assert (
        counts["visits"]
        == Visit.objects.filter(meeting__unit__path__startswith=root.path).count()
        > 0
    )
    years = set(AnnualRating.objects.filter(**below).values_list("year", flat=True))
    assert years == {2025}
    assert counts["ratings"] == AnnualRating.objects.filter(**below).count()
    measured = meetings.filter(unit__code="NLV-X001.01", state="approved")
    assert measured.exists()
    assert not measured.filter(minutes_seal="").exists()
    others = meetings.filter(state="approved").exclude(unit__code="NLV-X001.01")
    assert not others.exclude(minutes_seal="").exists()

    # Every key loaded finds its row (on SQLite the checks of the whole database, too).
    from chibo.demo.national import check_keys

    assert not any(check_keys().values())
    connection.check_constraints()

    # The rule book holds for every record loaded (issue 20: the province seed audits clean).
    out = io.StringIO()
    call_command("audit_records", unit="NLV", stdout=out)
    assert "No record breaks the rule book." in out.getvalue()


# A seed with one key broken while SQLite's checks are off, then the same seed unbroken.
CHECKED_SEED = """
from django.db import IntegrityError, connection
from chibo.demo import seed
from chibo.orgs.models import Unit

before = Unit.objects.count()
sealing = seed.seal_history


def orphan(cells):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE members_member SET unit_id = 999999999"
            " WHERE id = (SELECT MAX(id) FROM members_member)"
        )
    return sealing(cells)


seed.seal_history = orphan
try:
    seed.seed_province_by_copy(random_seed=7, months=2, scale=0.01, namespace="A")
except IntegrityError as error:
    print("refused:", error)
print("units:", before, Unit.objects.count())
seed.seal_history = sealing
made = seed.seed_province_by_copy(random_seed=7, months=2, scale=0.01, namespace="A")
print("then:", made["members"], Unit.objects.filter(code__startswith="A").count())
"""


@pytest.mark.slow
@pytest.mark.skipif(_on_postgresql(), reason="SQLite's checks, off for a seed")
def test_a_sqlite_seed_checks_every_key_before_it_commits(tmp_path: Path) -> None:
    """Outside a transaction the SQLite seed turns the foreign keys' checks off (they are
    looked up row by row); a key broken meanwhile is found before the commit, and the seed
    leaves nothing."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'seeded.sqlite3'}"}
    assert factories.run_chibo(env, "migrate", "-v0").returncode == 0
    done = factories.run_chibo(env, "shell", "-c", CHECKED_SEED)
    assert done.returncode == 0, done.stderr
    assert "refused: " in done.stdout
    assert "999999999" in done.stdout  # the member's broken key, named
    before, after = done.stdout.split("units: ")[1].split()[:2]
    assert before == after
    members, units = done.stdout.split("then: ")[1].split()[:2]
    assert int(members) > 0
    assert int(units) > 0
