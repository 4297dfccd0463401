"""`chibo remind_requests`: queue the reminders of late answers (run it once a day)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from chibo.directives.tasks import remind_late_answers, send_request_reminders


class Command(BaseCommand):
    help = (
        "Remind the units that have not answered a request by its due date, once per step "
        "of the reminder rule. Queues the job for the worker; --now runs it here."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--now", action="store_true", help="Run here, not in the worker.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            self.stdout.write(f"Sent {remind_late_answers()} reminders of late answers.")
            return
        send_request_reminders.enqueue()
        self.stdout.write("Queued the reminders of late answers.")
