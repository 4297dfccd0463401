"""`chibo rebuild_national`: recompute the provinces' monthly rollup the national dashboard
reads (run it from the scheduler, e.g. every 15 minutes, where there is a national unit)."""

import time
from typing import Any

from django.core.management.base import BaseCommand

from chibo.orgs.models import Unit
from chibo.reports.national import NATIONAL_KIND, rebuild


class Command(BaseCommand):
    help = "Recompute the monthly figures of every province below each national unit."

    def handle(self, *args: Any, **options: Any) -> None:
        for unit in Unit.objects.filter(kind__code=NATIONAL_KIND):
            start = time.perf_counter()
            rows = rebuild(unit)
            self.stdout.write(
                f"{unit.code}: {rows} province months in {time.perf_counter() - start:.1f} s."
            )
