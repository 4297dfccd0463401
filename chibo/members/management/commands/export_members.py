"""`chibo export_members --unit CODE -o FILE.xlsx`: the roster, as the import reads it;
`--format json` (or `national-xlsx`): the members and their history in the fields of the
party-member record (chibo.members.national, docs/api.md)."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from chibo.members import national
from chibo.members.management.commands._common import resolve
from chibo.members.models import Member
from chibo.members.roster_io import write_xlsx
from chibo.orgs.permissions import Perm


class Command(BaseCommand):
    help = "Export the active members of a unit (and the units below it) to an .xlsx roster."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", required=True, metavar="CODE")
        parser.add_argument("-o", "--output", required=True, type=Path, metavar="FILE")
        parser.add_argument(
            "--format",
            choices=["roster", "json", "national-xlsx"],
            default="roster",
            help="roster: the .xlsx the import reads (default); json or national-xlsx: the "
            "members and their history in the fields of the party-member record.",
        )
        parser.add_argument(
            "--as", dest="username", metavar="USERNAME", help="Act with this user's rights."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        unit, user, cells = resolve(options["unit"], options["username"], Perm.VIEW_MEMBERS)
        output: Path = options["output"]
        suffix = ".json" if options["format"] == "json" else ".xlsx"
        if output.suffix.lower() != suffix:
            raise CommandError(f"The output file must end in {suffix}.")
        members = (
            Member.objects.active()
            .filter(unit__in=cells.order_by().values("pk"))
            .select_related("unit")
            .order_by("unit__path", "sort_key", "pk")
        )
        if options["format"] != "roster":
            national_members = Member.objects.filter(
                unit__in=cells.order_by().values("pk")
            ).order_by("unit__path", "sort_key", "pk")
            if options["format"] == "json":
                data = national.document(national_members, user=user)
                text = json.dumps(data, ensure_ascii=False, indent=1, cls=DjangoJSONEncoder)
                output.write_text(text, encoding="utf-8")
            else:
                output.write_bytes(national.xlsx(national_members, user=user))
            self.stdout.write(f"Wrote {national_members.count()} members to {output}.")
            return
        title = f"DANH SÁCH ĐẢNG VIÊN — {unit.name}"
        # Without --as the operator sees every field; with it, what that user may see.
        write_xlsx(output, members.iterator(chunk_size=2000), title=title, user=user)
        self.stdout.write(f"Wrote {members.count()} members to {output}.")
