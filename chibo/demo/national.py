"""The national size: 34 provinces built like the province size under a national unit, with
their members and a year of meetings, loaded with COPY (PostgreSQL only; the province size
is loaded the same way, on SQLite too: `chibo.demo.seed.seed_province_by_copy`).

At full size this is about 5.6 million members, 1.7 million meetings and 65 million
attendance rows, so nothing here makes a model instance per row: every row is a line of
COPY text with its own key, generated province by province and month by month, and sent
to the server as it is made. The dashboards' rollups (`MeetingStats`, `CellMonth`) are
written in the same pass, from the figures the generator already has, instead of being
recomputed from the attendance afterwards; the national rollup is then one aggregate of
the cell-months (`chibo.reports.national.rebuild`).

The seed's floor (`plain_copy`) is a plain COPY of the same rows, read back from the
tables after the seed, into tables without indexes, constraints or triggers.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import json
import multiprocessing
import queue
import random
import secrets
import tempfile
import threading
import time
import traceback
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from chibo.demo import copy_text, names
from chibo.demo.floor import copy_table_into_scratch
from chibo.demo.history import RATING_FIELDS, SPEECHES, TASKS, TOPICS, YearTally, year_ratings
from chibo.demo.history import Person as RatedPerson
from chibo.demo.seed import (
    ANCHOR,
    HISTORY_END,
    MEASURED_CELL,
    MEASURED_CELL_MEMBERS,
    SIZES,
    TERM_START,
    VACUUMED,
    ProvinceBuilder,
    Size,
    analyze,
    create_demo_accounts,
)
from chibo.lib import vntext
from chibo.lib.dates import add_months, quarter_of
from chibo.meetings.models import (
    AgendaItem,
    Attendance,
    CellMonth,
    Guest,
    ItemKind,
    Meeting,
    MeetingKind,
    MeetingStats,
    Speech,
    Task,
)
from chibo.meetings.services import DEFAULT_AGENDAS
from chibo.meetings.votes import counts_for_vote
from chibo.members import rules
from chibo.members.models import Member, MembershipPeriod, Post
from chibo.orgs.models import CellType, RoleGrant, Unit
from chibo.orgs.permissions import Role, Scope
from chibo.scoring.classification import COMMUNE_LEVEL
from chibo.scoring.engine import DEFAULT_SETTINGS, MeetingFacts, MemberFact, evaluate
from chibo.scoring.models import AnnualRating, MeetingScore, Rubric

PROVINCES = 34
NATIONAL_CODE = "VN"
NATIONAL_ACCOUNT = "trunguong"
# The province size's tree with a tenth more members per cell: 34 provinces of about
# 4,050 cells and 165,000 members make the 5.6 million of the country.
NATIONAL = replace(SIZES["province"], members_per_cell=(11, 71), history_months=12)

MEETING_COLUMNS = [
    "id", "unit_id", "kind", "month", "scheduled_at", "place", "topic", "state", "state_reason",
    "drafter_id", "committee_met_on", "notified_on", "materials_published_on", "draft_resolution",
    "chair_id", "minutes_secretary_id", "started_at", "ended_at", "conclusion", "resolution",
    "votes_for", "votes_against", "votes_abstain", "approved_at", "checkin_code", "version",
    "quality_level", "minutes_seal",
]  # fmt: skip
TABLES: dict[str, tuple[type[Any], list[str]]] = {
    "unit": (Unit, [
        "id", "path", "depth", "numchild", "code", "name", "cell_type", "is_rural",
        "is_difficult_area", "is_weak", "is_non_state_enterprise", "active_from", "close_reason",
        "kind_id",
    ]),
    "member": (Member, [
        "id", "unit_id", "full_name", "family_name", "middle_name", "given_name", "sort_key",
        "search_name", "gender", "birth_date", "card_number", "citizen_id", "status",
        "admitted_on", "official_on", "education", "ethnicity", "religion", "phone",
        "holds_leadership_post", "left_reason", "notes", "occupation", "version",
    ]),
    "period": (MembershipPeriod, [
        "id", "member_id", "unit_id", "status", "started_on", "change", "reason", "decision",
        "recorded_at",
    ]),
    "post": (Post, [
        "id", "member_id", "unit_id", "kind", "started_on", "end_reason", "also_village_head",
        "also_front_head", "is_head_of_agency",
    ]),
    "meeting": (Meeting, MEETING_COLUMNS),
    "attendance": (Attendance, [
        "id", "meeting_id", "member_id", "status", "reason", "member_status",
        "attached_from_elsewhere",
    ]),
    "item": (AgendaItem, ["id", "meeting_id", "order", "kind", "title", "notes"]),
    "speech": (Speech, ["id", "item_id", "member_id", "gist"]),
    "task": (Task, [
        "id", "meeting_id", "title", "owner_id", "owned_by_committee", "deadline", "status",
        "progress", "done_on",
    ]),
    "score": (MeetingScore, [
        "id", "meeting_id", "rubric_id", "cell_points", "cell_total", "cell_level",
        "members_for", "members_against", "proposed_at", "upper_points", "upper_total",
        "upper_level", "upper_comment", "confirmed_at", "settings", "seal",
    ]),
    "guest": (Guest, ["id", "meeting_id", "name", "title", "is_upper_attendee"]),
    "stats": (MeetingStats, [
        "meeting_id", "expected", "present", "absent_excused", "absent_unexcused", "speakers",
        "leaders_expected", "leaders_present", "leaders_speaking", "upper_attended",
        "duration_minutes",
    ]),
    "cellmonth": (CellMonth, [
        "id", "unit_id", "month", "quarter", "meetings", "regular_held", "thematic_held",
        "expected", "present", "speakers", "leaders_expected", "leaders_present",
        "leaders_speaking", "upper_attended", "level_tot", "level_kha", "level_trung_binh",
        "level_kem", "unscored",
    ]),
    # The years' classifications (the province size's years seen whole).
    "rating": (AnnualRating, ["id", *RATING_FIELDS]),
}  # fmt: skip

PLACE = "Hội trường chi bộ"
NOTES = "<p>Đã thảo luận.</p>"
ABSENCE_REASONS = ["Ốm", "Đi công tác", "Việc gia đình", "Đi làm ăn xa"]
# The cell-month's level columns (tot, kha, trung_binh, kem) for a meeting of each level.
LEVEL_ROWS = {
    level: "\t".join(
        "1" if level == column else "0" for column in ("tot", "kha", "trung_binh", "kem")
    )
    for level in ("tot", "kha", "trung_binh", "kem")
}


NULL = "\\N"
HIGHLAND = ["K'Ho", "Mạ", "Chu Ru"]


def _t(value: bool) -> str:
    return "t" if value else "f"


def _n(value: object) -> str:
    return NULL if value is None else str(value)


class Streams:
    """COPY text per table: the generator appends lines to `lines` and hands them over with
    `take`; `send` copies a batch, `pack`ed, to the server."""

    def __init__(self) -> None:
        self.lines: dict[str, list[str]] = {name: [] for name in TABLES}
        self.rows: dict[str, int] = dict.fromkeys(TABLES, 0)

    def take(self) -> dict[str, list[str]]:
        batch, self.lines = self.lines, {name: [] for name in TABLES}
        return batch

    def send(self, packed: Packed) -> None:
        if connection.vendor != "postgresql":
            for name, (data, count) in packed.items():
                copy_text.insert(*TABLES[name], data.decode())
                self.rows[name] += count
            return
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            for name, (data, count) in packed.items():
                model, columns = TABLES[name]
                statement = (
                    f"COPY {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)})"
                    " FROM STDIN"
                )
                with cursor.cursor.copy(statement) as copy:
                    copy.write(data)
                self.rows[name] += count


# A batch as sent between processes: per table, its COPY text encoded and its line count.
Packed = dict[str, tuple[bytes, int]]


def pack(batch: dict[str, list[str]]) -> Packed:
    return {name: ("".join(lines).encode(), len(lines)) for name, lines in batch.items() if lines}


@dataclass
class Person:
    pk: int
    official: bool
    admitted_on: datetime.date
    leader: bool


@dataclass
class Cell:
    pk: int
    weak: bool
    people: list[Person] = field(default_factory=list)
    # The key of its commune-level unit: the group of cells in which its classification's
    # quota is counted.
    group: int = 0
    latest_admission: datetime.date | None = None

    def all_admitted_by(self, day: datetime.date) -> bool:
        if self.latest_admission is None:
            self.latest_admission = max((p.admitted_on for p in self.people), default=ANCHOR)
        return self.latest_admission <= day


def pack_cells(cells: list[Cell]) -> tuple[bytes, ...]:
    """`cells` with their people as a few arrays: a list of dataclasses took 1.5 s per
    province to pickle and unpickle between processes."""
    people = [p for c in cells for p in c.people]
    return (
        array("q", [c.pk for c in cells]).tobytes(),
        bytes(c.weak for c in cells),
        array("q", [len(c.people) for c in cells]).tobytes(),
        array("q", [p.pk for p in people]).tobytes(),
        array("q", [p.admitted_on.toordinal() for p in people]).tobytes(),
        bytes(p.official | p.leader << 1 for p in people),
        array("q", [c.group for c in cells]).tobytes(),
    )


def unpack_cells(packed: tuple[bytes, ...]) -> list[Cell]:
    pks, weak, sizes, members, admitted, flags, groups = packed
    dates: dict[int, datetime.date] = {}
    member_pks = array("q", members)
    days = array("q", admitted)
    cells = []
    at = 0
    for pk, is_weak, size, group in zip(
        array("q", pks), weak, array("q", sizes), array("q", groups), strict=True
    ):
        people = []
        for i in range(at, at + size):
            day = days[i]
            on = dates.get(day)
            if on is None:
                on = dates[day] = datetime.date.fromordinal(day)
            people.append(Person(member_pks[i], bool(flags[i] & 1), on, bool(flags[i] & 2)))
        cells.append(Cell(pk, bool(is_weak), people, group))
        at += size
    return cells


class NationalBuilder(ProvinceBuilder):
    """The units of one province under the national unit; members as COPY lines."""

    def __init__(self, size: Size, rng: random.Random, streams: Streams, ids: Ids) -> None:
        super().__init__(size, rng)
        self.streams = streams
        self.ids = ids
        self.prefix = ""
        self.namespace = ""
        self.province_code = 1
        self.cells: dict[str, Cell] = {}
        self.names: dict[str, str] = {}
        self.first_official: dict[int, int] = {}
        # The first day of official membership of each day of admission (a rule's answer).
        self.probation_ends: dict[datetime.date, datetime.date] = {}
        # Whether a member may hold a cell post on the term's first day, per status and day
        # of official membership (a rule's answer).
        self.may_hold_posts: dict[tuple[str, datetime.date | None], bool] = {}

    def unit(self, parent: Unit | None, code: str, name: str, kind: str, **flags: object) -> Unit:
        code = self.prefix + code if parent is not None and parent.depth > 1 else code
        if parent is not None and parent.depth == 1 and kind != "tinh_uy":
            code = self.prefix + code
        unit = super().unit(parent, code, name, kind, **flags)
        return unit

    def members_for(self, cell: Unit) -> None:
        # Called from `unit` before the unit has its key: keys come from the order of units.
        cell.pk = cell_pk = self.ids.next("unit_planned")
        record = self.cells[cell.code] = Cell(cell_pk, bool(cell.is_weak))
        random = self.rng.random
        member_lines = self.streams.lines["member"]
        period_lines = self.streams.lines["period"]
        highland = cell.is_difficult_area
        low, high = self.size.members_per_cell
        pk = self.ids.last.get("member", 0)
        period = self.ids.last.get("period", 0)
        recorded_at = self.ids.recorded_at
        people = record.people
        ends = self.probation_ends
        holders = self.may_hold_posts
        secretaries = self.first_official
        members = low + int(random() * (high - low + 1))
        if self.province_code == 1 and cell.code == self.prefix + MEASURED_CELL:  # Lâm Viên's
            members = MEASURED_CELL_MEMBERS
        for _ in range(members):
            female = random() < 0.38
            if highland and random() < 0.5:
                first = _pick(random, names.HIGHLAND_FEMALE if female else names.HIGHLAND_MALE)
                given = _pick(random, names.GIVEN_FEMALE if female else names.GIVEN_MALE)
                full = f"{first} {given}"
            else:
                family = _pick(random, FAMILY_POOL)
                middle = _pick(random, names.MIDDLE_FEMALE if female else names.MIDDLE_MALE)
                given = _pick(random, names.GIVEN_FEMALE if female else names.GIVEN_MALE)
                full = f"{family} {middle} {given}"
            parts = self.names.get(full)
            if parts is None:
                split = vntext.split_name(full)
                parts = self.names[full] = "\t".join(
                    (
                        split.full, split.family, split.middle, split.given,
                        vntext.collation_key(split.given, split.middle, split.family),
                        vntext.fold(split.full),
                    )
                )  # fmt: skip
            age_days = 22 * 365 + int(random() * (56 * 365 + 1))
            birth = ANCHOR - datetime.timedelta(days=age_days)
            probationary = random() < 0.04
            if probationary:
                admitted = ANCHOR - datetime.timedelta(days=30 + int(random() * 301))
                official_on = None
            else:
                latest = min(age_days - 365, 45 * 365)
                admitted = birth + datetime.timedelta(
                    days=19 * 365 + int(random() * (latest - 19 * 365 + 1))
                )
                official_on = ends.get(admitted)
                if official_on is None:
                    official_on = ends[admitted] = rules.probation_ends_on(admitted)
            self.card += 1
            pk += 1
            period += 1
            century_gender = (0 if birth.year < 2000 else 2) + (1 if female else 0)
            leader = pk % 9 == 4
            status = "probationary" if probationary else "official"
            card = NULL if probationary else f"{70000000 + pk:08d}"
            ethnicity = _pick(random, HIGHLAND) if highland and random() < 0.5 else "Kinh"
            member_lines.append(
                f"{pk}\t{cell_pk}\t{parts}\t{'female' if female else 'male'}\t{birth}\t{card}\t"
                f"{self.province_code:03d}{century_gender}{birth.year % 100:02d}"
                f"{self.card % 1_000_000:06d}\t{status}\t{admitted}\t{_n(official_on)}\t"
                f"{_pick(random, EDUCATION)}\t{ethnicity}\t{_pick(random, RELIGION_POOL)}\t"
                f"09{10_000_000 + int(random() * 90_000_000)}\t{_t(leader)}\t\t\t\t1\n"
            )
            period_lines.append(
                f"{period}\t{pk}\t{cell_pk}\t{status}\t{admitted}\tcreated\t\t\t{recorded_at}\n"
            )
            people.append(Person(pk, not probationary, admitted, leader))
            # The first member who may hold a post on the term's first day is the secretary
            # (POST-1: the rule's answer kept per status and day of official membership).
            if cell_pk not in secretaries:
                may_hold = holders.get((status, official_on))
                if may_hold is None:
                    may_hold = holders[status, official_on] = not rules.holder_problem(
                        status=status, official_on=official_on, on=TERM_START
                    )
                if may_hold:
                    secretaries[cell_pk] = pk
        self.ids.last["member"] = pk
        self.ids.last["period"] = period


def _pick(random: Callable[[], float], seq: Sequence[str]) -> str:
    return seq[int(random() * len(seq))]


EDUCATION = ["Trung cấp", "Cao đẳng", "Đại học", "Thạc sĩ", "12/12", "9/12"]
RELIGION_POOL = ["Không"] * 80 + ["Phật giáo"] * 8 + ["Công giáo"] * 9 + ["Tin Lành"] * 3
# The family names as often as their weights say (a draw is one index).
FAMILY_POOL = [name for name, weight in names.FAMILY_NAMES for _ in range(weight)]


class Ids:
    """The next key of each table: given here, after the largest already in the database,
    rather than asked of it (the sequences are moved past them after the load)."""

    def __init__(self) -> None:
        self.last: dict[str, int] = {}
        self.recorded_at = f"{TERM_START} 08:00:00+07"
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            for name, (model, _columns) in TABLES.items():
                key = qn(model._meta.pk.column)
                cursor.execute(f"SELECT MAX({key}) FROM {qn(model._meta.db_table)}")  # noqa: S608
                self.last[name] = cursor.fetchone()[0] or 0
        self.last["unit_planned"] = self.last.pop("unit")

    def next(self, name: str) -> int:
        value = self.last.get(name, 0) + 1
        self.last[name] = value
        return value


def scaled(size: Size, scale: float) -> Size:
    """The size with `scale` times the commune-level units (at least one commune), the same
    cells per commune and members per cell: the proportions of the province size."""
    if scale >= 1:
        return size
    return replace(
        size,
        communes=max(1, round(size.communes * scale)),
        wards=round(size.wards * scale),
        special_zones=round(size.special_zones * scale),
        direct_committees=max(1, round(size.direct_committees * scale)),
    )


def _json(value: dict[str, Any]) -> str:
    """JSON as a COPY text field (backslashes doubled)."""
    return json.dumps(value, ensure_ascii=False).replace("\\", "\\\\")


class Scores:
    """The rubric's verdicts, computed once per kind of meeting: (kind, weak, judged,
    attendance decile, upper) → (points JSON, total, level). The engine is exact for the
    first meeting of each key and the same verdict is reused for the others."""

    def __init__(self) -> None:
        rubric = Rubric.objects.latest_of("HD12-100")
        assert rubric is not None, "the scoring migrations add HD12-100"
        self.rubric_id = rubric.pk
        self.spec = rubric.spec()
        self.settings = _json(DEFAULT_SETTINGS.as_dict())
        self.cache: dict[tuple[Any, ...], tuple[str, int, str]] = {}

    def verdict(
        self, key: tuple[Any, ...], facts: Callable[[], MeetingFacts]
    ) -> tuple[str, int, str]:
        found = self.cache.get(key)
        if found is None:
            result = evaluate(facts(), self.spec)
            points = _json({c.code: c.points for c in result.criteria})
            found = self.cache[key] = (points, result.total, result.level)
        return found


def _history(
    cells: list[Cell],
    streams: Streams,
    ids: Ids,
    scores: Scores,
    rng: random.Random,
    months: int,
    batch: Callable[[], None],
    rate_years: Sequence[int] = (),
) -> dict[int, YearTally]:
    """`months` of approved meetings of every cell of one province and the planned meeting
    of `HISTORY_END`, with their attendance, agenda, speeches, tasks, scores, upper-level
    guests and rollups; `batch` is called after each month. Returns, for each of
    `rate_years`, what its classifications need of its meetings."""
    random = rng.random
    tallies = {year: YearTally() for year in rate_years}
    agendas = {kind: DEFAULT_AGENDAS[kind] for kind in (MeetingKind.REGULAR, MeetingKind.COMBINED)}
    spoken = (ItemKind.CRITICISM, ItemKind.SITUATION)
    # Who is in the vote's denominator (QĐ 24 9.3.2): the rule's answer for each member
    # status and attendance the history writes.
    written = ("present", "late", "absent_excused", "absent_unexcused")
    official_counted = {status: counts_for_vote("official", status) for status in written}
    probationary_counted = {status: counts_for_vote("probationary", status) for status in written}
    last = ids.last
    meeting_id, attendance_id = last.get("meeting", 0), last.get("attendance", 0)
    item_id, speech_id, task_id = last.get("item", 0), last.get("speech", 0), last.get("task", 0)
    score_id, guest_id, month_id = (
        last.get("score", 0),
        last.get("guest", 0),
        last.get("cellmonth", 0),
    )
    for step in range(months, -1, -1):
        lines = streams.lines
        attendance, items, speeches = lines["attendance"], lines["item"], lines["speech"]
        month = add_months(HISTORY_END, -step)
        deadline = add_months(month, 1)
        planned_only = step == 0
        kind = MeetingKind.COMBINED if month.month % 3 == 0 else MeetingKind.REGULAR
        agenda = agendas[kind]
        thematic = _t(kind == MeetingKind.COMBINED)
        quarter = quarter_of(month)
        days = [datetime.date(month.year, month.month, d) for d in range(3, 11)]
        tally = None if planned_only else tallies.get(month.year)
        unexcused_of = None if tally is None else tally.unexcused
        for cell in cells:
            weak = cell.weak
            if not planned_only and weak and random() < 0.15:
                continue
            day = days[int(random() * 8)]
            hour = (8, 14, 19, 19, 19)[int(random() * 5)]
            roster = (
                cell.people
                if cell.all_admitted_by(day)
                else [p for p in cell.people if p.admitted_on <= day]
            )
            if len(roster) < 2:
                continue
            meeting_id += 1
            topic = _pick(random, TOPICS) if kind == MeetingKind.COMBINED else ""
            start = f"{day} {hour:02d}:00:00+07"
            code = secrets.token_urlsafe(12)
            if planned_only:
                lines["meeting"].append(
                    f"{meeting_id}\t{cell.pk}\t{kind}\t{month}\t{start}\t{PLACE}\t{topic}\t"
                    f"planned\t\t\\N\t\\N\t\\N\t\\N\t\t\\N\t\\N\t\\N\t\\N\t\t\t\\N\t\\N\t\\N\t\\N\t"
                    f"{code}\t1\t\t\n"
                )
                continue
            officials = [p for p in roster if p.official]
            chair, second = (officials + [p for p in roster if not p.official])[:2]
            absent_rate = 0.22 if weak else 0.07
            excused_below = absent_rate * (0.7 if weak else 0.93)
            late_below = absent_rate + 0.03
            present_ids: list[int] = []
            expected = present = excused = unexcused = 0
            leaders_expected = leaders_present = 0
            voters = voters_present = 0
            leaders: set[int] = set()
            for person in roster:
                roll = random()
                pk = person.pk
                if roll >= absent_rate or person is chair or person is second:
                    status = "late" if roll < late_below and roll >= absent_rate else "present"
                    if person is chair or person is second:
                        status = "present"
                    reason = ""
                    present_ids.append(pk)
                    present += 1
                    is_present = True
                elif roll < excused_below:
                    status, reason = "absent_excused", ABSENCE_REASONS[int(roll * 1000) % 4]
                    excused += 1
                    is_present = False
                else:
                    status, reason = "absent_unexcused", ""
                    unexcused += 1
                    is_present = False
                    if unexcused_of is not None:
                        unexcused_of[pk] = unexcused_of.get(pk, 0) + 1
                expected += 1
                if person.official:
                    member_status, counted = "official", official_counted
                else:
                    member_status, counted = "probationary", probationary_counted
                if counted[status]:
                    voters += 1
                    voters_present += is_present
                if person.leader:
                    leaders_expected += 1
                    if is_present:
                        leaders_present += 1
                        leaders.add(pk)
                attendance_id += 1
                attendance.append(
                    f"{attendance_id}\t{meeting_id}\t{pk}\t{status}\t{reason}\t{member_status}\tf\n"
                )
            minutes = 60 + int(random() * 36) if weak else 90 + int(random() * 61)
            # Times are written with the country's offset (+07, no summer time).
            end_minutes = hour * 60 + minutes
            end = f"{day} {end_minutes // 60:02d}:{end_minutes % 60:02d}:00+07"
            votes_for = min(
                voters_present, max(voters // 2 + 1, voters_present - int(random() * 3))
            )
            abstain = voters_present - votes_for
            prepared = not weak or random() < 0.5
            spoke: set[int] = set()
            for order, (item_kind, title) in enumerate(agenda, start=1):
                item_id += 1
                items.append(f"{item_id}\t{meeting_id}\t{order}\t{item_kind}\t{title}\t{NOTES}\n")
                if item_kind in spoken and present_ids:
                    wanted = 1 + int(random() * 2) if weak else 3 + int(random() * 4)
                    # Those present from a random one on, in the roster's order (a sample
                    # of the list cost more than writing the speeches).
                    first = int(random() * len(present_ids))
                    for speaker in (present_ids[first:] + present_ids[:first])[:wanted]:
                        speech_id += 1
                        speeches.append(
                            f"{speech_id}\t{item_id}\t{speaker}\t{_pick(random, SPEECHES)}\n"
                        )
                        spoke.add(speaker)
            if weak:
                judged = {
                    "3c": 6 + int(random() * 3),
                    "3e": 2 + int(random() * 3),
                    "3f": 4 + int(random() * 2),
                }
            else:
                judged = {"3c": 8 + int(random() * 3), "3e": 4 + int(random() * 2), "3f": 5}
            decile = 10 * present // expected
            speaking = len(spoke)

            facts = partial(_facts, kind, minutes, decile, speaking, prepared, votes_for, abstain)
            key = (
                kind,
                weak,
                prepared,
                tuple(judged.values()),
                decile,
                min(speaking, 6),
                minutes // 15,
            )
            cell_points, cell_total, cell_level = scores.verdict(key, partial(facts, judged))
            level = cell_level
            upper = random() < 0.3
            upper_points, upper_total, upper_level, confirmed = "{}", NULL, "", NULL
            if upper:
                upper_judged = {c: max(0, p - int(random() * 2)) for c, p in judged.items()}
                upper_points, total, upper_level = scores.verdict(
                    (*key[:3], tuple(upper_judged.values()), *key[4:]),
                    partial(facts, upper_judged),
                )
                upper_total, confirmed, level = str(total), end, upper_level
                guest_id += 1
                lines["guest"].append(
                    f"{guest_id}\t{meeting_id}\tCấp ủy viên cấp trên\tĐảng ủy\tt\n"
                )
            lines["meeting"].append(
                f"{meeting_id}\t{cell.pk}\t{kind}\t{month}\t{start}\t{PLACE}\t{topic}\t"
                f"approved\t\t{chair.pk if prepared else NULL}\t"
                f"{day - datetime.timedelta(days=4) if prepared else NULL}\t"
                f"{day - datetime.timedelta(days=3)}\t"
                f"{day - datetime.timedelta(days=2) if prepared else NULL}\t"
                f"{'<p>Dự thảo nghị quyết.</p>' if prepared else ''}\t{chair.pk}\t{second.pk}\t"
                f"{start}\t{end}\t<p>Chi bộ thống nhất các nội dung đã thảo luận.</p>\t"
                f"<p>Nghị quyết tháng: tập trung thực hiện các nhiệm vụ trọng tâm.</p>\t"
                f"{votes_for}\t0\t{abstain}\t{end}\t{code}\t1\t{level}\t\n"
            )
            score_id += 1
            lines["score"].append(
                f"{score_id}\t{meeting_id}\t{scores.rubric_id}\t{cell_points}\t"
                f"{cell_total}\t{cell_level}\t{voters_present}\t0\t{end}\t{upper_points}\t"
                f"{upper_total}\t{upper_level}\t\t{confirmed}\t{scores.settings}\t\n"
            )
            for _ in range(1 + int(random() * 2)):
                owner = roster[int(random() * len(roster))]
                done = step > 1 and random() < (0.6 if weak else 0.9)
                status = "done" if done else "in_progress" if step <= 2 else "open"
                task_id += 1
                lines["task"].append(
                    f"{task_id}\t{meeting_id}\t{_pick(random, TASKS)}\t{owner.pk}\tf\t"
                    f"{deadline}\t{status}\t\t{deadline if done else NULL}\n"
                )
            leaders_speaking = len(spoke & leaders)
            lines["stats"].append(
                f"{meeting_id}\t{expected}\t{present}\t{excused}\t{unexcused}\t{speaking}\t"
                f"{leaders_expected}\t{leaders_present}\t{leaders_speaking}\t{_t(upper)}\t"
                f"{minutes}\n"
            )
            if tally is not None:
                held = tally.levels.setdefault(cell.pk, {})
                held[level] = held.get(level, 0) + 1
                tally.regular_months.setdefault(cell.pk, set()).add(month.month)
            levels = LEVEL_ROWS[level]
            month_id += 1
            lines["cellmonth"].append(
                f"{month_id}\t{cell.pk}\t{month}\t{quarter}\t1\tt\t{thematic}\t{expected}\t"
                f"{present}\t{speaking}\t{leaders_expected}\t{leaders_present}\t"
                f"{leaders_speaking}\t{int(upper)}\t{levels}\t0\n"
            )
        batch()
    last.update(
        meeting=meeting_id, attendance=attendance_id, item=item_id, speech=speech_id,
        task=task_id, score=score_id, guest=guest_id, cellmonth=month_id,
    )  # fmt: skip
    return tallies


# The country's offset, with which the generators write times (no summer time).
VIETNAM = datetime.timezone(datetime.timedelta(hours=7))


def _stamp(moment: datetime.datetime) -> str:
    return f"{moment.astimezone(VIETNAM):%Y-%m-%d %H:%M:%S}+07"


def _field(value: object) -> str:
    if value is None:
        return NULL
    if value is True or value is False:
        return _t(value)
    return str(value)


def _ratings(
    year: int, cells: list[Cell], tally: YearTally, streams: Streams, ids: Ids, rng: random.Random
) -> None:
    """The decided classifications of `cells` and their members for `year`, as COPY lines:
    those the province size's history gives (`history.year_ratings`), from the tally of
    the year's meetings made by `_history`."""
    by_cell = {
        cell.pk: [
            RatedPerson(p.pk, "official" if p.official else "probationary", p.admitted_on)
            for p in cell.people
        ]
        for cell in cells
    }
    groups = {cell.pk: cell.group for cell in cells}
    lines = streams.lines["rating"]
    for row in year_ratings(year, by_cell, tally, rng, quota_percent=20, groups=groups, at=_stamp):
        lines.append(f"{ids.next('rating')}\t" + "\t".join(map(_field, row)) + "\n")


