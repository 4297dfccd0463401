"""Background work on roster files: check them, then import them when confirmed."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from chibo.members.models import ImportState, RosterImport
from chibo.members.roster_io import ImportFileError, ImportResult, import_members
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm

logger = logging.getLogger(__name__)


def _summary(result: ImportResult) -> dict[str, Any]:
    return {
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "errors": [str(error) for error in result.errors],
    }


def _run(job: RosterImport, *, dry_run: bool) -> None:
    def progress(done: int, total: int) -> None:
        RosterImport.objects.filter(pk=job.pk).update(
            rows_done=done, rows_total=total, touched_at=timezone.now()
        )

    RosterImport.objects.filter(pk=job.pk).update(touched_at=timezone.now())

    # The rights are those of the person who uploaded, as they stand now.
    cells = (
        Unit.objects.visible_to(job.created_by, Perm.MANAGE_MEMBERS)
        .cells()
        .filter(path__startswith=job.unit.path)
    )
    try:
        with job.file.open("rb") as source:
            result = import_members(
                source,
                unit=job.unit,
                cells=cells.select_related("kind"),
                by=job.created_by,
                filename=job.filename,
                update=job.update,
                dry_run=dry_run,
                progress=progress,
            )
    except ImportFileError as error:
        job.state, job.summary = ImportState.REJECTED, {"errors": [str(error)], "rows": 0}
    except Exception:
        logger.exception("roster import %s failed", job.pk)
        job.state = ImportState.FAILED
    else:
        job.summary = _summary(result)
        if result.errors:
            job.state = ImportState.REJECTED
        elif dry_run:
            job.state = ImportState.CHECKED
        else:
            job.state = ImportState.DONE
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "summary", "finished_at"])
    if job.state in (ImportState.DONE, ImportState.REJECTED):
        # The file holds personal data: keep it no longer than needed (a failed job keeps
        # it so that it can be tried again).
        job.file.delete(save=True)


def retry(job: RosterImport) -> bool:
    """Run a failed or stalled job again from its check (the person then confirms the
    import again). Every import writes in one transaction, so a job that died wrote
    nothing. False if the job is not (or no longer) in a state to retry."""
    if not job.file:
        return False
    now = timezone.now()
    retried = (
        RosterImport.objects.filter(pk=job.pk)
        .filter(
            Q(state=ImportState.FAILED)
            | Q(
                state__in=[ImportState.CHECKING, ImportState.IMPORTING],
                touched_at__lt=now - RosterImport.STALL_AFTER,
            )
        )
        .update(
            state=ImportState.CHECKING,
            rows_done=0,
            rows_total=0,
            summary={},
            touched_at=now,
            finished_at=None,
        )
    )
    if retried:
        transaction.on_commit(lambda: check_roster.enqueue(str(job.pk)))
    return bool(retried)


@task()
def check_roster(job_id: str) -> None:
    job = RosterImport.objects.select_related("unit", "created_by").get(pk=job_id)
    _run(job, dry_run=True)


@task()
def import_roster(job_id: str) -> None:
    job = RosterImport.objects.select_related("unit", "created_by").get(pk=job_id)
    _run(job, dry_run=False)
