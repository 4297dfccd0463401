"""Consistent online backups and restores of the whole database.

SQLite: the online backup API copies a consistent snapshot while the site keeps running; the
backup is itself a SQLite database. PostgreSQL: `pg_dump --format=custom` (one repeatable-
read snapshot) and `pg_restore` into an empty database. A backup is restored only into a
database of the same engine, and only into an empty one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.db import connection

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why."""


def _pg_environment() -> tuple[list[str], dict[str, str]]:
    settings = connection.settings_dict
    args = []
    if settings.get("HOST"):
        args += ["--host", str(settings["HOST"])]
    if settings.get("PORT"):
        args += ["--port", str(settings["PORT"])]
    if settings.get("USER"):
        args += ["--username", str(settings["USER"])]
    env = dict(os.environ)
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings["PASSWORD"])
    return args, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    return path


def backup(target: Path) -> None:
    """Write a consistent snapshot of the database to `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        source: sqlite3.Connection = connection.connection
        with sqlite3.connect(partial) as destination:
            source.backup(destination)
        destination.close()
    elif connection.vendor == "postgresql":
        args, env = _pg_environment()
        run = subprocess.run(  # noqa: S603 - fixed arguments
            [_tool("pg_dump"), *args, "--format=custom", "--no-owner", "--file", str(partial),
             str(connection.settings_dict["NAME"])],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if run.returncode:
            partial.unlink(missing_ok=True)
            raise BackupError(run.stderr.strip() or "pg_dump failed")
    else:
        raise BackupError(f"backups of {connection.vendor} databases are not supported")
    partial.replace(target)  # a backup file is complete or absent


def restore(source: Path) -> None:
    """Restore the backup `source` into this (empty) database."""
    if not source.exists():
        raise BackupError(f"No file at {source}.")
    head = source.read_bytes()[:16]
    if head.startswith(SQLITE_MAGIC):
        kind = "sqlite"
    elif head.startswith(PG_MAGIC):
        kind = "postgresql"
    else:
        raise BackupError(f"{source} is not a chibo backup (neither SQLite nor pg_dump).")
    if kind != connection.vendor:
        raise BackupError(f"{source} is a {kind} backup; this database is {connection.vendor}.")
    if connection.introspection.table_names():
        raise BackupError(
            "The database is not empty: restore into a new database, without migrating it first."
        )
    if kind == "sqlite":
        connection.ensure_connection()
        target: sqlite3.Connection = connection.connection
        with sqlite3.connect(source) as backup_db:
            backup_db.backup(target)
        backup_db.close()
        return
    connection.close()
    args, env = _pg_environment()
    run = subprocess.run(  # noqa: S603 - fixed arguments
        [_tool("pg_restore"), *args, "--no-owner", "--exit-on-error", "--single-transaction",
         "--dbname", str(connection.settings_dict["NAME"]), str(source)],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if run.returncode:
        raise BackupError(run.stderr.strip() or "pg_restore failed")


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
