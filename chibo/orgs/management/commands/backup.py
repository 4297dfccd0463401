"""`chibo backup -o FILE`: a consistent snapshot of the whole database, online."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chibo.lib.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Write a consistent snapshot of the database while the site runs (SQLite: the "
        "online backup API; PostgreSQL: pg_dump), with each table's checksum, readable by "
        "its owner only; sessions, two-factor secrets and calendar tokens are left out. "
        "Restore it with `chibo restore`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("-o", "--output", required=True, type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup(options["output"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        size = options["output"].stat().st_size
        self.stdout.write(
            f"Backup written to {options['output']} ({size:,} bytes, "
            f"{len(manifest['tables'])} tables with their checksums)."
        )
