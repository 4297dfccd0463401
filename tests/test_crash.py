"""Crash safety: an import killed in the middle (the worker's process killed with SIGKILL,
as the kernel's out-of-memory killer or a power cut would) leaves the database as it was,
and the job can be run again. The import runs in a process of its own, on a database of its
own, like the task worker does."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from chibo.demo.roster_file import write_demo_roster
from tests.factories import new_database as _new_database
from tests.factories import run_chibo as _run

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")

ROWS = 3000

START = """
import os, time
from django.core.files import File
from chibo.members import roster_io, tasks
from chibo.members.models import ImportState, Member, RosterImport
from chibo.orgs.models import Unit
from django.contrib.auth.models import User

job = RosterImport(
    created_by=User.objects.get(username="admin"), unit=Unit.objects.get(code="LV"),
    filename="roster.xlsx", state=ImportState.IMPORTING,
)
with open(os.environ["ROSTER"], "rb") as f:
    job.file.save("roster.xlsx", File(f), save=True)
before = Member.objects.count()
write_batch = roster_io._write_batch
def slow_write_batch(*args, **kwargs):
    write_batch(*args, **kwargs)
    # Inside the import's transaction, after a batch is written: the moment to be killed.
    print("WROTE", Member.objects.count() - before, job.pk, flush=True)
    time.sleep(600)
roster_io._write_batch = slow_write_batch
tasks.import_roster.call(str(job.pk))
"""

COUNT = """
from chibo.members.models import Member
from chibo.orgs.models import Unit
print(Member.objects.count())
print(" ".join(Unit.objects.cells().values_list("code", flat=True)))
"""

STATE = """
from chibo.members.models import Member, RosterImport
job = RosterImport.objects.get()
print(Member.objects.count(), job.state, bool(job.file))
"""

RETRY = """
import datetime
from django.utils import timezone
from chibo.members import tasks
from chibo.members.models import ImportState, Member, RosterImport
job = RosterImport.objects.get()
print("early", tasks.retry(job))  # a job that may still be running is left alone
RosterImport.objects.update(touched_at=timezone.now() - datetime.timedelta(minutes=20))
job.refresh_from_db()
assert job.stalled and job.retryable
print("retried", tasks.retry(job))  # checks the file again (immediate backend: now)
job.refresh_from_db()
print("checked", job.state)
RosterImport.objects.filter(pk=job.pk).update(state=ImportState.IMPORTING)
tasks.import_roster.call(str(job.pk))
job.refresh_from_db()
print("imported", job.state, Member.objects.count())
"""


def test_an_import_killed_midway_leaves_the_database_as_it_was_and_can_be_retried(
    tmp_path: Path,
) -> None:
    url, drop = _new_database(tmp_path)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CHIBO_VAR_DIR": str(tmp_path / "var"),
        "TASK_BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
    }
    try:
        for args in (("migrate", "-v", "0"), ("seed", "--size", "small", "--random-seed", "7")):
            done = _run(env, *args)
            assert done.returncode == 0, done.stderr[-2000:]
        counted = _run(env, "shell", "-v", "0", "-c", COUNT)
        assert counted.returncode == 0, counted.stderr[-2000:]
        lines = counted.stdout.split("\n")
        before, cells = int(lines[0]), lines[1].split()
        roster = write_demo_roster(tmp_path / "roster.xlsx", rows=ROWS, cell_codes=cells)

        worker = subprocess.Popen(  # noqa: S603 - the project's own command
            [sys.executable, "-m", "chibo", "shell", "-v", "0", "-c", START],
            env={**env, "ROSTER": str(roster)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert worker.stdout is not None
        line = worker.stdout.readline()
        assert line.startswith("WROTE"), worker.stderr.read() if worker.stderr else line
        assert int(line.split()[1]) > 0  # rows were written, not yet committed
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)

        state = _run(env, "shell", "-v", "0", "-c", STATE)
        assert state.returncode == 0, state.stderr[-2000:]
        count, job_state, has_file = state.stdout.split()
        assert int(count) == before  # nothing of the killed import remains
        assert (job_state, has_file) == ("importing", "True")

        retried = _run(env, "shell", "-v", "0", "-c", RETRY)
        assert retried.returncode == 0, retried.stderr[-2000:]
        assert "early False" in retried.stdout
        assert "retried True" in retried.stdout
        assert "checked checked" in retried.stdout
        assert f"imported done {before + ROWS}" in retried.stdout
    finally:
        drop()  # type: ignore[operator]


@pytest.mark.django_db
def test_a_failed_import_is_retried_from_its_page(
    client_for, settings, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    from django.contrib.auth.models import User
    from django.core.files.base import ContentFile

    from chibo.members.models import ImportState, RosterImport
    from chibo.orgs.models import Unit

    settings.MEDIA_ROOT = str(tmp_path)
    roster = write_demo_roster(tmp_path / "r.xlsx", rows=5, cell_codes=["X001.01"])
    job = RosterImport.objects.create(
        created_by=User.objects.get(username="bithu1"),
        unit=Unit.objects.get(code="X001.01"),
        file=ContentFile(roster.read_bytes(), name="r.xlsx"),
        filename="r.xlsx",
        state=ImportState.FAILED,
    )
    client = client_for("bithu1")
    page = client.get(f"/members/imports/{job.pk}/").content.decode()
    assert f"/members/imports/{job.pk}/retry/" in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/members/imports/{job.pk}/retry/")
    job.refresh_from_db()
    assert job.state == ImportState.CHECKED  # checked again (the test backend runs at once)
    assert job.summary["rows"] == 5
    # A job that is not stopped is not run twice.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(f"/members/imports/{job.pk}/retry/")
    assert callbacks == []
    job.refresh_from_db()
    assert job.state == ImportState.CHECKED
