"""Backups: taken online, restored into a new database, equal table by table."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from chibo.lib.backup import checksums

# A real backup runs outside any transaction: so does this test (and puts the cast back).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

COMPARE = "import json; from chibo.lib.backup import checksums; print(json.dumps(checksums()))"


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the project's own command
        [sys.executable, "-m", "chibo", *args], env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip


def _new_database(tmp_path: Path) -> tuple[str, object]:
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


@pytest.fixture
def cast_ready(transactional_db: None) -> None:
    from chibo.orgs.models import Unit
    from tests.conftest import build_cast

    if not Unit.objects.exists():  # an earlier transactional test flushed the cast
        build_cast()


def test_a_backup_restores_into_a_new_database_equal_table_by_table(
    cast_ready: None, tmp_path: Path
) -> None:
    backup = tmp_path / "chibo.backup"
    call_command("backup", "-o", str(backup), stdout=io.StringIO())
    assert backup.exists()
    assert not backup.with_name(backup.name + ".partial").exists()
    url, drop = _new_database(tmp_path)
    env = {**os.environ, "DATABASE_URL": url}
    try:
        restored = _run(env, "restore", str(backup))
        assert restored.returncode == 0, restored.stderr[-2000:]
        compared = _run(env, "shell", "-v", "0", "-c", COMPARE)
        assert compared.returncode == 0, compared.stderr[-2000:]
        theirs = {table: tuple(value) for table, value in json.loads(compared.stdout).items()}
        mine = checksums()
        assert mine["orgs_unit"][0] > 0
        assert theirs == mine
        # A second restore into the now full database is refused.
        again = _run(env, "restore", str(backup))
        assert again.returncode != 0
        assert "not empty" in again.stderr
    finally:
        drop()  # type: ignore[operator]


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path) -> None:
    bogus = tmp_path / "x.backup"
    bogus.write_bytes(b"PK\x03\x04 not a backup")
    with pytest.raises(CommandError, match="not a chibo backup"):
        call_command("restore", str(bogus))
    with pytest.raises(CommandError, match="No file"):
        call_command("restore", str(tmp_path / "missing"))
