"""`chibo audit_records [--unit CODE] [--year YYYY]`: check every stored record below a unit
against the rule book (docs/rules.md) and list each violation; exit status 1 when any."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chibo.lib.audit import AuditScope
from chibo.orgs.models import Unit
from chibo.reports.record_audit import violations


class Command(BaseCommand):
    help = "List the stored records that break a rule of the rule book (exit 1 when any)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", help="Only this unit and the units below it.")
        parser.add_argument("--year", type=int, help="Only records of this year.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = ""
        if options["unit"]:
            unit = Unit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"No unit {options['unit']}.")
            path = unit.path
        year = options["year"]
        if year is not None and not 1900 <= year <= 2200:
            raise CommandError(f"--year: {year} is not a year.")
        found = violations(AuditScope(path=path, year=year))
        for violation in found:
            where = f" ({violation.url})" if violation.url else ""
            self.stdout.write(f"{violation.rule}\t{violation.record}{where}\t{violation.message}")
        if found:
            raise CommandError(f"{len(found)} record(s) break the rule book.", returncode=1)
        self.stdout.write("No record breaks the rule book.")
