"""The benchmark: the product measured on a seeded province, each figure beside a floor
measured in the same run (`chibo bench`, see docs/performance.md).

Runs inside a process whose database is the benchmark's own (the command starts it so), with
production settings (DEBUG off), so that what is measured is what users get.
"""

from __future__ import annotations

import contextlib
import datetime
import http.client
import io
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from importlib import import_module
from pathlib import Path
from typing import Any

import python_calamine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.base import SessionBase
from django.core import signing
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chibo.content.figures import REGULATION_YEARS, training_years
from chibo.demo import write_load
from chibo.demo.roster_file import write_demo_roster
from chibo.lib import replica
from chibo.lib.dates import add_months
from chibo.lib.plans import custom_plans
from chibo.meetings.models import Attendance, Meeting, MeetingKind, MeetingState
from chibo.members.models import Member, MembershipPeriod
from chibo.members.roster_io import import_members
from chibo.orgs.backends import SessionUserBackend
from chibo.orgs.models import Unit
from chibo.reports import figures
from chibo.reports.periodic import periodic_docx, periodic_xlsx
from chibo.reports.periods import parse, year_earlier


class Rollback(Exception):
    """Raised to undo the measured import."""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def dataset() -> dict[str, int]:
    return {
        "units": Unit.objects.count(),
        "cells": Unit.objects.cells().count(),
        "members": Member.objects.count(),
        "meetings": Meeting.objects.count(),
        "attendance_rows": Attendance.objects.count(),
    }


def last_full_year() -> int:
    return timezone.localdate().year - 1


def last_twelve_months() -> tuple[datetime.date, datetime.date]:
    """The twelve months ended before this one: the dashboards' period in the benchmark,
    the same span whatever the length of the seeded history."""
    end = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    start = end.replace(day=1)
    for _ in range(11):
        start = (start - datetime.timedelta(days=1)).replace(day=1)
    return start, end


def targets() -> dict[str, tuple[str, Callable[[], str]]]:
    """The pages measured: who asks, and the address (found in the seeded data)."""

    def cell_meeting() -> str:
        meeting = (
            # The monthly regular meeting (a thematic one adds its topic panel's query).
            Meeting.objects.filter(
                unit__code="X001.01", state=MeetingState.APPROVED, kind=MeetingKind.REGULAR
            )
            .order_by("-scheduled_at")
            .first()
        )
        assert meeting is not None, "the benchmark needs a seed with meeting history"
        return f"/meetings/{meeting.pk}/"

    start, end = last_twelve_months()
    period = f"{start}..{end}"
    return {
        "cell_meeting": ("bithu1", cell_meeting),
        "cell_roster": ("bithu1", lambda: "/units/X001.01/members/"),
        "member_home": ("dangvien1", lambda: "/"),
        "commune_dashboard": ("uyvien1", lambda: f"/units/X001/dashboard/?period={period}"),
        "province_dashboard": ("bantochuc", lambda: f"/units/LV/dashboard/?period={period}"),
    }


def measure_page(client: Client, url: str, requests: int) -> dict[str, float]:
    for _ in range(5):
        response = client.get(url)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
    size = len(response.content)
    # On every database (with a replica, the dashboards' figures are read there).
    with contextlib.ExitStack() as stack:
        captured = [stack.enter_context(CaptureQueriesContext(connections[a])) for a in connections]
        client.get(url)
    queries = sum(len(c) for c in captured)  # now: the next request empties the log
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 0.95), 1),
        "queries": queries,
        # What the page shows, in bytes of HTML: two seeds' pages of the same name may
        # show cells of different sizes (the national comparison prints both).
        "bytes": size,
    }


def measure_pages(requests: int) -> tuple[dict[str, dict[str, float]], float]:
    users = get_user_model().objects
    pages = {}
    for name, (username, url) in targets().items():
        client = Client()
        client.force_login(users.get(username=username))
        pages[name] = measure_page(client, url(), requests)
    floor = measure_page(Client(), "/health/", requests)["p50_ms"]
    return pages, floor


# The to-do list ("Việc cần làm") of each kind of account: the page's time and queries, and
# how many items it lists (chibo.notifications.collector).
TODO_ACCOUNTS = ("bithu1", "uyvien1", "tocongtac1", "bantochuc", "kiemtra", "dangvien1")


def measure_todo(requests: int) -> dict[str, dict[str, float]]:
    from chibo.notifications.collector import todo_items

    users = get_user_model().objects
    found = {}
    for username in TODO_ACCOUNTS:
        user = users.get(username=username)
        client = Client()
        client.force_login(user)
        found[username] = {
            **measure_page(client, "/todo/", requests),
            "items": len(todo_items(users.get(pk=user.pk))),
        }
    return found


