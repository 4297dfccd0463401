"""`chibo send_reminders`: the daily e-mails (run it once a day from a scheduler)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation

from chibo.meetings.reminders import send_reminders


class Command(BaseCommand):
    help = (
        "E-mail the members of the meetings held in --days days, and the owners of overdue "
        "tasks. Run once a day."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=2, help="How many days ahead (2).")
        parser.add_argument("--dry-run", action="store_true", help="Count, send nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate(settings.LANGUAGE_CODE)  # the mails speak the site's language
        counts = send_reminders(days_ahead=options["days"], dry_run=options["dry_run"])
        verb = "Would send" if options["dry_run"] else "Sent"
        self.stdout.write(
            f"{verb} {counts.meeting_mails} reminders for {counts.meetings} meetings and "
            f"{counts.task_mails} overdue-task reminders."
        )
        for what, n in counts.other.items():
            self.stdout.write(f"{verb} {n} {what}.")
