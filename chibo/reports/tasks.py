"""The periodic report written in the background, its progress kept on the report row."""

from __future__ import annotations

import logging

from django_tasks import task

from chibo.reports.models import JobState, PeriodicReport
from chibo.reports.periodic import write_report

logger = logging.getLogger(__name__)


@task()
def write_periodic_report(report_id: str) -> None:
    report = PeriodicReport.objects.select_related("unit", "created_by").get(pk=report_id)

    def progress(percent: int) -> None:
        PeriodicReport.objects.filter(pk=report.pk).update(progress=percent)

    try:
        # The figures are those the person who asked may see, as their rights stand now.
        write_report(report, report.created_by, progress=progress)
    except Exception as error:
        logger.exception("periodic report %s failed", report.pk)
        PeriodicReport.objects.filter(pk=report.pk).update(
            state=JobState.FAILED, error=str(error)[:500]
        )
