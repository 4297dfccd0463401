"""Consistent online backups and checked restores of the whole database.

A backup file is a header line, a manifest (one line of JSON) and the database itself, the
payload. SQLite: the online backup API copies a consistent snapshot while the site keeps
running; the payload is itself a SQLite database. PostgreSQL: `pg_dump --format=custom`
(one repeatable-read snapshot), restored by `pg_restore` into an empty database.

The manifest lists each table's row count and SHA-256 (read back from the payload, so that
a restore computes them the same way before it writes anything), the payload's SHA-256,
and an HMAC of all that under the installation's SECRET_KEY: an edited table is refused by
name, an edit elsewhere in the file by the payload's digest, and a manifest recomputed to
match an edit by its signature.

Left out of every backup (their rows are not copied): sessions (whoever holds a backup
would hold live logins), the TOTP devices of two-factor login (their secrets are the
second factor itself) and the calendar feeds (their tokens are keys to the meetings). A
restored installation has no open sessions, no two-factor devices (people set theirs up
again at their next login) and no calendar addresses (people make new ones).

The file is created readable and writable by its owner only (mode 0600, given when the
file is made, so that it is never readable by others for a moment).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django.utils.crypto import salted_hmac

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"
HEADER = b"CHIBO-BACKUP 1\n"
# Tables whose rows never go into a backup (see the module's docstring).
LEFT_OUT = ("django_session", "otp_totp_totpdevice", "meetings_calendarfeed")
MANIFEST_LIMIT = 16 * 1024 * 1024
CHUNK = 1024 * 1024
SALT = "chibo.lib.backup"


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why."""


def _pg_environment() -> tuple[list[str], dict[str, str]]:
    db = connection.settings_dict
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return args, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return path


