"""`chibo prune_submissions [--days N]`: forget the tokens of form submissions older than N
days (30 by default). A token only has to outlive the resends of one submission (a double
click, a retry after a timeout, the back button), so the table stays small."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from chibo.lib.submissions.models import Submission


class Command(BaseCommand):
    help = "Forget the tokens of form submissions older than --days (default 30)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30)

    def handle(self, *args: Any, **options: Any) -> None:
        days = options["days"]
        if days < 1:
            raise CommandError("--days must be at least 1.", returncode=1)
        cutoff = timezone.now() - datetime.timedelta(days=days)
        removed, _by_model = Submission.objects.filter(created_at__lt=cutoff).delete()
        self.stdout.write(f"{removed} submission tokens older than {days} days removed.")
