"""The month-end rush (`chibo bench`, key `write_load`): many cells recording their meetings
at once through the real pages of a real server, then every acknowledged write counted back
from the database.

Each client is one person of a different cell: a secretary typing the live minutes (the
chair's conclusion, an agenda item's notes), adding tasks and saving the attendance sheet,
or a member checking in by the meeting's code. In some cells a secretary and a member work
on the same meeting at once. Every client keeps what the server acknowledged (the last text
of each field, the tasks added, the last status given to each member, its own check-in);
after the run the database must hold all of it: anything missing is a lost write.
"""

from __future__ import annotations

import datetime
import http.client
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.utils import timezone

from chibo.meetings import services, stats
from chibo.meetings.models import (
    PRESENT_STATUSES,
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingKind,
    Task,
)
from chibo.members.models import Member, MemberStatus
from chibo.orgs.models import RoleGrant, Unit
from chibo.orgs.permissions import Role, Scope

TIMEOUT = 60
VERSION = re.compile(r'id="live-version" value="(\d+)"')
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CSRF_COOKIE = re.compile(r"csrftoken=([^;]+)")
# The cells of the pages measured elsewhere in the benchmark are left alone.
MEASURED_COMMUNE = "X001"
TOPIC = "Benchmark: month-end rush"


@dataclass
class Cell:
    """A cell taking part: its meeting, its secretary and (for a pair) a member."""

    unit: Unit
    meeting: Meeting
    secretary: str
    member: str = ""
    member_pk: int = 0