def _private_file(path: Path) -> IO[bytes]:
    """A new file open for writing, made with mode 0600 (no window in which others could
    read it, as a chmod after the fact would leave)."""
    path.unlink(missing_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    return os.fdopen(descriptor, "wb")


# --- checksums of a payload -------------------------------------------------------------------


def _sqlite_tables(path: Path) -> dict[str, tuple[int, str]]:
    out: dict[str, tuple[int, str]] = {}
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [
            name
            for (name,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        for name in names:
            digest = hashlib.sha256()
            rows = 0
            quoted = '"' + name.replace('"', '""') + '"'
            for row in db.execute(f"SELECT * FROM {quoted}"):  # noqa: S608 - names from the file
                digest.update(repr(row).encode() + b"\n")
                rows += 1
            out[name] = (rows, digest.hexdigest())
    except sqlite3.DatabaseError as error:
        raise BackupError(f"The backup's database cannot be read: {error}.") from error
    finally:
        db.close()
    return out


def _copy_table(line: str) -> str:
    # COPY public.meetings_meeting (id, ...) FROM stdin;
    name = line[len("COPY ") :].split(" (", 1)[0].split(" FROM", 1)[0]
    return name.split(".", 1)[-1].strip('"')


def _pg_tables(path: Path) -> dict[str, tuple[int, str]]:
    """Per table, the rows of the dump's data as `pg_restore` prints them (no database is
    needed to read them, so a restore checks them before it writes)."""
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [_tool("pg_restore"), "--data-only", "--file", "-", str(path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    out: dict[str, tuple[int, str]] = {}
    table = ""
    digest = hashlib.sha256()
    rows = 0
    for raw in process.stdout:
        if table:
            if raw == b"\\.\n":
                out[table] = (rows, digest.hexdigest())
                table = ""
                continue
            digest.update(raw)
            rows += 1
        elif raw.startswith(b"COPY ") and raw.rstrip().endswith(b"FROM stdin;"):
            table, digest, rows = _copy_table(raw.decode()), hashlib.sha256(), 0
    _stdout, stderr = process.communicate()
    if process.returncode:
        raise BackupError(f"The backup's dump cannot be read: {stderr.decode().strip()}")
    return out


def _payload_tables(path: Path, engine: str) -> dict[str, tuple[int, str]]:
    tables = _sqlite_tables(path) if engine == "sqlite" else _pg_tables(path)
    # A table left out has no rows: pg_dump writes no data section for it at all.
    for name in LEFT_OUT:
        if name in tables or engine == "postgresql":
            tables.setdefault(name, (0, hashlib.sha256().hexdigest()))
    return tables


def _signature(manifest: dict[str, Any], secret: str) -> str:
    body = json.dumps({k: v for k, v in manifest.items() if k != "signature"}, sort_keys=True)
    return salted_hmac(SALT, body, secret=secret, algorithm="sha256").hexdigest()


# --- backup -----------------------------------------------------------------------------------


def _sqlite_payload(partial: Path) -> None:
    connection.ensure_connection()
    source: sqlite3.Connection = connection.connection
    with _private_file(partial):
        pass  # SQLite fills the empty file, keeping its mode
    destination = sqlite3.connect(partial)
    try:
        source.backup(destination)
        # A rollback journal, not WAL: the file alone is the database (read back read-only).
        destination.execute("PRAGMA journal_mode=DELETE")
        # Deleted rows are overwritten with zeros, not left readable in free space.
        destination.execute("PRAGMA secure_delete=ON")
        for table in LEFT_OUT:
            with contextlib.suppress(sqlite3.OperationalError):  # not installed: no table
                destination.execute(f'DELETE FROM "{table}"')  # noqa: S608 - our constant
        destination.commit()
    finally:
        destination.close()


def _pg_payload(partial: Path) -> None:
    args, env = _pg_environment()
    left_out = [f"--exclude-table-data={table}" for table in LEFT_OUT]
    with _private_file(partial) as out:
        run = subprocess.run(  # noqa: S603 - fixed arguments
            [_tool("pg_dump"), *args, "--format=custom", "--no-owner", *left_out,
             str(connection.settings_dict["NAME"])],
            env=env, stdout=out, stderr=subprocess.PIPE, text=False, check=False,
        )  # fmt: skip
    if run.returncode:
        partial.unlink(missing_ok=True)
        raise BackupError(run.stderr.decode().strip() or "pg_dump failed")


def backup(target: Path) -> dict[str, Any]:
    """Write a consistent snapshot of the database to `target`; returns its manifest."""
    if connection.vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"backups of {connection.vendor} databases are not supported")
    target.parent.mkdir(parents=True, exist_ok=True)
    payload = target.with_name(target.name + ".payload")
    partial = target.with_name(target.name + ".partial")
    try:
        if connection.vendor == "sqlite":
            _sqlite_payload(payload)
        else:
            _pg_payload(payload)
        manifest: dict[str, Any] = {
            "engine": connection.vendor,
            "made_at": timezone.now().isoformat(),
            "left_out": list(LEFT_OUT),
            "tables": _payload_tables(payload, connection.vendor),
            "payload_sha256": _file_digest(payload),
        }
        manifest["signature"] = _signature(manifest, settings.SECRET_KEY)
        with _private_file(partial) as out, payload.open("rb") as data:
            out.write(HEADER)
            out.write(json.dumps(manifest, sort_keys=True).encode() + b"\n")
            shutil.copyfileobj(data, out, CHUNK)
        partial.replace(target)  # a backup file is complete or absent
    finally:
        payload.unlink(missing_ok=True)
        partial.unlink(missing_ok=True)
    return manifest


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as data:
        for chunk in iter(lambda: data.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- restore ----------------------------------------------------------------------------------


def read_manifest(source: Path) -> tuple[dict[str, Any], int]:
    """The manifest of a backup file and where its payload starts."""
    if not source.exists():
        raise BackupError(f"No file at {source}.")
    with source.open("rb") as data:
        head = data.read(len(HEADER))
        if head != HEADER:
            if head.startswith((SQLITE_MAGIC, PG_MAGIC)):
                raise BackupError(
                    f"{source} was made by an older chibo, without checksums: it cannot be "
                    "checked (restore it with --unchecked if you trust where it comes from)."
                )
            raise BackupError(f"{source} is not a chibo backup.")
        line = data.readline(MANIFEST_LIMIT)
        try:
            manifest = json.loads(line)
            assert isinstance(manifest, dict)
            assert isinstance(manifest["tables"], dict)
        except (ValueError, AssertionError, KeyError) as error:
            raise BackupError(
                f"{source} is not a chibo backup (its manifest is broken)."
            ) from error
        return manifest, data.tell()


def _check_signature(manifest: dict[str, Any]) -> None:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    given = str(manifest.get("signature", ""))
    if not any(hmac.compare_digest(given, _signature(manifest, key)) for key in secrets):
        raise BackupError(
            "The backup's checksums are not signed with this installation's SECRET_KEY: "
            "either they were changed, or the backup comes from an installation with another "
            "key (restore with that SECRET_KEY)."
        )


def _check(manifest: dict[str, Any], payload: Path) -> None:
    found = _payload_tables(payload, str(manifest["engine"]))
    expected = {name: tuple(value) for name, value in manifest["tables"].items()}
    changed = sorted(
        name for name in set(found) | set(expected) if found.get(name) != expected.get(name)
    )
    if changed:
        raise BackupError(
            "The backup was changed after it was made (checksum of table "
            f"{', '.join(changed[:10])}): it is refused."
        )
    if _file_digest(payload) != manifest.get("payload_sha256"):
        raise BackupError(
            "The backup was changed after it was made (outside its tables' rows): it is refused."
        )


@contextlib.contextmanager
def _extracted(source: Path, offset: int) -> Iterator[Path]:
    descriptor, name = tempfile.mkstemp(prefix="chibo-restore-", dir=source.parent)  # mode 0600
    path = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as out, source.open("rb") as data:
            data.seek(offset)
            shutil.copyfileobj(data, out, CHUNK)
        yield path
    finally:
        path.unlink(missing_ok=True)


def restore(source: Path, *, unchecked: bool = False) -> dict[str, Any]:
    """Restore the backup `source` into this (empty) database, after checking it; returns
    its manifest. `unchecked` restores a backup of an older chibo (a bare SQLite file or
    pg_dump), which has no checksums."""
    if unchecked:
        return _restore_unchecked(source)
    manifest, offset = read_manifest(source)
    kind = manifest.get("engine")
    if kind != connection.vendor:
        raise BackupError(f"{source} is a {kind} backup; this database is {connection.vendor}.")
    _check_signature(manifest)
    _check_empty()
    with _extracted(source, offset) as payload:
        _check(manifest, payload)
        _load(payload, str(kind))
    return manifest


def _check_empty() -> None:
    if connection.introspection.table_names():
        raise BackupError(
            "The database is not empty: restore into a new database, without migrating it first."
        )


def _load(payload: Path, kind: str) -> None:
    if kind == "sqlite":
        connection.ensure_connection()
        target: sqlite3.Connection = connection.connection
        backup_db = sqlite3.connect(f"file:{payload}?mode=ro", uri=True)
        try:
            backup_db.backup(target)
        finally:
            backup_db.close()
        return
    connection.close()
    args, env = _pg_environment()
    run = subprocess.run(  # noqa: S603 - fixed arguments
        [_tool("pg_restore"), *args, "--no-owner", "--exit-on-error", "--single-transaction",
         "--dbname", str(connection.settings_dict["NAME"]), str(payload)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if run.returncode:
        raise BackupError(run.stderr.strip() or "pg_restore failed")


def _restore_unchecked(source: Path) -> dict[str, Any]:
    if not source.exists():
        raise BackupError(f"No file at {source}.")
    with source.open("rb") as data:
        head = data.read(16)
    if head.startswith(SQLITE_MAGIC):
        kind = "sqlite"
    elif head.startswith(PG_MAGIC):
        kind = "postgresql"
    else:
        raise BackupError(
            f"{source} is not a backup of an older chibo (neither SQLite nor pg_dump)."
        )
    if kind != connection.vendor:
        raise BackupError(f"{source} is a {kind} backup; this database is {connection.vendor}.")
    _check_empty()
    _load(source, kind)
    return {"engine": kind, "tables": {}}


def checksums() -> dict[str, tuple[int, str]]:
    """Per table: the number of rows and a checksum of their content (to compare a
    restored database with its source)."""
    out: dict[str, tuple[int, str]] = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names()):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows: list[Any] = sorted(repr(row) for row in cursor.fetchall())
            digest = hashlib.sha256("\n".join(rows).encode()).hexdigest()
            out[table] = (len(rows), digest)
    return out
