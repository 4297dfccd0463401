"""`chibo rebuild_rollups`: recompute every rollup the dashboards read, from scratch."""

import time
from typing import Any

from django.core.management.base import BaseCommand

from chibo.meetings.stats import rebuild
from chibo.scoring.classification import rebuild_tallies


class Command(BaseCommand):
    help = (
        "Recompute every meeting's figures, every cell's monthly sums and the classification "
        "tallies from the records (the dashboards read these). Safe to run at any time."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        start = time.perf_counter()
        meetings, months = rebuild()
        tallies = rebuild_tallies()
        self.stdout.write(
            f"{meetings} meetings, {months} cell months, {tallies} classification tallies "
            f"in {time.perf_counter() - start:.1f} s."
        )
