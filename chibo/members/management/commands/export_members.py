"""`chibo export_members --unit CODE -o FILE.xlsx`: the roster, as the import reads it."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chibo.members.management.commands._common import resolve
from chibo.members.models import Member
from chibo.members.roster_io import write_xlsx
from chibo.orgs.permissions import Perm


class Command(BaseCommand):
    help = "Export the active members of a unit (and the units below it) to an .xlsx roster."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", required=True, metavar="CODE")
        parser.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.xlsx")
        parser.add_argument(
            "--as", dest="username", metavar="USERNAME", help="Act with this user's rights."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        unit, user, cells = resolve(options["unit"], options["username"], Perm.VIEW_MEMBERS)
        output: Path = options["output"]
        if output.suffix.lower() != ".xlsx":
            raise CommandError("The output file must end in .xlsx.")
        members = (
            Member.objects.active()
            .filter(unit__in=cells.order_by().values("pk"))
            .select_related("unit")
            .order_by("unit__path", "sort_key", "pk")
        )
        title = f"DANH SÁCH ĐẢNG VIÊN — {unit.name}"
        # Without --as the operator sees every field; with it, what that user may see.
        write_xlsx(output, members.iterator(chunk_size=2000), title=title, user=user)
        self.stdout.write(f"Wrote {members.count()} members to {output}.")