# --- aggregate: the dashboard beside the SQL that computes the same figures ------------------

# The figures compared with the same period last year are read again for last year's
# months (`LAST_YEAR_SQL`): the months, the cells, the classification, the new members and
# the weak cells on the list.
MONTHS_SQL = """SELECT cm.month, COUNT(*) FILTER (WHERE cm.regular_held), SUM(cm.meetings),
              SUM(cm.expected), SUM(cm.present), SUM(cm.speakers), SUM(cm.leaders_expected),
              SUM(cm.leaders_present), SUM(cm.leaders_speaking), SUM(cm.upper_attended),
              SUM(cm.level_tot), SUM(cm.level_kha), SUM(cm.level_trung_binh), SUM(cm.level_kem),
              SUM(cm.unscored),
              SUM(cm.level_kem + cm.level_trung_binh) FILTER (WHERE u.is_weak)
       FROM meetings_cellmonth cm JOIN orgs_unit u ON u.id = cm.unit_id
       WHERE u.path LIKE %(path)s AND cm.month BETWEEN %(start)s AND %(end)s
       GROUP BY cm.month"""
CELLS_SQL = """SELECT COUNT(*), COUNT(*) FILTER (WHERE u.is_weak)
       FROM orgs_unit u JOIN orgs_unitkind k ON k.id = u.kind_id
       WHERE k.holds_meetings AND u.path LIKE %(path)s"""
RATINGS_SQL = """SELECT t.cell_level, COUNT(*), SUM(t.excellent), SUM(t.good),
              SUM(t.completed), SUM(t.failed)
       FROM scoring_ratingtally t JOIN orgs_unit u ON u.id = t.unit_id
       WHERE t.year = %(year)s AND u.path LIKE %(path)s GROUP BY t.cell_level"""
ADMISSIONS_SQL = """SELECT COUNT(*), COUNT(*) FILTER (WHERE c.gender = 'female'),
              COUNT(*) FILTER (WHERE c.ethnicity NOT IN ('Kinh', '')),
              COUNT(*) FILTER (WHERE c.religion NOT IN ('Không', '')),
              COUNT(*) FILTER (WHERE c.private_enterprise),
              COUNT(*) FILTER (WHERE c.foreign_invested),
              COUNT(*) FILTER (WHERE c.business_owner), COUNT(*) FILTER (WHERE c.rural)
       FROM development_candidate c JOIN orgs_unit u ON u.id = c.unit_id
       WHERE c.stage IN ('admitted', 'official')
         AND c.admitted_on BETWEEN %(start)s AND %(last_day)s AND u.path LIKE %(path)s"""
WEAK_LISTED_SQL = """SELECT COUNT(DISTINCT w.unit_id) FROM supervision_weakcell w
       JOIN orgs_unit u ON u.id = w.unit_id
       WHERE w.state IN ('listed', 'closed') AND w.listed_on <= %(last_day)s
         AND (w.closed_on IS NULL OR w.closed_on > %(last_day)s) AND u.path LIKE %(path)s"""
LAST_YEAR_SQL = [MONTHS_SQL, CELLS_SQL, RATINGS_SQL, ADMISSIONS_SQL, WEAK_LISTED_SQL]