def _facts(
    kind: str,
    minutes: int,
    decile: int,
    speaking: int,
    prepared: bool,
    votes_for: int,
    abstain: int,
    judged: dict[str, int],
) -> MeetingFacts:
    """What the rubric reads of a meeting, its attendance given as a share in tenths."""
    people = [
        MemberFact("official", "present" if i < decile else "absent_excused") for i in range(10)
    ]
    return MeetingFacts(
        kind=kind, duration_minutes=minutes, members=people, speakers=speaking,
        drafter_assigned=prepared, committee_met=prepared, members_notified=True,
        materials_days_before=2 if prepared else None, draft_resolution=prepared,
        minutes_complete=True, has_criticism=True, has_hcm_study=True,
        votes_for=votes_for, votes_against=0, votes_abstain=abstain,
        previous_tasks_total=1, previous_tasks_done=1, previous_tasks_reviewed=True,
        judged=judged,
    )  # fmt: skip


def province_name(index: int, pool: list[str]) -> tuple[str, str]:
    """The code and name of province `index` (1: Lâm Viên, the province size's)."""
    if index == 1:
        return "LV", "Đảng bộ tỉnh Lâm Viên"
    return f"V{index:02d}", f"Đảng bộ tỉnh {pool[index]}"


def _generate(
    *,
    builder: NationalBuilder,
    streams: Streams,
    ids: Ids,
    scores: Scores,
    rng: random.Random,
    provinces: int,
    months: int,
    hand_over: Callable[[dict[str, list[str]] | str], None],
    part: str,
    cells_pipe: tuple[Connection, Connection],
    under_national: bool = True,
    rate_years: Sequence[int] = (),
) -> int:
    """The rows of the national seed that `part` makes, handed over a month of a province
    at a time (and a line of progress after each province); returns the number of cells
    planned.

    Two processes share the work: "structure" plans the units and members and writes them
    (with the members' periods and posts), sending each province's cells with their
    members down `cells_pipe` (its reading and writing ends) to "history", which writes
    their meetings and all that hangs on them, from random numbers of its own. So each
    table's rows come in the order of the provinces, with keys in that order.

    Under a national unit, or (`under_national` false: the province size) one province at
    the top of its own tree. History also writes the classifications of `rate_years`
    from the meetings it made."""
    # Drawn by both, so that both plan from the same random numbers.
    history_rng = random.Random(rng.random())
    reading, writing = cells_pipe
    # Each keeps its own end, so that the reading end ends with the writing process.
    (reading if part == "structure" else writing).close()
    size = builder.size
    namespace = builder.namespace
    national = None
    if under_national:
        national = builder.unit(
            None, f"{namespace}{NATIONAL_CODE}", "Đảng Cộng sản Việt Nam", "trung_uong"
        )
        national.pk = ids.next("unit_planned")
    pool = rng.sample(builder.place_pool, len(builder.place_pool))
    for index in range(1, provinces + 1):
        made = dict(ids.last)
        code, name = province_name(index, pool)
        code = f"{namespace}{code}"
        if part == "history":
            cells = unpack_cells(reading.recv())
            tallies = _history(
                cells, streams, ids, scores, history_rng, months,
                lambda: hand_over(streams.take()), rate_years,
            )  # fmt: skip
            for year in rate_years:
                _ratings(year, cells, tallies[year], streams, ids, history_rng)
                hand_over(streams.take())
            hand_over(
                f"province {index}/{provinces} ({code}): {len(cells)} cells, "
                f"{ids.last['meeting'] - made['meeting']} meetings, "
                f"{ids.last['attendance'] - made['attendance']} attendance rows"
            )
            continue
        builder.prefix = "" if index == 1 and not namespace else f"{code}-"
        builder.province_code = index
        builder.card = 0
        builder.cells = {}
        builder.place_names = iter(rng.sample(builder.place_pool, len(builder.place_pool)))
        first = len(builder.plan.units)
        root = builder.unit(national, code, name, "tinh_uy")
        root.pk = ids.next("unit_planned")
        zones = size.special_zones
        communes = (
            [(f"X{i:03d}", "Xã", "dang_uy_xa") for i in range(1, size.communes + 1)]
            + [(f"P{i:03d}", "Phường", "dang_uy_phuong") for i in range(1, size.wards + 1)]
            + [(f"D{i:03d}", "Đặc khu", "dang_uy_dac_khu") for i in range(1, zones + 1)]
        )  # fmt: skip
        for c_code, word, kind in communes:
            builder.commune(
                root, c_code, f"Đảng bộ {word.lower()} {next(builder.place_names)}", kind
            )
        for i in range(1, size.direct_committees + 1):
            builder.direct_committee(root, i)
        for unit in builder.plan.units[first:]:
            if unit.pk is None:
                unit.pk = ids.next("unit_planned")
            record = builder.cells.get(unit.code)
            holder = builder.first_official.get(record.pk) if record else None
            if record is None or holder is None:
                continue
            # Many village secretaries are also the village head; agency secretaries are
            # often the head of the agency (as in the province size).
            village = unit.cell_type == CellType.VILLAGE and holder % 3 == 0
            agency = unit.cell_type == CellType.AGENCY and holder % 2 == 0
            streams.lines["post"].append(
                f"{ids.next('post')}\t{holder}\t{record.pk}\tsecretary\t{TERM_START}\t\t"
                f"{_t(village)}\tf\t{_t(agency)}\n"
            )
        builder.first_official.clear()
        # Each cell's quota group: its nearest commune-level unit (as
        # `history._commune_of` reads it from the database).
        commune_keys = {
            u.path: u.pk for u in builder.plan.units[first:] if u.kind.level <= COMMUNE_LEVEL
        }
        step = Unit.steplen
        for unit in builder.plan.units[first:]:
            record = builder.cells.get(unit.code)
            if record is not None:
                path = unit.path
                above = (path[:e] for e in range(len(path) - step, 0, -step))
                record.group = next(
                    (commune_keys[a] for a in above if a in commune_keys), record.pk
                )
        cells = list(builder.cells.values())
        writing.send(pack_cells(cells))
        hand_over(streams.take())
        hand_over(
            f"province {index}/{provinces} ({code}): {len(cells)} cells, "
            f"{ids.last['member'] - made['member']} members"
        )
    if part == "history":
        return 0
    _write_units(builder, streams)
    hand_over(streams.take())
    return sum(1 for u in builder.plan.units if u.kind.holds_meetings)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused. A load makes and drops tens of millions of
    containers (the generators' people and lines, the batches' fields), none in a cycle:
    the collector, run every few hundred of them, freed nothing and took a sixth of the
    SQLite load's process when it split each row into a list (py-spy, province size). The
    generators' processes forked inside the block inherit the pause."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def _produce(sender: Connection, generate: Callable[..., int]) -> None:
    """The generator's process: every batch `pack`ed and sent to the loading process, then
    the number of cells (or the failure's traceback)."""

    def refuse(*_args: object) -> None:
        # The connection inherited from the loader is the loader's, mid-transaction.
        raise RuntimeError("The national seed's generator must not use the database.")

    connection.execute_wrappers.append(refuse)
    try:

        def hand_over(batch: dict[str, list[str]] | str) -> None:
            if isinstance(batch, str):
                sender.send(("progress", batch))
            else:
                sender.send(("rows", pack(batch)))

        sender.send(("done", generate(hand_over=hand_over)))
    except BaseException:  # reported by the loading process
        sender.send(("failed", traceback.format_exc()))
    finally:
        sender.close()