@dataclass
class Tally:
    """What one client sent and what the server acknowledged."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    conflicts: int = 0
    texts: dict[str, str] = field(default_factory=dict)  # field -> last text saved
    tasks: int = 0
    statuses: dict[int, str] = field(default_factory=dict)  # member -> last status saved
    checked_in: bool = False
    saved: int = 0  # saves acknowledged
    error_samples: list[str] = field(default_factory=list)


def prepare(clients: int, pairs: int, make_session: Any) -> list[Cell]:
    """Cells for `clients` people, `pairs` of them sharing a meeting: each gets a meeting
    being held now (planned by this run) and accounts made for the benchmark."""
    users = get_user_model().objects
    cells_needed = clients - pairs
    units = list(
        Unit.objects.cells()
        .active()
        .exclude(path__startswith=Unit.objects.get(code=MEASURED_COMMUNE).path)
        .order_by("path")
    )
    # Cells whose roster has at least a few members, spread over the province.
    chosen: list[Unit] = []
    step = max(1, len(units) // max(1, cells_needed))
    for unit in units[::step] + units:
        if len(chosen) == cells_needed:
            break
        if (
            unit not in chosen
            and Member.objects.filter(unit=unit, status=MemberStatus.OFFICIAL).count() >= 3
        ):
            chosen.append(unit)
    if len(chosen) < cells_needed:
        raise RuntimeError(f"the write load needs {cells_needed} cells with members")
    # The meetings of an earlier run go: every run measures cells holding their seeded
    # history and the one meeting of this run (a cell with thirty meetings in the month
    # recomputes thirty meetings' figures at each save that changes one).
    earlier = Meeting.objects.filter(unit__in=chosen, topic=TOPIC)
    months = set(earlier.values_list("unit_id", "month"))
    if months:
        earlier.delete()
        stats.refresh(also=months)
    now = timezone.now()
    cells = []
    for index, unit in enumerate(chosen):
        meeting = services.plan_meeting(
            unit=unit,
            kind=MeetingKind.EXTRAORDINARY,
            # Being held now: check-in is open and so is the recording.
            scheduled_at=now - datetime.timedelta(minutes=5),
            place="Hội trường",
            topic=TOPIC,
            by=None,
            submission=uuid.uuid4(),
        )
        secretary, _made = users.get_or_create(username=f"bench_bithu_{unit.code}")
        RoleGrant.objects.get_or_create(
            user=secretary,
            unit=unit,
            role=Role.SECRETARY,
            defaults={"scope": Scope.UNIT, "valid_from": datetime.date(2000, 1, 1)},
        )
        cell = Cell(unit=unit, meeting=meeting, secretary=make_session(secretary.username))
        if index < pairs:
            member = (
                Member.objects.filter(unit=unit, status=MemberStatus.OFFICIAL)
                .order_by("pk")
                .first()
            )
            assert member is not None
            if member.user_id is None:
                account = users.create(username=f"bench_dv_{unit.code}")
                Member.objects.filter(pk=member.pk).update(user=account)
                member.user = account
            RoleGrant.objects.get_or_create(
                user_id=member.user_id,
                unit=unit,
                role=Role.MEMBER,
                defaults={"scope": Scope.UNIT, "valid_from": datetime.date(2000, 1, 1)},
            )
            cell.member = make_session(member.user.username)  # type: ignore[union-attr]
            cell.member_pk = member.pk
        cells.append(cell)
    return cells


class Browser:
    """One person's keep-alive connection, with their cookies and the page's CSRF token."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port = port
        self.cookie = cookie
        self.csrf = ""
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)

    def request(
        self, method: str, path: str, data: dict[str, Any] | None = None, *, htmx: bool = False
    ) -> tuple[int, str]:
        headers = {"Cookie": self.cookie}
        body = None
        if data is not None:
            body = urlencode(data, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.csrf
        if htmx:
            headers["HX-Request"] = "true"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
            raise
        cookie = CSRF_COOKIE.search(response.getheader("Set-Cookie") or "")
        if cookie and "csrftoken=" not in self.cookie:
            self.cookie += f"; csrftoken={cookie.group(1)}"
        token = CSRF_INPUT.search(text)
        if token:
            self.csrf = token.group(1)
        return response.status, text

    def close(self) -> None:
        self.conn.close()


def _timed(tally: Tally, browser: Browser, *args: Any, **kwargs: Any) -> tuple[int, str]:
    start = time.perf_counter()
    try:
        status, text = browser.request(*args, **kwargs)
    except (OSError, http.client.HTTPException) as error:
        tally.latencies.append((time.perf_counter() - start) * 1000)
        tally.errors += 1
        if len(tally.error_samples) < 3:
            tally.error_samples.append(repr(error))
        return 0, ""
    tally.latencies.append((time.perf_counter() - start) * 1000)
    if status not in (200, 302):
        tally.errors += 1
        if len(tally.error_samples) < 3:
            tally.error_samples.append(f"{status} {args[1]}")
    return status, text


class Start:
    """Every client gets its page first; the clock starts when all have."""

    def __init__(self, clients: int, seconds: float) -> None:
        self.seconds = seconds
        self.started = self.stop = 0.0
        self.barrier = threading.Barrier(clients, action=self._go)

    def _go(self) -> None:
        self.started = time.perf_counter()
        self.stop = self.started + self.seconds

    def wait(self) -> float:
        """The time to stop at."""
        self.barrier.wait()
        return self.stop


def _first(browser: Browser, path: str) -> tuple[int, str]:
    """The page a client starts from (its form and CSRF token); (0, "") if unreachable."""
    try:
        return browser.request("GET", path)
    except (OSError, http.client.HTTPException):
        return 0, ""


def secretary(port: int, cell: Cell, start: Start, name: str, tally: Tally) -> None:
    """Types the live minutes, adds tasks and saves the attendance, as fast as answered."""
    browser = Browser(port, cell.secretary)
    meeting = cell.meeting
    base = f"/meetings/{meeting.pk}"
    status, page = _first(browser, f"{base}/live/")
    found = VERSION.search(page)
    stop = start.wait()
    if status != 200 or not found:
        tally.errors += 1
        tally.error_samples.append(f"live page {status}")
        return
    version = int(found.group(1))
    item = AgendaItem.objects.filter(meeting=meeting).order_by("order", "pk").first()
    fields = ["conclusion"] + ([f"item_{item.pk}"] if item else [])
    members = [
        pk
        for pk in Member.objects.filter(unit=cell.unit, status=MemberStatus.OFFICIAL)
        .order_by("pk")
        .values_list("pk", flat=True)
        if pk != cell.member_pk
    ][:12]
    rng = random.Random(name)
    count = 0
    while time.perf_counter() < stop:
        count += 1
        action = rng.choice(["text", "text", "task", "attendance"])
        if action == "text":
            text_field = rng.choice(fields)
            text = f"{name} {text_field} {count}: đồng chí bí thư ghi biên bản."
            data: dict[str, Any] = {"field": text_field, "text": text, "version": version}
            status, body = _timed(tally, browser, "POST", f"{base}/live/text/", data, htmx=True)
        elif action == "task":
            data = {
                "title": f"bench {name} task {count}",
                "owned_by_committee": "on",
                "deadline": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
                "version": version,
            }
            status, body = _timed(tally, browser, "POST", f"{base}/live/task/", data, htmx=True)
        else:
            # Latecomers and absentees as the meeting goes on: most saves change the counts
            # (and so the meeting's figures), as a real sheet's do.
            given = {
                pk: rng.choice(
                    [
                        AttendanceStatus.PRESENT,
                        AttendanceStatus.LATE,
                        AttendanceStatus.ABSENT_UNEXCUSED,
                    ]
                )
                for pk in members
            }
            data = {f"status_{pk}": value for pk, value in given.items()}
            data.update({f"reason_{pk}": "" for pk in given})
            data["version"] = version
            status, body = _timed(tally, browser, "POST", f"{base}/attendance/", data, htmx=True)
        found = VERSION.search(body) if status == 200 else None
        if found and int(found.group(1)) > version:
            version = int(found.group(1))
            tally.saved += 1
            if action == "text":
                tally.texts[text_field] = text
            elif action == "task":
                tally.tasks += 1
            else:
                tally.statuses.update({pk: str(value) for pk, value in given.items()})
        elif status == 200:
            # Refused (another save came first, or the form was judged invalid): read the
            # page again, as the secretary would.
            tally.conflicts += 1
            _status, page = browser.request("GET", f"{base}/live/")
            again = VERSION.search(page)
            version = int(again.group(1)) if again else version
    browser.close()


def member(port: int, cell: Cell, start: Start, tally: Tally) -> None:
    """Checks in by the meeting's code, again and again (each one a write)."""
    browser = Browser(port, cell.member)
    path = f"/meetings/{cell.meeting.pk}/checkin/{cell.meeting.checkin_code}/"
    status, _page = _first(browser, path)
    stop = start.wait()
    if status != 200:
        tally.errors += 1
        tally.error_samples.append(f"check-in page {status}")
        return
    while time.perf_counter() < stop:
        status, _body = _timed(tally, browser, "POST", path, {})
        if status == 302:
            tally.checked_in = True
            tally.saved += 1
    browser.close()


def lost_writes(cells: list[Cell], tallies: dict[str, Tally]) -> int:
    """The acknowledged writes the database does not hold."""
    lost = 0
    for index, cell in enumerate(cells):
        name = f"s{index}"
        tally = tallies[name]
        meeting = Meeting.objects.get(pk=cell.meeting.pk)
        for text_field, text in tally.texts.items():
            if text_field == "conclusion":
                lost += meeting.conclusion != text
            else:
                item = AgendaItem.objects.get(pk=int(text_field[5:]))
                lost += item.notes != text
        lost += max(
            0,
            tally.tasks
            - Task.objects.filter(meeting=meeting, title__startswith=f"bench {name} task ").count(),
        )
        recorded = dict(
            Attendance.objects.filter(
                meeting=meeting, member_id__in=list(tally.statuses)
            ).values_list("member_id", "status")
        )
        lost += sum(recorded.get(pk) != value for pk, value in tally.statuses.items())
        if cell.member_pk:
            checked = tallies[f"m{index}"].checked_in
            row = Attendance.objects.filter(meeting=meeting, member_id=cell.member_pk).first()
            lost += checked and (row is None or row.status not in PRESENT_STATUSES)
    return int(lost)


def run(port: int, cells: list[Cell], seconds: float) -> dict[str, Any]:
    from chibo.demo.bench import percentile

    start = Start(len(cells) + sum(1 for cell in cells if cell.member), seconds)
    tallies: dict[str, Tally] = {}
    threads = []
    for index, cell in enumerate(cells):
        tallies[f"s{index}"] = Tally()
        threads.append(
            threading.Thread(
                target=secretary, args=(port, cell, start, f"s{index}", tallies[f"s{index}"])
            )
        )
        if cell.member:
            tallies[f"m{index}"] = Tally()
            threads.append(
                threading.Thread(target=member, args=(port, cell, start, tallies[f"m{index}"]))
            )
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start.started
    latencies = [ms for tally in tallies.values() for ms in tally.latencies]
    return {
        "clients": len(threads),
        "cells": len(cells),
        "pairs": sum(1 for cell in cells if cell.member),
        "seconds": seconds,
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 0.50), 1) if latencies else 0.0,
        "p95_ms": round(percentile(latencies, 0.95), 1) if latencies else 0.0,
        "p99_ms": round(percentile(latencies, 0.99), 1) if latencies else 0.0,
        "errors": sum(tally.errors for tally in tallies.values()),
        "conflicts": sum(tally.conflicts for tally in tallies.values()),
        "lost_writes": lost_writes(cells, tallies),
        "saves_acknowledged": sum(tally.saved for tally in tallies.values()),
        "error_samples": [s for tally in tallies.values() for s in tally.error_samples][:5],
    }
