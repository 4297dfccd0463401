"""`chibo restore FILE`: a backup of `chibo backup`, checked, into a new, empty database."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chibo.lib.backup import LEFT_OUT, BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `chibo backup` into a new, empty database of the same "
        "engine (do not migrate it first; migrate after, when the code is newer). Every "
        "table's checksum is checked first: a backup changed since it was made is refused."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--unchecked",
            action="store_true",
            help="Restore a backup of an older chibo, which has no checksums to check.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = restore(options["file"], unchecked=options["unchecked"])
        except BackupError as error:
            raise CommandError(str(error)) from error
        if options["unchecked"]:
            self.stdout.write(f"Restored {options['file']} (not checked).")
            return
        self.stdout.write(
            f"Restored {options['file']}: {len(manifest['tables'])} tables checked. "
            f"Left out of backups, so empty: {', '.join(LEFT_OUT)}; people log in again, "
            "set up two-factor login again and make new calendar addresses."
        )