def _load_from_children(
    generators: list[Callable[..., int]],
    send: Callable[[Packed], None],
    progress: Callable[[str], None],
) -> int:
    """Run each of `generators` in a forked process and `send` each batch they make as it
    comes; returns the number of cells they made.

    A generator is not a thread: a thread shares this process's interpreter lock, and each
    time the socket took more of a batch the sender waited up to 5 ms for the generator to
    let go of it (2 provinces: 20 s to load rows that take 8 s to make). With one generator
    process the load waited for its Python (4.2 s of a core per province); with two (see
    `_generate`), the server and the generators share both cores. A thread of this
    process per generator receives its batches as they come, so that no side waits for
    another's batch. The children leave the inherited database connection alone (their
    queries are refused) and end, as multiprocessing's forked children do, with `os._exit`:
    no finaliser of the parent's objects runs there. On any failure here every child is
    killed and every receiving thread ended before the error goes up."""
    context = multiprocessing.get_context("fork")
    received: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=8)
    producers = []
    receivers = []
    receiving = []

    def receive(receiver: Connection, number: int) -> None:
        try:
            while True:
                message = receiver.recv()
                received.put(message)
                if message[0] in ("done", "failed"):
                    return
        except (EOFError, OSError):  # the child's end closed: it ended or was killed
            received.put(("stopped", number))
        except BaseException:
            received.put(("failed", traceback.format_exc()))

    finished = False
    try:
        # Every child is forked before any thread starts here (a fork copies no thread,
        # but it copies the locks other threads hold).
        for number, generate in enumerate(generators):
            receiver, sender = context.Pipe(duplex=False)
            producer = context.Process(
                target=_produce, args=(sender, generate), name=f"national-seed-{number}",
                daemon=True,
            )  # fmt: skip
            producer.start()
            sender.close()
            producers.append(producer)
            receivers.append(receiver)
        for number, receiver in enumerate(receivers):
            thread = threading.Thread(
                target=receive, args=(receiver, number), name=f"national-seed-receiver-{number}",
                daemon=True,
            )  # fmt: skip
            thread.start()
            receiving.append(thread)
        cells = 0
        running = len(generators)
        while running:
            kind, payload = received.get()
            if kind == "rows":
                send(payload)
            elif kind == "progress":
                progress(payload)
            elif kind == "done":
                cells += int(payload)
                running -= 1
            elif kind == "failed":
                raise RuntimeError(f"The national seed's generator failed:\n{payload}")
            else:
                stopped = producers[payload]
                stopped.join()
                code = stopped.exitcode or 0
                how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
                raise RuntimeError(
                    f"The national seed's generator stopped ({how}; out of memory?)."
                )
        finished = True
        return cells
    finally:
        for producer in producers:
            if not finished:
                producer.kill()
            producer.join()
        # A receiving thread ends at its child's last message or closed end; what they
        # still have to queue is taken so that they can.
        while any(thread.is_alive() for thread in receiving):
            with contextlib.suppress(queue.Empty):
                received.get(timeout=0.05)
        for thread in receiving:
            thread.join()
        for receiver in receivers:
            receiver.close()


