"""The national size: 34 provinces built like the province size under a national unit, with
their members and a year of meetings, loaded with COPY (PostgreSQL only).

At full size this is about 5.6 million members, 1.7 million meetings and 65 million
attendance rows, so nothing here makes a model instance per row: every row is a line of
COPY text with its own key, generated province by province and month by month, and sent
to the server as it is made. The dashboards' rollups (`MeetingStats`, `CellMonth`) are
written in the same pass, from the figures the generator already has, instead of being
recomputed from the attendance afterwards; the national rollup is then one aggregate of
the cell-months (`chibo.reports.national.rebuild`).

`copy_dir`: every line sent is also written to a file per table there, so that a plain
COPY of the same rows (into tables without indexes, constraints or triggers) can be timed
against the seed (`plain_copy`): the seed's floor.
"""

from __future__ import annotations

import datetime
import json
import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from chibo.demo import names
from chibo.demo.seed import (
    ANCHOR,
    HISTORY_END,
    SIZES,
    TERM_START,
    ProvinceBuilder,
    Size,
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
from chibo.members import rules
from chibo.members.models import Member, MembershipPeriod, Post
from chibo.orgs.models import CellType, RoleGrant, Unit
from chibo.orgs.permissions import Role, Scope
from chibo.scoring.engine import DEFAULT_SETTINGS, MeetingFacts, MemberFact, evaluate
from chibo.scoring.models import MeetingScore, Rubric

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
}  # fmt: skip

SPEECHES = [
    "Tán thành báo cáo, đề nghị bổ sung kết quả vận động nhân dân.",
    "Tự nhận khuyết điểm chưa tham gia đầy đủ hoạt động của thôn.",
    "Đề nghị chi bộ quan tâm hơn đến đảng viên cao tuổi.",
    "Góp ý đồng chí phụ trách cần báo cáo tiến độ cụ thể hơn.",
    "Đề xuất nội dung học tập và làm theo Bác gắn với việc làm cụ thể.",
]
TASKS = [
    "Vận động nhân dân tham gia vệ sinh môi trường",
    "Thu đảng phí quý",
    "Nắm tình hình đảng viên cư trú",
    "Hoàn thiện hồ sơ đảng viên",
]
TOPICS = [
    "Nâng cao chất lượng sinh hoạt chi bộ",
    "Xây dựng nông thôn mới",
    "Công tác phát triển đảng viên",
]
ABSENCE_REASONS = ["Ốm", "Đi công tác", "Việc gia đình", "Đi làm ăn xa"]
LEVEL_COLUMN = {"tot": 0, "kha": 1, "trung_binh": 2, "kem": 3}


NULL = "\\N"
HIGHLAND = ["K'Ho", "Mạ", "Chu Ru"]


def _t(value: bool) -> str:
    return "t" if value else "f"


def _n(value: object) -> str:
    return NULL if value is None else str(value)


class Streams:
    """A buffer of COPY text per table, sent with `flush` (and kept in `copy_dir`)."""

    def __init__(self, copy_dir: Path | None) -> None:
        self.lines: dict[str, list[str]] = {name: [] for name in TABLES}
        self.rows: dict[str, int] = dict.fromkeys(TABLES, 0)
        self.files: dict[str, TextIO] = {}
        if copy_dir is not None:
            copy_dir.mkdir(parents=True, exist_ok=True)
            self.files = {name: (copy_dir / f"{name}.copy").open("w") for name in TABLES}

    def flush(self) -> None:
        qn = connection.ops.quote_name
        with connection.cursor() as cursor:
            for name, lines in self.lines.items():
                if not lines:
                    continue
                model, columns = TABLES[name]
                text = "".join(lines)
                statement = (
                    f"COPY {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)})"
                    " FROM STDIN"
                )
                with cursor.cursor.copy(statement) as copy:
                    copy.write(text)
                if self.files:
                    self.files[name].write(text)
                self.rows[name] += len(lines)
                lines.clear()

    def close(self) -> None:
        for handle in self.files.values():
            handle.close()


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


