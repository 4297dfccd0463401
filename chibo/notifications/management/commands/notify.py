"""`chibo notify`: tell everyone of their new to-do items (run once a day from a scheduler;
the background worker does the sending). `--dry-run` prints what would be sent today."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone, translation

from chibo.notifications.services import notify_user
from chibo.notifications.tasks import BATCH, notify_people, people


class Command(BaseCommand):
    help = (
        "Tell everyone of their new to-do items: in-app notifications, Web Push and the daily "
        "e-mail digest, sent by the background worker. --dry-run prints what would be sent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Print, send nothing.")
        parser.add_argument("--date", help="The day (YYYY-MM-DD), today by default.")
        parser.add_argument("--user", help="Only this username.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = (
                datetime.date.fromisoformat(options["date"])
                if options["date"]
                else timezone.localdate()
            )
        except ValueError:
            raise CommandError("--date must be YYYY-MM-DD.") from None
        users = people(day)
        if options["user"]:
            users = users.filter(username=options["user"])
        if options["dry_run"]:
            self._dry_run(list(users), day)
            return
        ids = list(users.values_list("pk", flat=True))
        for start in range(0, len(ids), BATCH):
            notify_people.enqueue(day.isoformat(), ids[start : start + BATCH])
        batches = (len(ids) + BATCH - 1) // BATCH
        self.stdout.write(f"Queued {len(ids)} people in {batches} batches for {day}.")

    def _dry_run(self, users: list[Any], day: datetime.date) -> None:
        totals = [0, 0, 0]
        with translation.override(settings.LANGUAGE_CODE):
            for user in users:
                told = notify_user(user=user, today=day, dry_run=True)
                if not (told.new or told.digest_items):
                    continue
                self.stdout.write(
                    f"{told.user}: {len(told.new)} new, {told.pushes} push, "
                    f"digest of {told.digest_items} items"
                )
                for item in told.new:
                    self.stdout.write(f"  - {item.title} ({item.url})")
                totals[0] += len(told.new)
                totals[1] += told.pushes
                totals[2] += 1 if told.digest_items else 0
        self.stdout.write(
            f"Would send {totals[0]} notifications, {totals[1]} push messages and "
            f"{totals[2]} digests on {day}."
        )