RAW_SQL = [
    MONTHS_SQL,
    """SELECT substr(u.path, 1, %(child)s), COUNT(*) FILTER (WHERE cm.regular_held),
              SUM(cm.meetings), SUM(cm.expected), SUM(cm.present), SUM(cm.upper_attended),
              SUM(cm.level_tot), SUM(cm.level_kha), SUM(cm.level_trung_binh), SUM(cm.level_kem)
       FROM meetings_cellmonth cm JOIN orgs_unit u ON u.id = cm.unit_id
       WHERE u.path LIKE %(path)s AND cm.month BETWEEN %(start)s AND %(end)s
       GROUP BY 1""",
    """SELECT COUNT(*) FROM (SELECT DISTINCT cm.unit_id, cm.quarter
       FROM meetings_cellmonth cm JOIN orgs_unit u ON u.id = cm.unit_id
       WHERE u.path LIKE %(path)s AND cm.thematic_held
         AND cm.month BETWEEN %(start)s AND %(end)s) AS q""",
    CELLS_SQL,
    """SELECT substr(u.path, 1, %(child)s), COUNT(*)
       FROM orgs_unit u JOIN orgs_unitkind k ON k.id = u.kind_id
       WHERE k.holds_meetings AND u.path LIKE %(path)s GROUP BY 1""",
    RATINGS_SQL,
    """SELECT COUNT(*), COUNT(*) FILTER (WHERE u.cell_type IN ('village', 'residential')),
              COUNT(*) FILTER (WHERE u.cell_type IN ('village', 'residential')
                               AND p.also_village_head),
              COUNT(*) FILTER (WHERE u.cell_type IN ('village', 'residential')
                               AND p.also_front_head),
              COUNT(*) FILTER (WHERE u.cell_type IN ('village', 'residential')
                               AND (p.also_village_head OR p.also_front_head)),
              COUNT(*) FILTER (WHERE p.is_head_of_agency)
       FROM members_post p JOIN orgs_unit u ON u.id = p.unit_id
       WHERE p.kind = 'secretary' AND p.ended_on IS NULL AND u.path LIKE %(path)s""",
    # The upper-level members' visits, per member, and the weak cells on the list.
    """SELECT v.user_id, a.username, a.first_name, a.last_name, COUNT(*),
              COUNT(*) FILTER (WHERE v.state = 'done'), COUNT(*) FILTER (WHERE v.state = 'missed')
       FROM supervision_visit v JOIN meetings_meeting m ON m.id = v.meeting_id
       JOIN orgs_unit u ON u.id = m.unit_id JOIN auth_user a ON a.id = v.user_id
       WHERE m.month BETWEEN %(start)s AND %(end)s AND m.state <> 'cancelled'
         AND u.path LIKE %(path)s
       GROUP BY v.user_id, a.username, a.first_name, a.last_name""",
    WEAK_LISTED_SQL,
    """SELECT COUNT(DISTINCT i.target_id) FROM supervision_inspectionitem i
       JOIN orgs_unit u ON u.id = i.target_id
       WHERE i.year = %(year)s AND i.done AND u.path LIKE %(path)s""",
    # New members by group, and the target (development).
    ADMISSIONS_SQL,
    """SELECT admissions FROM development_target t JOIN orgs_unit u ON u.id = t.unit_id
       WHERE u.path = %(root)s AND t.year = %(year)s""",
    # Thematic meetings on an oriented topic, materials opened, regulations, training
    # (content).
    """SELECT COUNT(*) FROM (SELECT DISTINCT a.unit_id, a.quarter
       FROM content_topicadoption a JOIN meetings_meeting m ON m.id = a.meeting_id
       JOIN orgs_unit u ON u.id = a.unit_id
       WHERE a.year = %(year)s AND m.state IN ('held', 'approved')
         AND u.path LIKE %(path)s) AS q""",
    """SELECT (SELECT COUNT(*) FROM orgs_unit c JOIN orgs_unitkind k ON k.id = c.kind_id
               WHERE k.holds_meetings AND c.path LIKE p.path || '%%')
       FROM content_material m JOIN orgs_unit p ON p.id = m.unit_id
       WHERE m.all_cells AND m.month BETWEEN %(start)s AND %(end)s AND p.path LIKE %(path)s""",
    """SELECT COUNT(*), COUNT(DISTINCT mc.material_id) FROM content_material_cells mc
       JOIN content_material m ON m.id = mc.material_id JOIN orgs_unit u ON u.id = mc.unit_id
       WHERE NOT m.all_cells AND m.month BETWEEN %(start)s AND %(end)s AND u.path LIKE %(path)s""",
    """SELECT COUNT(*) FROM (SELECT DISTINCT r.material_id, mm.unit_id
       FROM content_materialread r JOIN content_material m ON m.id = r.material_id
       JOIN orgs_unit p ON p.id = m.unit_id
       JOIN members_member mm ON mm.user_id = r.user_id JOIN orgs_unit u ON u.id = mm.unit_id
       WHERE r.material_id IN (SELECT id FROM content_material
                               WHERE month BETWEEN %(start)s AND %(end)s)
         AND m.month BETWEEN %(start)s AND %(end)s AND u.path LIKE %(path)s
         AND ((m.all_cells AND u.path LIKE p.path || '%%')
              OR (NOT m.all_cells AND EXISTS (SELECT 1 FROM content_material_cells mc
                  WHERE mc.material_id = m.id AND mc.unit_id = mm.unit_id)))) AS q""",
    """SELECT COUNT(DISTINCT r.unit_id) FROM content_regulation r
       JOIN orgs_unit u ON u.id = r.unit_id
       WHERE r.adopted_on >= %(stale)s AND u.path LIKE %(path)s""",
    # Members on the roll and those whose account can sign in, per unit below (accounts).
    """SELECT substr(u.path, 1, %(child)s), COUNT(*)
       FROM members_member mm JOIN orgs_unit u ON u.id = mm.unit_id
       WHERE mm.status IN ('probationary', 'official', 'exempted', 'suspended', 'detained',
                           'special_duty')
         AND u.path LIKE %(path)s
       GROUP BY 1""",
    """SELECT substr(u.path, 1, %(child)s), COUNT(*)
       FROM auth_user a JOIN members_member mm ON mm.user_id = a.id
       JOIN orgs_unit u ON u.id = mm.unit_id
       WHERE mm.status IN ('probationary', 'official', 'exempted', 'suspended', 'detained',
                           'special_duty')
         AND u.path LIKE %(path)s
         AND (a.password NOT LIKE '!%%' OR EXISTS (
             SELECT 1 FROM django_otp_webauthn_webauthncredential w WHERE w.user_id = a.id))
       GROUP BY 1""",
    """SELECT COUNT(*), COUNT(*) FILTER (WHERE EXISTS (
           SELECT 1 FROM content_course_participants cp JOIN content_course c ON c.id = cp.course_id
           WHERE cp.member_id = p.member_id AND c.ends_on >= %(since)s))
       FROM members_post p JOIN orgs_unit u ON u.id = p.unit_id
       WHERE p.kind = 'secretary' AND p.ended_on IS NULL AND u.path LIKE %(path)s""",
]


