"""`chibo export_minutes --unit CODE --month YYYY-MM -o FILE.docx`: a month's minutes."""

import datetime
import re
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chibo.meetings.documents import minutes_data, minutes_docx
from chibo.meetings.models import Meeting, MeetingState
from chibo.members.management.commands._common import resolve
from chibo.orgs.permissions import Perm


class Command(BaseCommand):
    help = (
        "Write the minutes of a cell's meetings of one month as DOCX. With several meetings "
        "in the month, FILE-2.docx, FILE-3.docx… follow."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", required=True, metavar="CODE")
        parser.add_argument("--month", required=True, metavar="YYYY-MM")
        parser.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.docx")
        parser.add_argument("--as", dest="username", metavar="USERNAME")

    def handle(self, *args: Any, **options: Any) -> None:
        unit, _user, cells = resolve(options["unit"], options["username"], Perm.VIEW_MEETINGS)
        if not cells.filter(pk=unit.pk).exists():
            raise CommandError(f"{unit.code} is not a party cell within reach.")
        match = re.fullmatch(r"(\d{4})-(\d{1,2})", options["month"])
        if not match or not 1 <= int(match[2]) <= 12:
            raise CommandError("Write the month as YYYY-MM, e.g. 2026-03.")
        month = datetime.date(int(match[1]), int(match[2]), 1)
        output: Path = options["output"]
        if output.suffix.lower() != ".docx":
            raise CommandError("The output file must end in .docx.")
        meetings = list(
            Meeting.objects.filter(unit=unit, month=month)
            .exclude(state=MeetingState.CANCELLED)
            .select_related("unit", "chair", "minutes_secretary")
            .order_by("scheduled_at")
        )
        if not meetings:
            raise CommandError(f"{unit.code} has no meeting in {options['month']}.")
        for n, meeting in enumerate(meetings, start=1):
            path = output if n == 1 else output.with_name(f"{output.stem}-{n}{output.suffix}")
            path.write_bytes(minutes_docx(minutes_data(meeting)))
            self.stdout.write(f"Wrote {path} ({meeting.get_state_display()}).")