# The tables whose secondary indexes are built after the load rather than row by row.
REBUILT = [
    "member",
    "period",
    "meeting",
    "attendance",
    "item",
    "speech",
    "task",
    "score",
    "cellmonth",
    "rating",
]


def _secondary_indexes(cursor: Any) -> list[tuple[str, str, str]]:
    """(table, name, how to make it again) of every index of the big tables that no foreign
    key needs: plain indexes, unique constraints, and the primary keys of the tables no
    other refers to (a primary key kept during the load doubled the COPY of the
    attendance)."""
    tables = [TABLES[name][0]._meta.db_table for name in REBUILT]
    if connection.vendor != "postgresql":
        # SQLite: the indexes made by CREATE INDEX (those of a column's UNIQUE and the
        # primary keys, the rowid, stay); a foreign key's check needs only its target's key.
        cursor.execute(
            "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index'"
            " AND sql IS NOT NULL ORDER BY tbl_name, name"
        )
        return [row for row in cursor.fetchall() if row[0] in tables]
    cursor.execute(
        """SELECT t.relname, i.relname,
                  COALESCE('ALTER TABLE ' || quote_ident(t.relname) || ' ADD CONSTRAINT '
                           || quote_ident(c.conname) || ' ' || pg_get_constraintdef(c.oid),
                           pg_get_indexdef(i.oid))
           FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
           JOIN pg_class t ON t.oid = x.indrelid
           LEFT JOIN pg_constraint c ON c.conindid = i.oid AND c.contype IN ('u', 'p')
           WHERE t.relname = ANY(%s)
             AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f'
                             AND f.conindid = i.oid)""",
        [tables],
    )
    return list(cursor.fetchall())