class NationalBuilder(ProvinceBuilder):
    """The units of one province under the national unit; members as COPY lines."""

    def __init__(self, size: Size, rng: random.Random, streams: Streams, ids: Ids) -> None:
        super().__init__(size, rng)
        self.streams = streams
        self.ids = ids
        self.prefix = ""
        self.province_code = 1
        self.cells: dict[str, Cell] = {}
        self.names: dict[str, tuple[str, ...]] = {}
        self.first_official: dict[int, int] = {}

    def unit(self, parent: Unit | None, code: str, name: str, kind: str, **flags: object) -> Unit:
        code = self.prefix + code if parent is not None and parent.depth > 1 else code
        if parent is not None and parent.depth == 1 and kind != "tinh_uy":
            code = self.prefix + code
        unit = super().unit(parent, code, name, kind, **flags)
        return unit

    def members_for(self, cell: Unit) -> None:
        # Called from `unit` before the unit has its key: keys come from the order of units.
        cell.pk = self.ids.next("unit_planned")
        record = self.cells[cell.code] = Cell(cell.pk, bool(cell.is_weak))
        rng = self.rng
        lines = self.streams.lines
        highland = cell.is_difficult_area
        for _ in range(rng.randint(*self.size.members_per_cell)):
            female = rng.random() < 0.38
            if highland and rng.random() < 0.5:
                full = rng.choice(names.HIGHLAND_FEMALE if female else names.HIGHLAND_MALE)
                full = f"{full} {rng.choice(names.GIVEN_FEMALE if female else names.GIVEN_MALE)}"
            else:
                family = rng.choices(
                    [n for n, _ in names.FAMILY_NAMES], [w for _, w in names.FAMILY_NAMES]
                )[0]
                middle = rng.choice(names.MIDDLE_FEMALE if female else names.MIDDLE_MALE)
                given = rng.choice(names.GIVEN_FEMALE if female else names.GIVEN_MALE)
                full = f"{family} {middle} {given}"
            parts = self.names.get(full)
            if parts is None:
                split = vntext.split_name(full)
                parts = self.names[full] = (
                    split.full, split.family, split.middle, split.given,
                    vntext.collation_key(split.given, split.middle, split.family),
                    vntext.fold(split.full),
                )  # fmt: skip
            age_days = rng.randint(22 * 365, 78 * 365)
            birth = ANCHOR - datetime.timedelta(days=age_days)
            probationary = rng.random() < 0.04
            if probationary:
                admitted = ANCHOR - datetime.timedelta(days=rng.randint(30, 330))
                official_on = None
            else:
                admitted = birth + datetime.timedelta(
                    days=rng.randint(19 * 365, min(age_days - 365, 45 * 365))
                )
                official_on = rules.probation_ends_on(admitted)
            self.card += 1
            pk = self.ids.next("member")
            century_gender = (0 if birth.year < 2000 else 2) + (1 if female else 0)
            citizen_id = (
                f"{self.province_code:03d}{century_gender}{birth.year % 100:02d}"
                f"{self.card % 1_000_000:06d}"
            )
            leader = pk % 9 == 4
            status = "probationary" if probationary else "official"
            lines["member"].append(
                f"{pk}\t{cell.pk}\t{parts[0]}\t{parts[1]}\t{parts[2]}\t{parts[3]}\t{parts[4]}\t"
                f"{parts[5]}\t{'female' if female else 'male'}\t{birth}\t"
                f"{NULL if probationary else f'{70000000 + pk:08d}'}\t{citizen_id}\t{status}\t"
                f"{admitted}\t{_n(official_on)}\t{rng.choice(EDUCATION)}\t"
                f"{rng.choice(HIGHLAND) if highland and rng.random() < 0.5 else 'Kinh'}\t"
                f"{rng.choices(RELIGIONS, [80, 8, 9, 3])[0]}\t"
                f"09{rng.randint(10_000_000, 99_999_999)}\t{_t(leader)}\t\t\t\t1\n"
            )
            lines["period"].append(
                f"{self.ids.next('period')}\t{pk}\t{cell.pk}\t{status}\t{admitted}\tcreated\t\t\t"
                f"{self.ids.recorded_at}\n"
            )
            record.people.append(Person(pk, not probationary, admitted, leader))
            if not probationary and official_on is not None and official_on <= TERM_START:
                self.first_official.setdefault(cell.pk, pk)