def raw_sql_ms(repeats: int = 10) -> float:
    root = Unit.objects.get(code="LV")
    first, last = last_twelve_months()
    today = timezone.localdate()
    params = {
        "path": f"{root.path}%",
        "root": root.path,
        "child": len(root.path) + root.steplen,
        "start": first,
        "end": last.replace(day=1),
        "last_day": last,
        "year": last.year,
        "stale": add_months(today, -12 * REGULATION_YEARS),
        "since": add_months(today, -12 * training_years()),
    }
    last_year = {
        **params,
        "start": year_earlier(first),
        "end": year_earlier(last).replace(day=1),
        "last_day": year_earlier(last),
        "year": last.year - 1,
    }
    times = []
    # Planned for their values, as the dashboard's queries are (chibo.lib.plans).
    with custom_plans(), connection.cursor() as cursor:
        for _ in range(repeats + 2):
            start = time.perf_counter()
            for sql, values in [
                *((sql, params) for sql in RAW_SQL),
                *((sql, last_year) for sql in LAST_YEAR_SQL),
            ]:
                cursor.execute(sql, values)
                cursor.fetchall()
            times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times[2:]), 1)


# --- import and report ---------------------------------------------------------------------


def measure_import(rows: int) -> dict[str, float]:
    cells = list(Unit.objects.cells().order_by("path").values_list("code", flat=True))
    root = Unit.objects.get(code="LV")
    with tempfile.TemporaryDirectory() as folder:
        path = write_demo_roster(Path(folder) / "roster.xlsx", rows=rows, cell_codes=cells)
        start = time.perf_counter()
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        read = sum(1 for _row in book.get_sheet_by_index(0).iter_rows())
        raw = time.perf_counter() - start
        assert read >= rows
        start = time.perf_counter()
        try:
            with transaction.atomic():
                result = import_members(
                    path, unit=root, cells=Unit.objects.cells(), by=None, filename=path.name
                )
                assert not result.errors, result.errors[:3]
                elapsed = time.perf_counter() - start
                raise Rollback
        except Rollback:
            pass
    if connection.vendor == "postgresql":
        # The rolled-back rows stay in the tables as dead tuples until a vacuum; where
        # autovacuum is off (or late) they slowed the next run's pages: planning a query that
        # joins the members went from 0.5 to 1.6 ms after four imports.
        with connection.cursor() as cursor:
            tables = ", ".join(
                connection.ops.quote_name(model._meta.db_table)
                for model in (Member, MembershipPeriod)
            )
            cursor.execute(f"VACUUM (ANALYZE) {tables}")
    return {
        "rows": rows,
        "seconds": round(elapsed, 1),
        "rows_per_s": round(rows / elapsed),
        "raw_read_seconds": round(raw, 2),
        "ratio": round(elapsed / raw, 1),
    }


def measure_report() -> float:
    user = get_user_model().objects.get(username="bantochuc")
    start = time.perf_counter()
    board = figures.build(user, Unit.objects.get(code="LV"), parse(str(last_full_year())))
    # (the report covers the last full year, as the 31/12 report does)
    periodic_docx(board, number="Số 1-BC/TU", date=timezone.localdate(), place="Lâm Viên")
    periodic_xlsx(board)
    return round(time.perf_counter() - start, 2)


