"""A small run of the benchmark, so that it cannot rot (the real one is `make bench`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

KEYS = {
    "db",
    "size",
    "dataset",
    "seed_seconds",
    "seed_floor",
    "pages",
    "floor",
    "load",
    "aggregate",
    "import",
    "report",
    "write_load",
    "todo",
}
PAGES = {"cell_meeting", "cell_roster", "member_home", "commune_dashboard", "province_dashboard"}


@pytest.fixture
def bench_db_name() -> Iterator[str]:
    """A benchmark database of this run only: seeded by the code under test (a database
    left by an earlier run would be measured as it is), and dropped after on PostgreSQL
    (on SQLite it is a file in the run's folder)."""
    name = f"chibo_bench_test_{os.getpid()}"
    yield name
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import dj_database_url

        from chibo.demo.management.commands.bench import _connect

        with _connect(dj_database_url.parse(url)) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_benchmark_runs_on_a_small_province(tmp_path: Path, bench_db_name: str) -> None:
    out = tmp_path / "bench.json"
    env = {**os.environ, "CHIBO_VAR_DIR": str(tmp_path / "var")}
    env.pop("CHIBO_BENCH_INNER", None)
    completed = subprocess.run(  # noqa: S603 - the project's own command
        [sys.executable, "-m", "chibo", "bench", "--size", "small", "--months", "2",
         "--requests", "3", "--load-seconds", "1", "--import-rows", "300", "--no-phone",
         "--write-seconds", "2", "--write-clients", "4", "--json", str(out),
         "--db-name", bench_db_name],
        env=env, capture_output=True, text=True, timeout=1200, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(out.read_text())
    assert set(result) >= KEYS
    assert set(result["pages"]) == PAGES
    assert all(page["queries"] > 0 for page in result["pages"].values())
    assert result["dataset"]["meetings"] > 0
    # The seed beside a plain bulk load of every row it made.
    floor = result["seed_floor"]
    assert floor["rows"] >= result["dataset"]["members"] + result["dataset"]["attendance_rows"]
    assert floor["seconds"] > 0
    assert floor["ratio"] > 1
    assert result["load"]["errors"] == 0
    assert result["import"]["rows"] == 300
    assert result["report"]["periodic_docx_seconds"] > 0
    writes = result["write_load"]
    assert (writes["clients"], writes["pairs"]) == (4, 1)
    assert writes["saves_acknowledged"] > 0
    assert writes["errors"] == 0, writes["error_samples"]
    assert writes["lost_writes"] == 0
    # The to-do page of each kind of account, within its query budget.
    assert set(result["todo"]) >= {"bithu1", "uyvien1", "bantochuc", "dangvien1"}
    assert all(0 < todo["queries"] <= 40 for todo in result["todo"].values())
    assert result["todo"]["bithu1"]["items"] > 0


@pytest.mark.django_db
def test_the_seed_record_is_kept_with_the_database(tmp_path: Path) -> None:
    from django.db import connection

    from chibo.demo.management.commands.bench import SeedRecord

    if connection.vendor == "postgresql":
        # Kept in the database itself: another checkout (another var/) reads it too.
        server, name = connection.settings_dict, connection.settings_dict["NAME"]
        SeedRecord(tmp_path / "one.json", server, name).write({"seed_seconds": 12.5})
        assert SeedRecord(tmp_path / "other.json", server, name).read() == {"seed_seconds": 12.5}
        assert not (tmp_path / "one.json").exists()
    else:
        SeedRecord(tmp_path / "one.json").write({"seed_seconds": 12.5})
        assert SeedRecord(tmp_path / "one.json").read() == {"seed_seconds": 12.5}
        assert SeedRecord(tmp_path / "other.json").read() == {}


def test_the_national_comparison_shows_each_pages_size_beside_the_province_runs() -> None:
    """A page of the same name may show a cell of another size in the two seeds (57 members
    against 17): the table prints both pages' HTML sizes beside the ratio."""
    from chibo.demo.bench import national_table

    page = {"p50_ms": 17.0, "p95_ms": 19.1, "queries": 5, "bytes": 17715}
    result = {
        "db": "postgresql",
        "dataset": {"cells": 1, "members": 2, "meetings": 3, "attendance_rows": 4},
        "seed": {"seed_seconds": 553.0, "plain_copy_seconds": 105.6, "ratio": 5.24},
        "pages": {"cell_roster": page},
        "floor": {"hello_p50_ms": 0.2},
        "national": {
            "dashboard": {"p50_ms": 23.6, "p95_ms": 25.7, "queries": 4},
            "from_cell_months_ms": 847.0,
            "province_pages": {
                "cell_roster": {
                    "p50_ms": 17.0,
                    "province_p50_ms": 10.9,
                    "ratio": 1.56,
                    "bytes": 17715,
                    "province_bytes": 9698,
                }
            },
            "province_dashboard_raw_sql_ms": 172.6,
        },
    }
    row = next(line for line in national_table(result).splitlines() if "cell_roster" in line)
    assert row.split()[-3:] == ["1.56", "17.7", "(9.7)"]
