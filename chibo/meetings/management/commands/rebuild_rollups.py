"""`chibo rebuild_rollups`: recompute the meeting figures and cell months from scratch."""

import time
from typing import Any

from django.core.management.base import BaseCommand

from chibo.meetings.stats import rebuild


class Command(BaseCommand):
    help = (
        "Recompute every meeting's figures and every cell's monthly sums from the meeting "
        "records (the dashboards read these). Safe to run at any time."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        start = time.perf_counter()
        meetings, months = rebuild()
        self.stdout.write(
            f"{meetings} meetings, {months} cell months in {time.perf_counter() - start:.1f} s."
        )