# --- replica: the dashboard read from the standby, and how far behind it is -------------------


def replica_caught_up(timeout: float = 60) -> float:
    """Seconds until the replica has replayed everything the primary wrote so far (a
    transaction committed on the primary first, so that there is something to replay).

    The commit is made on a connection of its own: on one inside a transaction (a test's),
    nothing would commit, and the standby would wait for the WAL writer to flush in its own
    time (seconds when it idles) instead of for the replay."""
    probe = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with probe.cursor() as cursor:
            cursor.execute("SELECT txid_current()")  # a commit record: WAL to replay
            cursor.execute("SELECT pg_current_wal_flush_lsn()")  # flushed with that commit
            lsn = cursor.fetchone()[0]
    finally:
        probe.close()
    start = time.perf_counter()
    with connections[replica.REPLICA].cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
            if cursor.fetchone()[0]:
                return time.perf_counter() - start
            if time.perf_counter() - start > timeout:
                raise RuntimeError(f"the replica did not catch up in {timeout} s")
            time.sleep(0.0005)


def measure_replica(requests: int, samples: int = 20) -> dict[str, Any]:
    """The province dashboard read from the replica beside the same page pinned to the
    primary (the pin of a user who has just written), and the replication lag: from a
    commit on the primary to its replay on the standby."""
    replica_caught_up()
    replica.forget_health()
    url = targets()["province_dashboard"][1]()
    user = get_user_model().objects.get(username="bantochuc")
    reader, writer = Client(), Client()
    for client in (reader, writer):
        client.force_login(user)
    writer.cookies[replica.PIN_COOKIE] = signing.get_cookie_signer(
        salt=replica.PIN_COOKIE + replica.PIN_SALT
    ).sign(str(int(time.time()) + 3600))
    with CaptureQueriesContext(connections[replica.REPLICA]) as on_replica:
        reader.get(url)
    queries_on_replica = len(on_replica)  # now: the next request empties the log
    lags = [replica_caught_up() * 1000 for _ in range(samples)]
    return {
        "dashboard_replica": measure_page(reader, url, requests),
        "dashboard_primary": measure_page(writer, url, requests),
        "queries_on_replica": queries_on_replica,
        "lag_ms": {
            "p50": round(statistics.median(lags), 2),
            "max": round(max(lags), 2),
            "samples": samples,
        },
    }


# --- load: a real server under a load generator ------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def session_cookie(username: str) -> str:
    """A logged-in session for `username`, as the login page would make it."""
    user = get_user_model().objects.get(username=username)
    engine = import_module(settings.SESSION_ENGINE)
    session: SessionBase = engine.SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = (
        f"{SessionUserBackend.__module__}.{SessionUserBackend.__qualname__}"
    )
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    assert session.session_key is not None
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def python_load(
    port: int, path: str, cookie: str, seconds: float, concurrency: int
) -> dict[str, float]:
    """A load generator in threads with keep-alive connections (when wrk is not installed)."""
    stop = time.perf_counter() + seconds
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        failed = 0
        while time.perf_counter() < stop:
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Cookie": cookie})
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    failed += 1
            except (OSError, http.client.HTTPException):
                failed += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append((time.perf_counter() - start) * 1000)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "rps": round(len(latencies) / seconds, 1),
        "p99_ms": round(percentile(latencies, 0.99), 1) if latencies else 0.0,
        "errors": errors[0],
    }