def load_provinces(
    *,
    random_seed: int,
    months: int,
    provinces: int,
    size: Size,
    under_national: bool,
    namespace: str,
    progress: Callable[[str], None],
    before_indexes: Callable[[], object] = lambda: None,
    rate_years: Sequence[int] = (),
) -> dict[str, Any]:
    """Plan and COPY the units, members and `months` of meetings of `provinces` provinces
    of `size` (under a national unit, or one province at the top of its own tree), in the
    caller's transaction, with the secondary indexes dropped for the load and built after;
    returns the cells made, the rows per table and the seconds of each step. On SQLite the
    COPY text is inserted a thousand rows per INSERT (`chibo.demo.copy_text`). The cells and
    members are classified for each of `rate_years` from the meetings loaded.

    `before_indexes` runs after the load, as it does, without the foreign keys' checks
    (on SQLite: after the indexes are built, and the checks are the caller's): what it
    writes must take its keys from the rows it reads."""
    postgresql = connection.vendor == "postgresql"
    started = time.perf_counter()
    rng = random.Random(random_seed)
    streams = Streams()
    ids = Ids()
    scores = Scores()
    builder = NationalBuilder(size, rng, streams, ids)
    builder.namespace = namespace
    # The new top unit comes after the roots already there.
    builder.plan.children[""] = Unit.objects.filter(depth=1).count()
    seconds: dict[str, float] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        # The keys are made here and are consistent by construction: the foreign keys'
        # checks (deferred triggers, one per row and key, queued until the commit) are not
        # run during the load; `check_keys` looks for orphans after.
        # On SQLite the caller turns them off where it can (`seed_province_by_copy`).
        if postgresql:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        indexes = _secondary_indexes(cursor)
        for table, name, _how in indexes:
            if postgresql and "ADD CONSTRAINT" in _how:
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
            else:
                cursor.execute(f'DROP INDEX "{name}"')
        # The rows are made in processes of their own while this one sends them.
        # The cells of each province go from the process that plans them to the one that
        # writes their meetings.
        cells_pipe = multiprocessing.get_context("fork").Pipe(duplex=False)
        try:
            with collector_paused():
                cells = _load_from_children(
                    [
                        partial(
                            _generate, builder=builder, streams=streams, ids=ids, scores=scores,
                            rng=rng, provinces=provinces, months=months, part=part,
                            cells_pipe=cells_pipe, under_national=under_national,
                            rate_years=rate_years,
                        )
                        for part in ("structure", "history")
                    ],
                    streams.send,
                    lambda line: progress(f"{line} ({time.perf_counter() - started:.0f} s)"),
                )  # fmt: skip
        finally:
            for end in cells_pipe:
                end.close()
        seconds["load"] = round(time.perf_counter() - started, 1)
        progress(f"rows loaded in {seconds['load']} s")
        if postgresql:
            before_indexes()
        index_started = time.perf_counter()
        for _table, _name, how in indexes:
            cursor.execute(how)
        seconds["indexes"] = round(time.perf_counter() - index_started, 1)
        progress(f"{len(indexes)} indexes built in {seconds['indexes']} s")
        if not postgresql:
            # SQLite joins by nested loops only: without the indexes, each of what
            # `before_indexes` reads would scan a loaded table once per row of another.
            before_indexes()
        _reset_sequences()
        if postgresql:
            # What the caller writes next in the same transaction is checked as usual.
            cursor.execute("SET LOCAL session_replication_role = origin")
    return {"cells": cells, "rows": dict(streams.rows), "steps": seconds}


