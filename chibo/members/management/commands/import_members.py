"""`chibo import_members FILE --unit CODE`: load a roster file, all or nothing."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from chibo.members.management.commands._common import resolve
from chibo.members.roster_io import ImportFileError, import_members
from chibo.orgs.permissions import Perm


class Command(BaseCommand):
    help = (
        "Import members from an .xlsx or .csv roster into a cell (or the cells below a unit, "
        "named in the “Chi bộ” column). Nothing is written if any row is wrong."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--unit", required=True, metavar="CODE")
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument(
            "--update", action="store_true", help="Update members already registered."
        )
        parser.add_argument(
            "--as", dest="username", metavar="USERNAME", help="Act with this user's rights."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        unit, user, cells = resolve(options["unit"], options["username"], Perm.MANAGE_MEMBERS)
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        try:
            result = import_members(
                path,
                unit=unit,
                cells=cells,
                by=user,
                update=options["update"],
                dry_run=options["dry_run"],
            )
        except ImportFileError as error:
            raise CommandError(str(error)) from error
        for row_error in result.errors:
            self.stderr.write(str(row_error))
        summary = _("%(rows)s rows: %(new)s new, %(updated)s updated, %(unchanged)s unchanged") % {
            "rows": result.rows,
            "new": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
        }
        if result.errors:
            raise CommandError(
                _("%(n)s errors; nothing was written. %(summary)s.")
                % {"n": len(result.errors), "summary": summary}
            )
        if result.dry_run:
            self.stdout.write(
                _("Checked only, nothing written. %(summary)s.") % {"summary": summary}
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(_("Imported. %(summary)s.") % {"summary": summary})
            )