def wrk_load(
    port: int, path: str, cookie: str, seconds: float, concurrency: int
) -> dict[str, float]:
    wrk = shutil.which("wrk")
    assert wrk is not None
    output = subprocess.run(  # noqa: S603 - fixed arguments
        [wrk, "-t2", f"-c{concurrency}", f"-d{int(seconds)}s", "--latency", "-H",
         f"Cookie: {cookie}", f"http://127.0.0.1:{port}{path}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    errors = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if non_2xx:
        errors += int(non_2xx.group(1))
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    return {
        "rps": round(rps, 1),
        "p99_ms": round(float(p99.group(1)) * scale[p99.group(2)], 1) if p99 else 0.0,
        "errors": errors,
    }


LOAD_SLICES = 4


@contextlib.contextmanager
def serving(*args: str) -> Iterator[int]:
    """gunicorn serving the real application (with these extra arguments) on a free port,
    until the block ends."""
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own server
        [sys.executable, "-m", "gunicorn", "chibo.wsgi", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", *args],
        env=dict(os.environ),
    )  # fmt: skip
    try:
        deadline = time.time() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/health/")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def measure_load(seconds: float, concurrency: int = 16) -> dict[str, Any]:
    path = targets()["cell_meeting"][1]()
    cookie = session_cookie("bithu1")
    with serving("-w", "2") as port:
        generate = wrk_load if shutil.which("wrk") else python_load
        # The page and the floor take turns in slices (at least one second each), so that
        # a shared machine slowing down for a while slows both alike.
        slices = max(1, min(LOAD_SLICES, int(seconds)))
        part = seconds / slices
        pages, hellos = [], []
        for _ in range(slices):
            pages.append(generate(port, path, cookie, part, concurrency))
            hellos.append(generate(port, "/health/", cookie, part, concurrency))
    rps = round(statistics.fmean(p["rps"] for p in pages), 1)
    hello_rps = round(statistics.fmean(h["rps"] for h in hellos), 1)
    return {
        "generator": "wrk" if shutil.which("wrk") else "python threads",
        "concurrency": concurrency,
        "seconds": seconds,
        "slices": slices,
        "rps": rps,
        "p99_ms": max(p["p99_ms"] for p in pages),
        "errors": sum(p["errors"] + h["errors"] for p, h in zip(pages, hellos, strict=True)),
        "hello_rps": hello_rps,
        "share_of_hello": round(rps / hello_rps, 3) if hello_rps else None,
        # The spread of the share between slices: how far to trust it.
        "share_by_slice": [
            round(p["rps"] / h["rps"], 3) if h["rps"] else None
            for p, h in zip(pages, hellos, strict=True)
        ],
    }


def measure_write_load(seconds: float, clients: int) -> dict[str, Any]:
    """The month-end rush (chibo.demo.write_load): `clients` people of different cells (a
    quarter of them paired with their cell's secretary on one meeting) saving through the
    pages of the server docs/deploy.md runs in production: gunicorn, 4 workers of one
    thread (each answer closes its connection; a client opens the next, as nginx does)."""
    cells = write_load.prepare(clients, clients // 4, session_cookie)
    # Not threads: 2 workers of 8 threads each, on the same code and machine, took 93-116
    # req/s with p99 283-387 ms (SQLite, PostgreSQL), against 118-147 req/s and p99 150-210
    # ms here. Threads of one process share its interpreter lock, so a long save is sliced
    # among seven others instead of waiting its turn once.
    with serving("-w", "4") as port:
        return write_load.run(port, cells, seconds)


def run(
    *,
    size: str,
    requests: int,
    load_seconds: float,
    import_rows: int,
    seed_seconds: float | None,
    plain_load: dict[str, Any] | None = None,
    write_seconds: float = 0,
    write_clients: int = 16,
    phone: bool = False,
) -> dict[str, Any]:
    if replica.configured():
        replica_caught_up(timeout=600)  # the seed, replayed
    pages, floor = measure_pages(requests)
    # The seed against a plain bulk load of the rows it made (chibo.demo.floor).
    seed_floor = None
    if plain_load:
        seed_floor = {**plain_load, "ratio": None}
        if seed_seconds and plain_load["seconds"]:
            seed_floor["ratio"] = round(seed_seconds / plain_load["seconds"], 2)
    result: dict[str, Any] = {
        "db": connection.vendor,
        "size": size,
        "dataset": dataset(),
        "seed_seconds": seed_seconds,
        "seed_floor": seed_floor,
        "pages": pages,
        "floor": {"hello_p50_ms": floor},
    }
    raw = raw_sql_ms()
    dashboard = pages["province_dashboard"]["p50_ms"]
    result["aggregate"] = {
        "province_dashboard_ms": dashboard,
        "raw_sql_ms": raw,
        "ratio": round(dashboard / raw, 2) if raw else None,
    }
    result["report"] = {"periodic_docx_seconds": measure_report()}
    # With a read replica (DATABASE_REPLICA_URL): the dashboards of `pages` read from it.
    result["replica"] = measure_replica(requests) if replica.configured() else None
    result["todo"] = measure_todo(requests)
    # The load before the import: the import's rolled-back rows leave the database work to
    # do afterwards (vacuum), which would be measured as the server's.
    result["load"] = measure_load(load_seconds) if load_seconds else None
    result["write_load"] = (
        measure_write_load(write_seconds, write_clients) if write_seconds else None
    )
    result["import"] = measure_import(import_rows) if import_rows else None
    # The secretary's phone on a rural connection (issue 22; chibo.demo.bench_phone).
    if phone:
        from chibo.demo.bench_phone import measure_phone

        result["phone"] = measure_phone()
    return result


def table(result: dict[str, Any]) -> str:
    out = io.StringIO()
    d = result["dataset"]
    out.write(
        f"{result['db']} · {result['size']} · {d['cells']} cells, {d['members']} members, "
        f"{d['meetings']} meetings, {d['attendance_rows']} attendance rows · "
        f"seed {result['seed_seconds']} s\n"
    )
    if result.get("seed_floor"):
        f = result["seed_floor"]
        out.write(
            f"seed floor: a plain bulk load of its {f['rows']} rows {f['seconds']} s; "
            f"seed {f['ratio']}× that\n"
        )
    out.write(f"{'page':<20}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}\n")
    for name, page in result["pages"].items():
        out.write(f"{name:<20}{page['p50_ms']:>9}{page['p95_ms']:>9}{page['queries']:>9}\n")
    out.write(f"{'hello (floor)':<20}{result['floor']['hello_p50_ms']:>9}\n")
    a = result["aggregate"]
    out.write(
        f"aggregate: dashboard {a['province_dashboard_ms']} ms, raw SQL {a['raw_sql_ms']} ms, "
        f"ratio {a['ratio']}\n"
    )
    out.write(f"report: {result['report']['periodic_docx_seconds']} s\n")
    for username, todo in result.get("todo", {}).items():
        out.write(
            f"to-do of {username:<11}{todo['p50_ms']:>7} ms p50{todo['p95_ms']:>7} ms p95"
            f"{todo['queries']:>4} queries{todo['items']:>5} items\n"
        )
    if result.get("replica"):
        r = result["replica"]
        out.write(
            f"replica: province dashboard p50/p95 {r['dashboard_replica']['p50_ms']} / "
            f"{r['dashboard_replica']['p95_ms']} ms from the replica "
            f"({r['queries_on_replica']} queries there), {r['dashboard_primary']['p50_ms']} / "
            f"{r['dashboard_primary']['p95_ms']} ms pinned to the primary; lag p50 "
            f"{r['lag_ms']['p50']} ms, max {r['lag_ms']['max']} ms\n"
        )
    if result["import"]:
        i = result["import"]
        out.write(
            f"import: {i['rows']} rows in {i['seconds']} s ({i['rows_per_s']}/s), "
            f"reading alone {i['raw_read_seconds']} s, ratio {i['ratio']}\n"
        )
    if result.get("phone"):
        from chibo.demo.bench_phone import phone_table

        out.write(phone_table(result["phone"]))
    if result["load"]:
        load = result["load"]
        out.write(
            f"load ({load['generator']}, c={load['concurrency']}, {load['seconds']} s): "
            f"{load['rps']} req/s, p99 {load['p99_ms']} ms, {load['errors']} errors; "
            f"hello {load['hello_rps']} req/s ({load['share_of_hello']} of it; by slice "
            f"{', '.join(str(x) for x in load['share_by_slice'])})\n"
        )
    if result.get("write_load"):
        w = result["write_load"]
        out.write(
            f"write load ({w['clients']} clients in {w['cells']} cells, {w['pairs']} pairs, "
            f"{w['seconds']} s): {w['rps']} req/s, p50 {w['p50_ms']} / p95 {w['p95_ms']} / "
            f"p99 {w['p99_ms']} ms, {w['errors']} errors, {w['conflicts']} refused as stale, "
            f"{w['lost_writes']} lost writes of {w['saves_acknowledged']} saves\n"
        )
    return out.getvalue()


# --- national size -----------------------------------------------------------------------------

# The province size's pages on PostgreSQL (docs/performance.md, "Pages, load, import and report:
# province, 36 months"): p50 and p95 in ms. The national run compares Lâm Viên's pages with them.
PROVINCE_FIGURES = {
    "cell_meeting": (3.4, 4.5),
    "cell_roster": (7.7, 8.8),
    "member_home": (7.7, 8.5),
    "commune_dashboard": (22.1, 24.4),
    "province_dashboard": (69.5, 72.7),
}


def national_from_cell_months_ms(repeats: int = 5) -> float:
    """The national dashboard's main aggregate computed from the cell-months (what the
    province-month rollup saves): the first statement of `RAW_SQL` over the whole country."""
    root = Unit.objects.get(code="VN")
    first, last = last_twelve_months()
    params: dict[str, Any] = {"path": f"{root.path}%", "start": first, "end": last.replace(day=1)}
    times = []
    with connection.cursor() as cursor:
        for _ in range(repeats + 1):
            start = time.perf_counter()
            cursor.execute(RAW_SQL[0], params)
            cursor.fetchall()
            times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times[1:]), 1)


def national_dataset() -> dict[str, int]:
    """The row counts, from the planner's statistics for the big tables (counting 65 million
    rows takes longer than the benchmark's pages)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reltuples::bigint FROM pg_class WHERE relname = ANY(%s)",
            [["members_member", "meetings_meeting", "meetings_attendance"]],
        )
        estimates = dict(cursor.fetchall())
    return {
        "units": Unit.objects.count(),
        "cells": Unit.objects.cells().count(),
        "members": estimates.get("members_member", 0),
        "meetings": estimates.get("meetings_meeting", 0),
        "attendance_rows": estimates.get("meetings_attendance", 0),
    }


def run_national(
    *, requests: int, seed: dict[str, Any], province: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The national dashboard (from the province-month rollup) and Lâm Viên's pages at
    national size beside the province size's figures: those of `province` (the JSON of a
    province-size run on the same machine) or else those of docs/performance.md."""
    from chibo.demo.national import NATIONAL_ACCOUNT

    start, end = last_twelve_months()
    client = Client()
    client.force_login(get_user_model().objects.get(username=NATIONAL_ACCOUNT))
    dashboard = measure_page(client, f"/units/VN/dashboard/?period={start}..{end}", requests)
    pages, floor = measure_pages(requests)
    reference = {
        name: (p["p50_ms"], p["p95_ms"]) for name, p in (province or {}).get("pages", {}).items()
    } or PROVINCE_FIGURES
    compared = {
        name: {
            "p50_ms": page["p50_ms"],
            "province_p50_ms": reference[name][0],
            "ratio": round(page["p50_ms"] / reference[name][0], 2),
            "bytes": page["bytes"],
            "province_bytes": (province or {}).get("pages", {}).get(name, {}).get("bytes"),
        }
        for name, page in pages.items()
        if name in reference
    }
    raw = raw_sql_ms()
    return {
        "db": connection.vendor,
        "size": "national",
        "dataset": national_dataset(),
        "seed": seed,
        "pages": pages,
        "floor": {"hello_p50_ms": floor},
        "national": {
            "dashboard": dashboard,
            "from_cell_months_ms": national_from_cell_months_ms(),
            "province_pages": compared,
            "province_reference": "same machine" if province else "docs/performance.md",
            "province_floor_ms": (province or {}).get("floor", {}).get("hello_p50_ms"),
            "province_dashboard_raw_sql_ms": raw,
        },
    }


def national_table(result: dict[str, Any]) -> str:
    out = io.StringIO()
    d, seed, n = result["dataset"], result["seed"], result["national"]
    out.write(
        f"{result['db']} · national · {d['cells']} cells, ~{d['members']} members, "
        f"~{d['meetings']} meetings, ~{d['attendance_rows']} attendance rows\n"
    )
    out.write(
        f"seed {seed.get('seed_seconds')} s (steps {seed.get('steps')}), plain COPY of the same "
        f"rows {seed.get('plain_copy_seconds')} s, ratio {seed.get('ratio')}\n"
    )
    dash = n["dashboard"]
    out.write(
        f"national dashboard p50 {dash['p50_ms']} / p95 {dash['p95_ms']} ms "
        f"({dash['queries']} queries); the same aggregate from the cell-months "
        f"{n['from_cell_months_ms']} ms\n"
    )
    out.write(
        f"{'page':<20}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}{'province':>10}{'ratio':>7}"
        f"{'KB (province)':>16}\n"
    )
    for name, page in result["pages"].items():
        c = n["province_pages"].get(name, {})
        kb = f"{page['bytes'] / 1000:.1f}"
        if c.get("province_bytes"):
            kb += f" ({c['province_bytes'] / 1000:.1f})"
        out.write(
            f"{name:<20}{page['p50_ms']:>9}{page['p95_ms']:>9}{page['queries']:>9}"
            f"{c.get('province_p50_ms', ''):>10}{c.get('ratio', ''):>7}{kb:>16}\n"
        )
    out.write(
        "KB: the page's HTML; a page of another size than the province run's shows cells of "
        "another size\n"
    )
    out.write(f"{'hello (floor)':<20}{result['floor']['hello_p50_ms']:>9}\n")
    out.write(f"province dashboard raw SQL {n['province_dashboard_raw_sql_ms']} ms\n")
    return out.getvalue()
