"""`chibo report periodic --unit CODE --period P -o FILE.docx [--xlsx FILE] [--as USER]`, and
`chibo report group --group ID --period 2026-H1 -o FILE.docx [--xlsx FILE] [--as USER]` (a
working group's report, as it stands: a report nobody saved yet is drafted, not stored)."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404
from django.utils import timezone, translation

from chibo.orgs.access import get_unit_for_user
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm
from chibo.reports import figures
from chibo.reports.models import ReportSettings
from chibo.reports.periodic import (
    number_of,
    periodic_docx,
    periodic_xlsx,
    place_of,
    reserve,
)
from chibo.reports.periods import PeriodError, parse
from chibo.supervision.access import get_group_for_user
from chibo.supervision.exporters import group_report_data, group_report_docx, group_report_xlsx
from chibo.supervision.services import draft_report

PERIOD = re.compile(r"^(\d{4})(-H1)?$")


class Command(BaseCommand):
    help = "Write the periodic report of a unit (Party-format DOCX, and its figures as XLSX)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["periodic", "group"])
        parser.add_argument("--unit", metavar="CODE", help="The unit of a periodic report.")
        parser.add_argument("--group", type=int, metavar="ID", help="The working group.")
        parser.add_argument(
            "--period", required=True, help="2026-H1 (to 15/6), 2026 (to 31/12), or A..B dates"
        )
        parser.add_argument("-o", "--output", required=True, type=Path)
        parser.add_argument("--xlsx", type=Path, help="Also write the figures to this file.")
        parser.add_argument(
            "--as", dest="username", metavar="USER", help="Figures as this user sees them."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate(settings.LANGUAGE_CODE)
        if options["kind"] == "group":
            self._group(options)
            return
        if not options["unit"]:
            raise CommandError("A periodic report needs --unit CODE.")
        start = time.perf_counter()
        try:
            period = parse(options["period"])
        except PeriodError as error:
            raise CommandError(str(error)) from error
        user: Any = None
        if options["username"]:
            user = get_user_model().objects.filter(username=options["username"]).first()
        else:  # the operator of the machine sees everything
            user = get_user_model()(is_superuser=True, is_active=True)
        unit: Unit | None = None
        if user is not None:
            try:
                unit = get_unit_for_user(user, options["unit"], action=Perm.VIEW_MEETINGS)
            except Http404:
                unit = None
        if unit is None:
            raise CommandError(f"No unit has the code {options['unit']!r} (see `chibo units`).")
        if unit.is_cell:
            raise CommandError("Periodic reports are written by committees above the cells.")
        board = figures.build(user, unit, period)
        report = reserve(unit, period, user if user.pk else None)
        today = timezone.localdate()
        docx = periodic_docx(
            board,
            number=number_of(report),
            date=today,
            place=place_of(unit, ReportSettings.for_unit(unit)),
        )
        options["output"].write_bytes(docx)
        if options["xlsx"]:
            options["xlsx"].write_bytes(periodic_xlsx(board))
        self.stdout.write(
            f"{number_of(report)}: {options['output']} in {time.perf_counter() - start:.1f} s"
        )

    def _group(self, options: dict[str, Any]) -> None:
        if options["group"] is None:
            raise CommandError("A group report needs --group ID.")
        match = PERIOD.match(options["period"])
        if match is None:
            raise CommandError(
                "The period of a group report is a year (2026) or its half (2026-H1)."
            )
        if options["username"]:
            user: Any = get_user_model().objects.filter(username=options["username"]).first()
        else:  # the operator of the machine sees everything
            user = get_user_model()(is_superuser=True, is_active=True)
        try:
            if user is None:
                raise Http404
            group = get_group_for_user(user, options["group"])
            report = draft_report(group, int(match.group(1)), bool(match.group(2)))
        except Http404:
            raise CommandError(f"No working group has the id {options['group']}.") from None
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        data = group_report_data(report)
        options["output"].write_bytes(group_report_docx(data))
        if options["xlsx"]:
            options["xlsx"].write_bytes(group_report_xlsx(data))
        self.stdout.write(f"{group.name} {report.period}: {options['output']}")