def seed_national(
    *,
    random_seed: int,
    months: int = 12,
    provinces: int = PROVINCES,
    scale: float = 1.0,
    namespace: str = "",
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Insert the national demo (PostgreSQL only) into an empty database, or beside what it
    holds with `namespace` before every unit code (and no demo accounts); returns row counts
    and the seconds of each step."""
    if connection.vendor != "postgresql":
        raise ValueError("The national size is for PostgreSQL only.")
    started = time.perf_counter()
    loaded = load_provinces(
        random_seed=random_seed, months=months, provinces=provinces,
        size=scaled(NATIONAL, scale), under_national=True, namespace=namespace,
        progress=progress,
    )  # fmt: skip
    seconds = loaded["steps"]
    with transaction.atomic():
        accounts = 0
        if not namespace:
            accounts = create_demo_accounts(_lv_units()) + 1
            national_account()
    from chibo.reports.national import rebuild

    rollup_started = time.perf_counter()
    rebuild(Unit.objects.get(code=f"{namespace}{NATIONAL_CODE}"))
    seconds["national_rollup"] = round(time.perf_counter() - rollup_started, 1)
    progress(f"national rollup built in {seconds['national_rollup']} s")
    analyze_started = time.perf_counter()
    analyze(vacuum_only=VACUUMED)
    seconds["analyze"] = round(time.perf_counter() - analyze_started, 1)
    progress(f"statistics in {seconds['analyze']} s")
    counts = loaded["rows"]
    return {
        "provinces": provinces,
        "cells": loaded["cells"],
        "members": counts["member"],
        "meetings": counts["meeting"],
        "attendance_rows": counts["attendance"],
        "rows": counts,
        "accounts": accounts,
        "steps": seconds,
        "seconds": round(time.perf_counter() - started, 1),
    }


def _lv_units() -> dict[str, Unit]:
    """The units of Lâm Viên that the demo accounts name."""
    province = Unit.objects.get(code="LV")
    return {u.code: u for u in Unit.objects.filter(path__startswith=province.path)}


def _write_units(builder: NationalBuilder, streams: Streams) -> None:
    """Every unit as a COPY line, with the number of children the tree needs."""
    children: dict[str, int] = {}
    for unit in builder.plan.units:
        if unit.depth > 1:
            parent = unit.path[: -Unit.steplen]
            children[parent] = children.get(parent, 0) + 1
    lines = streams.lines["unit"]
    for unit in builder.plan.units:
        lines.append(
            f"{unit.pk}\t{unit.path}\t{unit.depth}\t{children.get(unit.path, 0)}\t{unit.code}\t"
            f"{unit.name}\t{unit.cell_type or ''}\t{_t(unit.is_rural)}\t"
            f"{_t(unit.is_difficult_area)}\t{_t(unit.is_weak)}\t"
            f"{_t(unit.is_non_state_enterprise)}\t{unit.active_from}\t\t{unit.kind_id}\n"
        )


def _reset_sequences() -> None:
    from chibo.lib.bulk import reset_sequences

    reset_sequences(*(model for model, _columns in TABLES.values() if model is not MeetingStats))
    if connection.vendor != "postgresql":
        return  # SQLite moves an AUTOINCREMENT's counter past any key inserted
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('orgs_unit', 'id'), MAX(id)) FROM orgs_unit"
        )


def national_account() -> None:
    """The organisation commission of the centre: the national dashboard's reader."""
    from django.contrib.auth.hashers import make_password

    from chibo.demo.seed import DEMO_PASSWORD

    national = Unit.objects.get(code=NATIONAL_CODE)
    user = get_user_model().objects.create(
        username=NATIONAL_ACCOUNT,
        password=make_password(DEMO_PASSWORD),
        email=f"{NATIONAL_ACCOUNT}@example.invalid",
        first_name="Ban Tổ chức",
        last_name="Trung ương",
    )
    start = TERM_START
    RoleGrant.objects.create(
        user=user, unit=national, role=Role.ORG_COMMISSION, scope=Scope.SUBTREE, valid_from=start
    )
    admin = get_user_model().objects.filter(username="admin").first()
    if admin is not None:
        RoleGrant.objects.create(
            user=admin, unit=national, role=Role.ADMINISTRATOR, scope=Scope.SUBTREE,
            valid_from=start,
        )  # fmt: skip


def plain_copy(progress: Callable[[str], None] = lambda _: None) -> tuple[float, int]:
    """Seconds to COPY the rows of the seed's tables, read back from them, into tables of
    the same columns with no index, constraint, trigger or default (`chibo.demo.floor`):
    the floor of any load of these rows; and how many rows that was."""
    seconds = 0.0
    rows = 0
    with tempfile.TemporaryDirectory(prefix="chibo-national-floor-") as folder:
        for name, (model, columns) in TABLES.items():
            count, elapsed = copy_table_into_scratch(model._meta.db_table, columns, Path(folder))
            seconds += elapsed
            rows += count
            progress(f"plain COPY of {name}: {elapsed:.1f} s")
    return round(seconds, 4), rows


def check_keys(sample: int = 100_000) -> dict[str, int]:
    """Rows whose foreign key finds nothing, in a sample of each loaded table (the load ran
    without the foreign keys' triggers)."""
    pairs = [
        ("members_member", "unit_id", "orgs_unit"),
        ("meetings_meeting", "unit_id", "orgs_unit"),
        ("meetings_attendance", "meeting_id", "meetings_meeting"),
        ("meetings_attendance", "member_id", "members_member"),
        ("meetings_speech", "item_id", "meetings_agendaitem"),
        ("meetings_cellmonth", "unit_id", "orgs_unit"),
        ("scoring_annualrating", "unit_id", "orgs_unit"),
        ("scoring_annualrating", "member_id", "members_member"),
        ("scoring_meetingscore", "meeting_id", "meetings_meeting"),
    ]
    missing = {}
    with connection.cursor() as cursor:
        for table, column, target in pairs:
            cursor.execute(
                f"SELECT COUNT(*) FROM (SELECT {column} FROM {table} LIMIT %s) s"  # noqa: S608
                f" WHERE s.{column} IS NOT NULL"
                f" AND NOT EXISTS (SELECT 1 FROM {target} t WHERE t.id = s.{column})",
                [sample],
            )
            missing[f"{table}.{column}"] = cursor.fetchone()[0]
    return missing
