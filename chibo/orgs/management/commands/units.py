"""`chibo units`: print unit codes and names, as a list or a tree."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chibo.orgs.models import Unit


class Command(BaseCommand):
    help = "Print the codes and names of the units (all, or below --root)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tree", action="store_true", help="Indent by depth.")
        parser.add_argument("--root", metavar="CODE", help="Only this unit and those below it.")
        parser.add_argument("--depth", type=int, help="Down to this many levels below the root.")

    def handle(self, *args: Any, **options: Any) -> None:
        units = Unit.objects.select_related("kind")
        top_depth = 1
        if options["root"]:
            root = Unit.objects.filter(code=options["root"]).first()
            if root is None:
                raise CommandError(f"No unit has the code {options['root']!r}.")
            units = units.filter(path__startswith=root.path)
            top_depth = root.depth
        if options["depth"] is not None:
            units = units.filter(depth__lte=top_depth + options["depth"])
        for unit in units.order_by("path").iterator(chunk_size=2000):
            closed = f"  (closed {unit.closed_on:%d/%m/%Y})" if unit.closed_on else ""
            if options["tree"]:
                indent = "  " * (unit.depth - top_depth)
                self.stdout.write(f"{indent}{unit.code}  {unit.name}  [{unit.kind.name}]{closed}")
            else:
                self.stdout.write(f"{unit.code}\t{unit.name}{closed}")
