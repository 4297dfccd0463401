"""`chibo restore FILE`: a backup of `chibo backup` into a new, empty database."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chibo.lib.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `chibo backup` into a new, empty database of the same "
        "engine (do not migrate it first; migrate after, when the code is newer)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            restore(options["file"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored {options['file']}.")
