"""Backups: taken online, restored into a new database, equal table by table."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from chibo.lib.backup import HEADER, LEFT_OUT, checksums, read_manifest
from tests.factories import new_database as _new_database
from tests.factories import run_chibo as _run

# A real backup runs outside any transaction: so does this test (and puts the cast back).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

COMPARE = "import json; from chibo.lib.backup import checksums; print(json.dumps(checksums()))"


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
        empty = checksums_of_nothing()
        assert {t: theirs[t] for t in LEFT_OUT} == dict.fromkeys(LEFT_OUT, empty)
        assert {t: v for t, v in theirs.items() if t not in LEFT_OUT} == {
            t: v for t, v in mine.items() if t not in LEFT_OUT
        }
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


def checksums_of_nothing() -> tuple[int, str]:
    import hashlib

    return (0, hashlib.sha256(b"").hexdigest())


def _splice(manifest_from: Path, payload_from: Path, out: Path) -> None:
    """A backup file with the manifest of one backup and the payload of another."""
    _manifest, start = read_manifest(manifest_from)
    head = manifest_from.read_bytes()[:start]
    out.write_bytes(head + payload_from.read_bytes()[read_manifest(payload_from)[1] :])


def test_an_edited_backup_is_refused_naming_the_table(cast_ready: None, tmp_path: Path) -> None:
    from chibo.orgs.models import Unit

    original = tmp_path / "original.backup"
    call_command("backup", "-o", str(original), stdout=io.StringIO())
    # The same database with one unit renamed, backed up again: its payload under the
    # first backup's manifest is an edited backup.
    Unit.objects.filter(code="X001").update(name="Xã đã bị sửa")
    edited_payload = tmp_path / "edited-payload.backup"
    call_command("backup", "-o", str(edited_payload), stdout=io.StringIO())
    edited = tmp_path / "edited.backup"
    _splice(original, edited_payload, edited)
    url, drop = _new_database(tmp_path)
    env = {**os.environ, "DATABASE_URL": url}
    try:
        refused = _run(env, "restore", str(edited))
        assert refused.returncode != 0
        assert "orgs_unit" in refused.stderr
        assert "changed" in refused.stderr
        # Nothing was written: the database is still empty, and the original restores.
        restored = _run(env, "restore", str(original))
        assert restored.returncode == 0, restored.stderr[-2000:]
    finally:
        drop()  # type: ignore[operator]


def test_a_manifest_recomputed_to_match_an_edit_is_refused_by_its_signature(
    cast_ready: None, tmp_path: Path
) -> None:
    target = tmp_path / "chibo.backup"
    call_command("backup", "-o", str(target), stdout=io.StringIO())
    manifest, start = read_manifest(target)
    manifest["tables"]["orgs_unit"] = [999, "0" * 64]
    forged = tmp_path / "forged.backup"
    forged.write_bytes(HEADER + json.dumps(manifest).encode() + b"\n" + target.read_bytes()[start:])
    with pytest.raises(CommandError, match="not signed"):
        call_command("restore", str(forged))
    # A byte changed outside the manifest's reach (the payload's tail) is refused too.
    tail = tmp_path / "tail.backup"
    tail.write_bytes(target.read_bytes() + b"\0")
    url, drop = _new_database(tmp_path)
    env = {**os.environ, "DATABASE_URL": url}
    try:
        refused = _run(env, "restore", str(tail))
        assert refused.returncode != 0
        assert "changed" in refused.stderr
    finally:
        drop()  # type: ignore[operator]


def test_the_backup_file_is_made_readable_by_its_owner_only(
    cast_ready: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_chmod(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("made with its mode, not changed after")

    monkeypatch.setattr(os, "chmod", no_chmod)
    monkeypatch.setattr(Path, "chmod", no_chmod)
    previous = os.umask(0o022)
    try:
        target = tmp_path / "chibo.backup"
        call_command("backup", "-o", str(target), stdout=io.StringIO())
    finally:
        os.umask(previous)
    assert target.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chibo.backup"]  # no leftovers


def test_sessions_two_factor_secrets_and_calendar_tokens_are_left_out(
    cast_ready: None, tmp_path: Path
) -> None:
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from chibo.meetings.models import CalendarFeed

    user = User.objects.get(username="bithu1")
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session.create()
    device = TOTPDevice.objects.create(user=user, name="chibo", confirmed=True)
    feed = CalendarFeed.objects.create(user=user)
    target = tmp_path / "chibo.backup"
    call_command("backup", "-o", str(target), stdout=io.StringIO())
    manifest, _start = read_manifest(target)
    for table in ("django_session", "otp_totp_totpdevice", "meetings_calendarfeed"):
        assert manifest["tables"][table][0] == 0, table
    content = target.read_bytes()
    for secret in (session.session_key, device.key, feed.token):
        assert str(secret).encode() not in content
    url, drop = _new_database(tmp_path)
    env = {**os.environ, "DATABASE_URL": url}
    try:
        restored = _run(env, "restore", str(target))
        assert restored.returncode == 0, restored.stderr[-2000:]
        assert "two-factor" in restored.stdout
    finally:
        drop()  # type: ignore[operator]