EDUCATION = ["Trung cấp", "Cao đẳng", "Đại học", "Thạc sĩ", "12/12", "9/12"]
RELIGIONS = ["Không", "Phật giáo", "Công giáo", "Tin Lành"]


class Ids:
    """The next key of each table (the database is empty: keys are given, not asked)."""

    def __init__(self) -> None:
        self.last: dict[str, int] = {}
        self.recorded_at = f"{TERM_START} 08:00:00+07"

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

    def verdict(self, key: tuple[Any, ...], facts: Callable[[], MeetingFacts]) -> tuple[str, int, str]:
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
    flush: Callable[[], None],
) -> None:
    """`months` of approved meetings of every cell of one province and the planned meeting
    of `HISTORY_END`, with their attendance, agenda, speeches, tasks, scores, upper-level
    guests and rollups."""
    lines = streams.lines
    agendas = {kind: DEFAULT_AGENDAS[kind] for kind in (MeetingKind.REGULAR, MeetingKind.COMBINED)}
    for step in range(months, -1, -1):
        month = add_months(HISTORY_END, -step)
        planned_only = step == 0
        kind = MeetingKind.COMBINED if month.month % 3 == 0 else MeetingKind.REGULAR
        quarter = quarter_of(month)
        for cell in cells:
            weak = cell.weak
            if not planned_only and weak and rng.random() < 0.15:
                continue
            day = datetime.date(month.year, month.month, rng.randint(3, 10))
            hour = rng.choice((8, 14, 19, 19, 19))
            roster = [p for p in cell.people if p.admitted_on <= day]
            if len(roster) < 2:
                continue
            meeting_id = ids.next("meeting")
            topic = rng.choice(TOPICS) if kind == MeetingKind.COMBINED else ""
            start = f"{day} {hour:02d}:00:00+07"
            code = secrets.token_urlsafe(12)
            if planned_only:
                lines["meeting"].append(
                    f"{meeting_id}\t{cell.pk}\t{kind}\t{month}\t{start}\tHội trường chi bộ\t{topic}\t"
                    f"planned\t\t\\N\t\\N\t\\N\t\\N\t\t\\N\t\\N\t\\N\t\\N\t\t\t\\N\t\\N\t\\N\t\\N\t"
                    f"{code}\t1\t\t\n"
                )
                continue
            officials = [p for p in roster if p.official]
            chair, second = (officials + [p for p in roster if not p.official])[:2]
            absent_rate = 0.22 if weak else 0.07
            excused_below = absent_rate * (0.7 if weak else 0.93)
            present_ids: list[int] = []
            expected = present = excused = unexcused = 0
            leaders_expected = leaders_present = 0
            voters = voters_present = 0
            leaders: set[int] = set()
            attendance = lines["attendance"]
            for person in roster:
                roll = rng.random()
                if person is chair or person is second or roll >= absent_rate:
                    status = "late" if absent_rate <= roll < absent_rate + 0.03 else "present"
                    if person is chair or person is second:
                        status = "present"
                    reason = ""
                    present_ids.append(person.pk)
                    present += 1
                elif roll < excused_below:
                    status, reason = "absent_excused", rng.choice(ABSENCE_REASONS)
                    excused += 1
                else:
                    status, reason = "absent_unexcused", ""
                    unexcused += 1
                expected += 1
                is_present = status in ("present", "late")
                if person.official:
                    voters += 1
                    voters_present += is_present
                if person.leader:
                    leaders_expected += 1
                    leaders_present += is_present
                    if is_present:
                        leaders.add(person.pk)
                attendance.append(
                    f"{ids.next('attendance')}\t{meeting_id}\t{person.pk}\t{status}\t{reason}\t"
                    f"{'official' if person.official else 'probationary'}\tf\n"
                )
            minutes = rng.randint(60, 95) if weak else rng.randint(90, 150)
            end_dt = datetime.datetime(day.year, day.month, day.day, hour) + datetime.timedelta(
                minutes=minutes
            )
            end = f"{end_dt:%Y-%m-%d %H:%M}:00+07"
            votes_for = min(voters_present, max(voters // 2 + 1, voters_present - rng.randint(0, 2)))
            abstain = voters_present - votes_for
            prepared = not weak or rng.random() < 0.5
            spoke: set[int] = set()
            for order, (item_kind, title) in enumerate(agendas[kind], start=1):
                item_id = ids.next("item")
                lines["item"].append(
                    f"{item_id}\t{meeting_id}\t{order}\t{item_kind}\t{title}\t<p>Đã thảo luận.</p>\n"
                )
                if item_kind in (ItemKind.CRITICISM, ItemKind.SITUATION) and present_ids:
                    for speaker in rng.sample(
                        present_ids,
                        min(len(present_ids), rng.randint(1, 2) if weak else rng.randint(3, 6)),
                    ):
                        lines["speech"].append(
                            f"{ids.next('speech')}\t{item_id}\t{speaker}\t{rng.choice(SPEECHES)}\n"
                        )
                        spoke.add(speaker)
            judged = (
                {"3c": rng.randint(6, 8), "3e": rng.randint(2, 4), "3f": rng.randint(4, 5)}
                if weak
                else {"3c": rng.randint(8, 10), "3e": rng.randint(4, 5), "3f": 5}
            )
            decile = 10 * present // expected

            def facts(judged: dict[str, int] = judged) -> MeetingFacts:
                share = decile / 10
                people = [
                    MemberFact("official", "present" if i < share * 10 else "absent_excused")
                    for i in range(10)
                ]
                return MeetingFacts(
                    kind=kind, duration_minutes=minutes, members=people, speakers=len(spoke),
                    drafter_assigned=prepared, committee_met=prepared, members_notified=True,
                    materials_days_before=2 if prepared else None, draft_resolution=prepared,
                    minutes_complete=True, has_criticism=True, has_hcm_study=True,
                    votes_for=votes_for, votes_against=0, votes_abstain=abstain,
                    previous_tasks_total=1, previous_tasks_done=1, previous_tasks_reviewed=True,
                    judged=judged,
                )  # fmt: skip

            key = (kind, weak, prepared, tuple(judged.values()), decile, min(len(spoke), 6))
            cell_points, cell_total, cell_level = scores.verdict(key, facts)
            level = cell_level
            upper = rng.random() < 0.3
            upper_points, upper_total, upper_level, confirmed = "{}", "\\N", "", "\\N"
            if upper:
                upper_judged = {c: max(0, p - rng.randint(0, 1)) for c, p in judged.items()}
                upper_points, total, upper_level = scores.verdict(
                    (*key[:3], tuple(upper_judged.values()), *key[4:]),
                    lambda: facts(upper_judged),
                )
                upper_total, confirmed, level = str(total), end, upper_level
                lines["guest"].append(
                    f"{ids.next('guest')}\t{meeting_id}\tCấp ủy viên cấp trên\tĐảng ủy\tt\n"
                )
            lines["meeting"].append(
                f"{meeting_id}\t{cell.pk}\t{kind}\t{month}\t{start}\tHội trường chi bộ\t{topic}\t"
                f"approved\t\t{chair.pk if prepared else NULL}\t"
                f"{day - datetime.timedelta(days=4) if prepared else NULL}\t"
                f"{day - datetime.timedelta(days=3)}\t"
                f"{day - datetime.timedelta(days=2) if prepared else NULL}\t"
                f"{'<p>Dự thảo nghị quyết.</p>' if prepared else ''}\t{chair.pk}\t{second.pk}\t"
                f"{start}\t{end}\t<p>Chi bộ thống nhất các nội dung đã thảo luận.</p>\t"
                f"<p>Nghị quyết tháng: tập trung thực hiện các nhiệm vụ trọng tâm.</p>\t"
                f"{votes_for}\t0\t{abstain}\t{end}\t{code}\t1\t{level}\t\n"
            )
            lines["score"].append(
                f"{ids.next('score')}\t{meeting_id}\t{scores.rubric_id}\t{cell_points}\t"
                f"{cell_total}\t{cell_level}\t{voters_present}\t0\t{end}\t{upper_points}\t"
                f"{upper_total}\t{upper_level}\t\t{confirmed}\t{scores.settings}\t\n"
            )
            for _ in range(rng.randint(1, 2)):
                owner = rng.choice(roster)
                deadline = add_months(month, 1)
                done = step > 1 and rng.random() < (0.6 if weak else 0.9)
                status = "done" if done else "in_progress" if step <= 2 else "open"
                lines["task"].append(
                    f"{ids.next('task')}\t{meeting_id}\t{rng.choice(TASKS)}\t{owner.pk}\tf\t"
                    f"{deadline}\t{status}\t\t{deadline if done else NULL}\n"
                )
            speaking = len(spoke)
            leaders_speaking = len(spoke & leaders)
            lines["stats"].append(
                f"{meeting_id}\t{expected}\t{present}\t{excused}\t{unexcused}\t{speaking}\t"
                f"{leaders_expected}\t{leaders_present}\t{leaders_speaking}\t{_t(upper)}\t"
                f"{minutes}\n"
            )
            levels = [0, 0, 0, 0]
            levels[LEVEL_COLUMN[level]] = 1
            lines["cellmonth"].append(
                f"{ids.next('cellmonth')}\t{cell.pk}\t{month}\t{quarter}\t1\tt\t"
                f"{_t(kind == MeetingKind.COMBINED)}\t{expected}\t{present}\t{speaking}\t"
                f"{leaders_expected}\t{leaders_present}\t{leaders_speaking}\t{int(upper)}\t"
                f"{levels[0]}\t{levels[1]}\t{levels[2]}\t{levels[3]}\t0\n"
            )
        flush()


def province_name(index: int, pool: list[str]) -> tuple[str, str]:
    """The code and name of province `index` (1: Lâm Viên, the province size's)."""
    if index == 1:
        return "LV", "Đảng bộ tỉnh Lâm Viên"
    return f"V{index:02d}", f"Đảng bộ tỉnh {pool[index]}"


def seed_national(
    *,
    random_seed: int,
    months: int = 12,
    provinces: int = PROVINCES,
    scale: float = 1.0,
    copy_dir: Path | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Any]:
    """Insert the national demo (PostgreSQL only) into an empty database; returns row counts
    and the seconds it took."""
    if connection.vendor != "postgresql":
        raise ValueError("The national size is for PostgreSQL only.")
    started = time.perf_counter()
    rng = random.Random(random_seed)
    size = scaled(NATIONAL, scale)
    streams = Streams(copy_dir)
    ids = Ids()
    scores = Scores()
    with transaction.atomic(), connection.cursor() as cursor:
        # The keys are made here and are consistent by construction: the foreign keys'
        # checks (deferred triggers, one per row and key, queued until the commit) are not
        # run during the load; `check_keys` verifies them on a sample after.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL synchronous_commit = off")
        builder = NationalBuilder(size, rng, streams, ids)
        national = builder.unit(None, NATIONAL_CODE, "Đảng Cộng sản Việt Nam", "trung_uong")
        national.pk = ids.next("unit_planned")
        pool = rng.sample(builder.place_pool, len(builder.place_pool))
        province_roots: list[Unit] = []
        total_cells = 0
        for index in range(1, provinces + 1):
            code, name = province_name(index, pool)
            builder.prefix = "" if index == 1 else f"{code}-"
            builder.province_code = index
            builder.card = 0
            builder.cells = {}
            builder.place_names = iter(rng.sample(builder.place_pool, len(builder.place_pool)))
            first = len(builder.plan.units)
            root = builder.unit(national, code, name, "tinh_uy")
            root.pk = ids.next("unit_planned")
            province_roots.append(root)
            s = size
            communes = (
                [(f"X{i:03d}", "Xã", "dang_uy_xa") for i in range(1, s.communes + 1)]
                + [(f"P{i:03d}", "Phường", "dang_uy_phuong") for i in range(1, s.wards + 1)]
                + [(f"D{i:03d}", "Đặc khu", "dang_uy_dac_khu") for i in range(1, s.special_zones + 1)]
            )  # fmt: skip
            for c_code, word, kind in communes:
                builder.commune(
                    root, c_code, f"Đảng bộ {word.lower()} {next(builder.place_names)}", kind
                )
            for i in range(1, s.direct_committees + 1):
                builder.direct_committee(root, i)
            for unit in builder.plan.units[first:]:
                if unit.pk is None:
                    unit.pk = ids.next("unit_planned")
            for unit in builder.plan.units[first:]:
                record = builder.cells.get(unit.code)
                holder = builder.first_official.get(record.pk) if record else None
                if record is None or holder is None:
                    continue
                # Many village secretaries are also the village head; agency secretaries
                # are often the head of the agency (as in the province size).
                village = unit.cell_type == CellType.VILLAGE and holder % 3 == 0
                agency = unit.cell_type == CellType.AGENCY and holder % 2 == 0
                streams.lines["post"].append(
                    f"{ids.next('post')}\t{holder}\t{record.pk}\tsecretary\t{TERM_START}\t\t"
                    f"{_t(village)}\tf\t{_t(agency)}\n"
                )
            builder.first_official.clear()
            cells = list(builder.cells.values())
            total_cells += len(cells)
            _history(cells, streams, ids, scores, rng, months, streams.flush)
            streams.flush()
            progress(
                f"province {index}/{provinces} ({code}): {len(cells)} cells, "
                f"{ids.last.get('member', 0)} members, {ids.last.get('meeting', 0)} meetings, "
                f"{ids.last.get('attendance', 0)} attendance rows so far "
                f"({time.perf_counter() - started:.0f} s)"
            )
        _write_units(builder, streams)
        streams.flush()
        streams.close()
        _reset_sequences()
    progress(f"rows loaded in {time.perf_counter() - started:.0f} s")
    with transaction.atomic():
        accounts = create_demo_accounts(_lv_units())
        national_account()
    from chibo.reports.national import rebuild

    rollup_started = time.perf_counter()
    rebuild(Unit.objects.get(code=NATIONAL_CODE))
    progress(f"national rollup built in {time.perf_counter() - rollup_started:.1f} s")
    analyze_started = time.perf_counter()
    with connection.cursor() as cursor:
        vacuum = not connection.in_atomic_block
        cursor.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")
    progress(f"vacuum and statistics in {time.perf_counter() - analyze_started:.0f} s")
    counts = {name: streams.rows[name] for name in TABLES}
    return {
        "provinces": provinces,
        "cells": total_cells,
        "members": counts["member"],
        "meetings": counts["meeting"],
        "attendance_rows": counts["attendance"],
        "rows": counts,
        "accounts": accounts + 1,
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


def plain_copy(copy_dir: Path, progress: Callable[[str], None] = lambda _: None) -> float:
    """Seconds to COPY the rows the seed sent (kept in `copy_dir`) into tables of the same
    columns with no index, constraint, trigger or default: the floor of any load of these
    rows. The tables are dropped after."""
    qn = connection.ops.quote_name
    seconds = 0.0
    with connection.cursor() as cursor:
        for name, (model, columns) in TABLES.items():
            path = copy_dir / f"{name}.copy"
            if not path.exists():
                continue
            scratch = qn(f"floor_{name}")
            cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
            cursor.execute(f"CREATE TABLE {scratch} (LIKE {qn(model._meta.db_table)})")
            connection.commit() if not connection.get_autocommit() else None
            start = time.perf_counter()
            with transaction.atomic():
                with (
                    path.open() as source,
                    cursor.cursor.copy(
                        f"COPY {scratch} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
                    ) as copy,
                ):
                    while chunk := source.read(1 << 20):
                        copy.write(chunk)
            elapsed = time.perf_counter() - start
            seconds += elapsed
            progress(f"plain COPY of {name}: {elapsed:.1f} s")
            cursor.execute(f"DROP TABLE {scratch}")
    return round(seconds, 1)


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
        ("scoring_meetingscore", "meeting_id", "meetings_meeting"),
    ]
    missing = {}
    with connection.cursor() as cursor:
        for table, column, target in pairs:
            cursor.execute(
                f"SELECT COUNT(*) FROM (SELECT {column} FROM {table} LIMIT %s) s"  # noqa: S608
                f" WHERE NOT EXISTS (SELECT 1 FROM {target} t WHERE t.id = s.{column})",
                [sample],
            )
            missing[f"{table}.{column}"] = cursor.fetchone()[0]
    return missing
