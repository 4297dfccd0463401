"""Build the deterministic demo province with bulk inserts.

The same size and random seed give the same rows, codes and names on every machine.
Bulk inserts skip the per-row history: the seed is the initial load, not a change.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.utils import timezone

from chibo.content.models import TopicAdoption
from chibo.demo import names
from chibo.demo.directives import seed_requests
from chibo.demo.history import seed_history, visits_from_upper_guests
from chibo.lib.dates import add_months, quarter_of
from chibo.meetings import seals as meeting_seals
from chibo.meetings.models import (
    Attendance,
    CellMonth,
    Guest,
    Meeting,
    MeetingState,
    MeetingStats,
)
from chibo.members import rules
from chibo.members.models import (
    Change,
    Gender,
    Member,
    MembershipPeriod,
    MemberStatus,
    Post,
    PostKind,
)
from chibo.orgs.models import CellType, RoleGrant, Unit, UnitKind, VisitRule
from chibo.orgs.permissions import Role, Scope
from chibo.scoring import seals as scoring_seals
from chibo.scoring.classification import rebuild_tallies
from chibo.scoring.models import AnnualRating, MeetingScore
from chibo.supervision.models import (
    GroupAssignment,
    Visit,
    VisitSource,
    VisitState,
    WeakCell,
    WeakCellReview,
    WeakSource,
    WeakState,
    WorkingGroup,
)
from chibo.supervision.planner import plan_covers
from chibo.supervision.services import (
    RESIDENTIAL,
    assign_charge,
    draft_report,
    evaluate_report,
    plan_group_visits,
    plan_visits,
    propose_weak_cell,
    return_report,
    save_group,
    save_report,
    weak_candidates,
)

DEMO_PASSWORD = "chibo-demo"
# Dates are computed from a fixed day, so that the data does not depend on the clock.
ANCHOR = datetime.date(2026, 1, 1)
TERM_START = datetime.date(2025, 7, 1)
# Meetings are held and approved in the months before this one; its meeting is planned.
HISTORY_END = datetime.date(2026, 12, 1)
# The cell whose pages the benchmark measures (`chibo.demo.bench.targets`), and its members
# in the seeds made by COPY: as many as the province seed has always given it (its own
# draw), so that the pages' figures compare across seeds and with those measured before.
MEASURED_CELL = "X001.01"
MEASURED_CELL_MEMBERS = 17


@dataclass(frozen=True)
class Size:
    """How big a demo province to build."""

    communes: int  # xã
    wards: int  # phường
    special_zones: int  # đặc khu
    direct_committees: int
    village_cells: tuple[int, int]
    agency_cells: tuple[int, int]
    basic_committees: tuple[int, int]
    members_per_cell: tuple[int, int]
    history_months: int


SIZES = {
    # The test suite's province: no meeting history, tests make the meetings they need.
    "small": Size(2, 0, 0, 1, (3, 3), (1, 1), (1, 1), (6, 9), 0),
    # Two years, so that last year is complete with its annual classification.
    "demo": Size(2, 1, 0, 1, (7, 9), (2, 3), (1, 1), (20, 34), 23),
    "province": Size(103, 20, 1, 20, (14, 24), (4, 7), (0, 2), (10, 64), 36),
}

DEMO_ACCOUNTS = [
    ("admin", "Administrator: everything, and the Django admin"),
    ("bantochuc", "Organisation commission staff of the province: the whole tree"),
    ("uyvien1", "Committee member of commune 1: its subtree"),
    ("bithu1", "Secretary of a cell under commune 1"),
    ("bithu2", "Secretary of a cell under commune 2"),
    ("dangvien1", "Ordinary member of bithu1's cell"),
    ("kiemtra", "Inspection commission staff of the province: reads all, runs inspections"),
    ("tocongtac1", "Provincial working group member assigned to commune 2"),
    ("tocongtac2", "Second member of tocongtac1's working group"),
    ("tuyengiao", "Propaganda commission staff of the province: publishes materials"),
]


@dataclass
class Plan:
    """Units and members to insert, built in memory first."""

    units: list[Unit] = field(default_factory=list)
    children: dict[str, int] = field(default_factory=dict)
    members: list[Member] = field(default_factory=list)


class ProvinceBuilder:
    def __init__(self, size: Size, rng: random.Random) -> None:
        self.size = size
        self.rng = rng
        self.plan = Plan()
        self.kinds = {k.code: k for k in UnitKind.objects.all()}
        self.card = 0
        syllables = list(dict.fromkeys(names.PLACE_SYLLABLES))
        self.place_pool = [f"{a} {b}" for a in syllables for b in syllables if a != b]
        # Commune names are unique in the province; village names only within a commune.
        self.place_names: Iterator[str] = iter(rng.sample(self.place_pool, len(self.place_pool)))

    def unit(self, parent: Unit | None, code: str, name: str, kind: str, **flags: object) -> Unit:
        depth = 1 if parent is None else parent.depth + 1
        key = "" if parent is None else parent.path
        step = self.plan.children.get(key, 0) + 1
        self.plan.children[key] = step
        unit = Unit(
            code=code,
            name=name,
            kind=self.kinds[kind],
            path=Unit._get_path(key, depth, step),
            depth=depth,
            numchild=0,
            active_from=datetime.date(2025, 7, 1),
            **flags,
        )
        self.plan.units.append(unit)
        if kind in ("chi_bo_co_so", "chi_bo_truc_thuoc"):
            self.members_for(unit)
        return unit

    def build(self) -> Plan:
        s = self.size
        root = self.unit(None, "LV", "Đảng bộ tỉnh Lâm Viên", "tinh_uy")
        communes: list[tuple[str, str, str]] = (
            [(f"X{i:03d}", "Xã", "dang_uy_xa") for i in range(1, s.communes + 1)]
            + [(f"P{i:03d}", "Phường", "dang_uy_phuong") for i in range(1, s.wards + 1)]
            + [(f"D{i:03d}", "Đặc khu", "dang_uy_dac_khu") for i in range(1, s.special_zones + 1)]
        )
        for code, word, kind in communes:
            self.commune(root, code, f"Đảng bộ {word.lower()} {next(self.place_names)}", kind)
        for i in range(1, s.direct_committees + 1):
            self.direct_committee(root, i)
        for unit in self.plan.units:
            if unit.depth > 1:
                parent_path = unit.path[: -Unit.steplen]
                self.plan.children.setdefault(parent_path, 0)
        by_path = {u.path: u for u in self.plan.units}
        for path, count in self.plan.children.items():
            if path:
                by_path[path].numchild = count
        return self.plan

    def commune(self, root: Unit, code: str, name: str, kind: str) -> None:
        rng = self.rng
        ward = kind == "dang_uy_phuong"
        difficult = not ward and rng.random() < 0.3
        commune = self.unit(root, code, name, kind, is_rural=not ward)
        n = 0
        villages = rng.sample(self.place_pool, rng.randint(*self.size.village_cells))
        for village in villages:
            n += 1
            cell_type: str
            if ward:
                cell_name, cell_type = f"Chi bộ Tổ dân phố {n}", CellType.RESIDENTIAL
            else:
                cell_name, cell_type = f"Chi bộ thôn {village}", CellType.VILLAGE
            self.unit(
                commune,
                f"{code}.{n:02d}",
                cell_name,
                "chi_bo_truc_thuoc",
                cell_type=cell_type,
                is_rural=not ward,
                is_difficult_area=difficult and rng.random() < 0.6,
                is_weak=rng.random() < 0.03,
            )
        agencies = names.COMMUNE_AGENCY_CELLS[: rng.randint(*self.size.agency_cells)]
        for agency, cell_type in agencies:
            n += 1
            self.unit(
                commune,
                f"{code}.{n:02d}",
                f"{agency} {name.split(' ', 2)[2]}",
                "chi_bo_co_so" if cell_type == CellType.PRIVATE_ENTERPRISE else "chi_bo_truc_thuoc",
                cell_type=cell_type,
                is_non_state_enterprise=cell_type == CellType.PRIVATE_ENTERPRISE,
            )
        for j in range(1, rng.randint(*self.size.basic_committees) + 1):
            basic_name, cells = names.BASIC_COMMITTEES[(j - 1) % len(names.BASIC_COMMITTEES)]
            basic = self.unit(
                commune, f"{code}.B{j}", f"{basic_name} {name.split(' ', 2)[2]}", "dang_bo_co_so"
            )
            cell_type = (
                CellType.STATE_ENTERPRISE if "Công ty" in basic_name else CellType.PUBLIC_SERVICE
            )
            for k, cell in enumerate(cells, start=1):
                self.unit(
                    basic, f"{code}.B{j}.{k:02d}", cell, "chi_bo_truc_thuoc", cell_type=cell_type
                )

    def direct_committee(self, root: Unit, i: int) -> None:
        rng = self.rng
        title = names.DIRECT_COMMITTEES[(i - 1) % len(names.DIRECT_COMMITTEES)]
        code = f"T{i:03d}"
        committee = self.unit(root, code, title, "dang_uy_truc_thuoc")
        cell_type = CellType.AGENCY
        if "Quân sự" in title or "Biên phòng" in title:
            cell_type = CellType.MILITARY
        elif "Công an" in title:
            cell_type = CellType.POLICE
        elif "Công ty" in title or "Ngân hàng" in title:
            cell_type = CellType.STATE_ENTERPRISE
        if i == 1:
            cells = names.PROVINCE_AGENCY_CELLS[: max(2, rng.randint(*self.size.agency_cells))]
        else:
            count = rng.randint(*self.size.village_cells)
            cells = [f"Chi bộ Phòng {k}" for k in range(1, count + 1)]
        for k, cell in enumerate(cells, start=1):
            self.unit(committee, f"{code}.{k:02d}", cell, "chi_bo_truc_thuoc", cell_type=cell_type)

    def members_for(self, cell: Unit) -> None:
        rng = self.rng
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
            age_days = rng.randint(22 * 365, 78 * 365)
            birth = ANCHOR - datetime.timedelta(days=age_days)
            probationary = rng.random() < 0.04
            if probationary:
                admitted = ANCHOR - datetime.timedelta(days=rng.randint(30, 330))
            else:
                admitted = birth + datetime.timedelta(
                    days=rng.randint(19 * 365, min(age_days - 365, 45 * 365))
                )
            self.card += 1
            # CCCD: province code, century and gender digit, year of birth, serial number.
            century_gender = (0 if birth.year < 2000 else 2) + (1 if female else 0)
            citizen_id = f"068{century_gender}{birth.year % 100:02d}{self.card % 1_000_000:06d}"
            member = Member(
                unit=cell,
                gender=Gender.FEMALE if female else Gender.MALE,
                birth_date=birth,
                ethnicity=rng.choice(["K'Ho", "Mạ", "Chu Ru"])
                if highland and rng.random() < 0.5
                else "Kinh",
                religion=rng.choices(
                    ["Không", "Phật giáo", "Công giáo", "Tin Lành"], [80, 8, 9, 3]
                )[0],
                # Probationary members get their card when they become official.
                card_number=None if probationary else f"{70000000 + self.card:08d}",
                citizen_id=citizen_id,
                status=MemberStatus.PROBATIONARY if probationary else MemberStatus.OFFICIAL,
                admitted_on=admitted,
                official_on=None if probationary else rules.probation_ends_on(admitted),
                education=rng.choice(
                    ["Trung cấp", "Cao đẳng", "Đại học", "Thạc sĩ", "12/12", "9/12"]
                ),
                phone=f"09{rng.randint(10_000_000, 99_999_999)}",
                # About one in nine holds a leadership or management post (no draw from
                # the generator, so that the rest of the province stays as it was).
                holds_leadership_post=self.card % 9 == 4,
            )
            member.set_name(full)
            self.plan.members.append(member)


def seed_province(
    *,
    size: str,
    random_seed: int,
    months: int | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, int]:
    """Insert the demo province of `size` (with `months` of meeting history instead of the
    size's own) into an empty database; return row counts."""
    history_months = SIZES[size].history_months if months is None else months
    if size == "province" and history_months:
        return seed_province_by_copy(
            random_seed=random_seed, months=history_months, progress=progress
        )
    rng = random.Random(random_seed)
    with transaction.atomic():
        plan = ProvinceBuilder(SIZES[size], rng).build()
        progress(f"{len(plan.units)} units, {len(plan.members)} members planned")
        Unit.objects.bulk_create(plan.units, batch_size=1000)
        units = {u.code: u for u in Unit.objects.only("pk", "code", "path", "cell_type")}
        for member in plan.members:
            member.unit_id = units[member.unit.code].pk
        Member.objects.bulk_create(plan.members, batch_size=2000)
        MembershipPeriod.objects.bulk_create(
            (
                MembershipPeriod(
                    member_id=m.pk,
                    unit_id=m.unit_id,
                    status=m.status,
                    started_on=m.admitted_on or ANCHOR,
                    change=Change.CREATED,
                )
                for m in plan.members
            ),
            batch_size=2000,
        )
        # The first member of each cell who was official when the term began is its
        # secretary (POST-1: probationary members hold no post).
        first: dict[int, Member] = {}
        for m in plan.members:
            if not rules.holder_problem(status=m.status, official_on=m.official_on, on=TERM_START):
                first.setdefault(m.unit_id, m)
        cell_types = {u.pk: u.cell_type for u in units.values()}
        Post.objects.bulk_create(
            Post(
                member_id=m.pk,
                unit_id=m.unit_id,
                kind=PostKind.SECRETARY,
                started_on=TERM_START,
                # Many village secretaries are also the village head, some the head of
                # the Front work committee; agency secretaries are often the head of the
                # agency.
                also_village_head=cell_types.get(m.unit_id) == CellType.VILLAGE and m.pk % 3 == 0,
                also_front_head=cell_types.get(m.unit_id) in RESIDENTIAL and m.pk % 3 == 1,
                is_head_of_agency=cell_types.get(m.unit_id) == CellType.AGENCY and m.pk % 2 == 0,
            )
            for m in first.values()
        )
        progress("members, periods and posts inserted")
        history: dict[str, int] = {}
        if history_months:
            visitors = create_committees(units, since=add_months(HISTORY_END, -history_months))
            history = seed_history(
                members=plan.members,
                weak_cells={units[u.code].pk for u in plan.units if u.is_weak},
                visitors=visitors,
                end_month=HISTORY_END,
                months=history_months,
                rng=rng,
                progress=progress,
            )
        if history_months:
            history["sealed"] = seal_history(MEASURED_CELL if size == "province" else "")
            progress(f"{history['sealed']} final records sealed")
        accounts = create_demo_accounts(units)
        history["weak_cells"] = seed_weak_cells()
        if history_months:
            history["group_visits"] = seed_group_work()
        if size == "demo":
            history["planned_visits"] = plan_coming_visits()
            history["materials"] = publish_demo_materials(units["LV"])
            history["topics_adopted"] = orient_demo_topics(units["LV"])
            history["member_accounts"] = give_cell_accounts(units["X001.01"])
            requests = seed_requests(units["LV"])
            history.update({f"directives_{key}": n for key, n in requests.items()})
    analyze()
    return {
        "units": len(plan.units),
        "cells": sum(1 for u in plan.units if u.kind.holds_meetings),
        "members": len(plan.members),
        **history,
        "accounts": accounts,
    }


# The tables a seed loaded by COPY vacuums (`analyze`).
VACUUMED = (Unit, Post, CellMonth, MeetingStats)


def analyze(vacuum_only: Sequence[type[models.Model]] = ()) -> None:
    """Millions of rows arrived at once: give the query planner their statistics now rather
    than when autovacuum gets round to it (on PostgreSQL a stale plan costs 30x). On
    PostgreSQL a vacuum also marks the pages all-visible, as autovacuum does on a database
    in use, so that index-only scans need not visit the rows (it cannot run inside a
    transaction, as in the tests: there the statistics alone): of every table, or only of
    the tables `vacuum_only` names (the seeds loaded by COPY: the small tables the
    dashboards read, not the millions of attendance rows)."""
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        if not vacuum or not vacuum_only:
            cursor.execute("VACUUM (ANALYZE)" if vacuum else "ANALYZE")
            return
        cursor.execute("ANALYZE")
        qn = connection.ops.quote_name
        cursor.execute(f"VACUUM {', '.join(qn(m._meta.db_table) for m in vacuum_only)}")


def seed_province_by_copy(
    *,
    random_seed: int,
    months: int,
    scale: float = 1.0,
    namespace: str = "",
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, int]:
    """The province size: its units, members, `months` of meetings and the classifications
    of the years seen whole made as COPY text in two processes of their own, as one
    province of the national size is (`national.load_provinces`), then what the history
    leaves beside them (the committees' visits, the measured cell's seals) and the demo's
    accounts, weak cells and working group; all in one transaction. Beside what the
    database holds with `namespace` before every unit code (and none of the demo's
    accounts, weak cells or working group, which name the province's own codes)."""
    from chibo.demo import national  # it builds on this module

    started = time.perf_counter()

    def step(line: str) -> None:
        progress(f"{line} ({time.perf_counter() - started:.1f} s)")

    rng = random.Random(random_seed + 1)
    first = add_months(HISTORY_END, -months)
    # The years seen whole: January to a December before the planned month.
    years = [
        year
        for year in range(first.year, HISTORY_END.year + 1)
        if datetime.date(year, 1, 1) >= first and datetime.date(year, 12, 1) < HISTORY_END
    ]
    code = f"{namespace}LV"
    counts: dict[str, int] = {}
    units: dict[str, Unit] = {}

    def beside_the_meetings() -> None:
        # On PostgreSQL before the indexes are built, as the load: their keys are those
        # just loaded. The planner needs the loaded tables' statistics to join them
        # without indexes.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                tables = (Unit, Member, Meeting, Attendance, Guest)
                qn = connection.ops.quote_name
                cursor.execute(f"ANALYZE {', '.join(qn(m._meta.db_table) for m in tables)}")
        province = Unit.objects.get(code=code)
        units.update((u.code, u) for u in Unit.objects.filter(path__startswith=province.path))
        visitors = create_committees(units, since=first, province=code)
        counts["visits"] = visits_from_upper_guests(visitors, rng)
        step(f"committees and {counts['visits']} of their visits")
        rebuild_tallies()
        step(f"the tallies of the classifications of {len(years)} years")

    # SQLite checks a foreign key as each row comes (deferred to the commit, but looked up
    # then); its checks can be turned off only outside a transaction, as in a seed, and
    # then for the whole transaction: every key is checked at once before the commit, as
    # Django's loaddata does.
    unchecked = connection.vendor == "sqlite" and not connection.in_atomic_block
    checks_off = connection.constraint_checks_disabled() if unchecked else contextlib.nullcontext()
    with checks_off, transaction.atomic():
        loaded = national.load_provinces(
            random_seed=random_seed, months=months, provinces=1,
            size=national.scaled(SIZES["province"], scale), under_national=False,
            namespace=namespace, progress=progress, before_indexes=beside_the_meetings,
            rate_years=years,
        )  # fmt: skip
        counts.update(
            units=len(units),
            cells=loaded["cells"],
            members=loaded["rows"]["member"],
            meetings=loaded["rows"]["meeting"],
            attendance_rows=loaded["rows"]["attendance"],
            ratings=loaded["rows"]["rating"],
        )
        counts["sealed"] = seal_history(
            f"{namespace}LV-{MEASURED_CELL}" if namespace else MEASURED_CELL
        )
        step(f"{counts['sealed']} final records sealed")
        if not namespace:
            counts["accounts"] = create_demo_accounts(units)
            counts["weak_cells"] = seed_weak_cells()
            counts["group_visits"] = seed_group_work()
            step("accounts, weak cells, working group")
        if unchecked:
            connection.check_constraints()
            step("every foreign key checked")
    step("committed")
    analyze(vacuum_only=VACUUMED)
    step("statistics")
    return counts


def seal_history(cells: str) -> int:
    """Seal what the history made final, as the services do one record at a time, in the
    cells whose codes start with `cells` (all with ""); returns the records sealed. The
    province's history is sealed only in the cell whose pages the benchmark measures
    (the rest: `chibo seals --seal-missing`, minutes)."""
    where = {"unit__code__startswith": cells} if cells else {}
    return sum(
        audit.sealed_now
        for audit in (
            meeting_seals.audit_minutes(Meeting.objects.filter(**where), seal_missing=True),
            scoring_seals.audit_scores(
                MeetingScore.objects.filter(**{f"meeting__{k}": v for k, v in where.items()}),
                seal_missing=True,
            ),
            scoring_seals.audit_ratings(AnnualRating.objects.filter(**where), seal_missing=True),
        )
    )


def give_cell_accounts(cell: Unit) -> int:
    """Every member of bithu1's cell gets an account from the roster, as a secretary would
    make them: half of them activated (the demo password), one whose code expired, the
    rest with a code waiting, so that "who can sign in" has something to show."""
    from chibo.members.accounts import create_member_accounts, record_activation
    from chibo.members.models import ActivationCode

    password = make_password(DEMO_PASSWORD)  # hashed once: the hasher is slow on purpose

    result = create_member_accounts(
        members=Member.objects.active().filter(unit=cell), by=None, reissue=False
    )
    for i, issued in enumerate(result.created):
        assert issued.member.user is not None
        if i % 2 == 0:
            ActivationCode.objects.filter(member=issued.member).update(used_at=timezone.now())
            issued.member.user.password = password
            issued.member.user.save(update_fields=["password"])
            record_activation(user=issued.member.user)
        elif i == 1:
            ActivationCode.objects.filter(member=issued.member).update(
                expires_at=timezone.now() - datetime.timedelta(days=1)
            )
    return len(result.created)


def publish_demo_materials(province: Unit) -> int:
    """The province's materials for this month and the next, as DOCX, to every cell."""
    import docx
    from django.core.files.uploadedfile import SimpleUploadedFile

    from chibo.content.models import MaterialKind
    from chibo.content.services import publish

    this_month = timezone.localdate().replace(day=1)
    months = [this_month, add_months(this_month, 1)]
    for month in months:
        document = docx.Document()
        document.add_heading(f"Tài liệu sinh hoạt chi bộ tháng {month:%m/%Y}", level=1)
        for line in (
            "1. Thông tin thời sự trong tỉnh và cả nước.",
            "2. Chuyên đề học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh.",
            "3. Gợi ý nội dung thảo luận tại chi bộ.",
        ):
            document.add_paragraph(line)
        buffer = io.BytesIO()
        document.save(buffer)
        publish(
            unit=province,
            kind=MaterialKind.MEETING,
            title=f"Tài liệu sinh hoạt chi bộ tháng {month:%m/%Y}",
            summary="Thông tin thời sự, chuyên đề học tập và làm theo Bác, gợi ý thảo luận.",
            month=month,
            topic="",
            file=SimpleUploadedFile("tai-lieu.docx", buffer.getvalue()),
            file_type="docx",
            cells=[],
            by=None,
        )
    return len(months)


DEMO_TOPICS = [
    (
        "Nâng cao chất lượng sinh hoạt chi bộ, thực hiện tự phê bình và phê bình",
        "Tinh thần Nghị quyết Trung ương 4 khóa XI, XII; liên hệ việc thực hiện chế độ sinh "
        "hoạt, tự phê bình và phê bình tại chi bộ.",
        'Tư tưởng Hồ Chí Minh về tự phê bình và phê bình: "Sửa đổi lối làm việc" (1947).',
    ),
    (
        "Phát triển kinh tế, xây dựng nông thôn mới ở địa phương",
        "Kết quả thực hiện nghị quyết đại hội đảng bộ cấp trên; nhiệm vụ của đảng viên.",
        "Tấm gương cần, kiệm, liêm, chính, chí công vô tư của Chủ tịch Hồ Chí Minh.",
    ),
    (
        "Công tác phát triển đảng viên trong chi bộ",
        "Tạo nguồn, giới thiệu quần chúng ưu tú; phân công đảng viên giúp đỡ.",
        "Tư tưởng Hồ Chí Minh về xây dựng Đảng trong sạch, vững mạnh.",
    ),
    (
        "Phòng, chống suy thoái tư tưởng chính trị, đạo đức, lối sống",
        'Những biểu hiện "tự diễn biến", "tự chuyển hóa"; trách nhiệm nêu gương.',
        'Bác Hồ với đạo đức cách mạng: "Nâng cao đạo đức cách mạng, quét sạch chủ nghĩa cá nhân".',
    ),
]


def orient_demo_topics(province: Unit) -> int:
    """The province's four thematic topics of this year, one suggested per quarter; each
    cell takes the quarter's topic into the thematic meetings it held or planned."""
    from chibo.content import services as content_services

    year = timezone.localdate().year
    topics = [
        content_services.save_topic(
            topic=None,
            unit=province,
            data={
                "year": year,
                "title": title,
                "guidance": guidance,
                "hcm_content": hcm,
                "quarter": quarter,
            },
            by=None,
        )
        for quarter, (title, guidance, hcm) in enumerate(DEMO_TOPICS, start=1)
    ]
    adopted = 0
    meetings = (
        Meeting.objects.filter(
            kind__in=content_services.THEMATIC_KINDS,
            month__gte=datetime.date(year, 1, 1),
            month__lte=datetime.date(year, 12, 1),
        )
        .exclude(state=MeetingState.CANCELLED)
        .select_related("unit__kind")
        .order_by("unit__path", "scheduled_at")
    )
    for meeting in meetings:
        quarter = quarter_of(meeting.month)
        topic = topics[quarter - 1]
        # Two cells in three follow the orientation; the others chose their own topic.
        if (
            meeting.unit_id % 3 == 0
            or TopicAdoption.objects.filter(unit=meeting.unit, topic=topic).exists()
        ):
            continue
        content_services.adopt_topic(
            topic=topic, cell=meeting.unit, quarter=quarter, meeting=meeting, by=None
        )
        adopted += 1
    return adopted


def create_demo_accounts(units: dict[str, Unit]) -> int:
    """The fixed demo accounts, each linked to a member of the cell it belongs to."""
    User = get_user_model()
    password = make_password(DEMO_PASSWORD)
    start = datetime.date(2025, 7, 1)

    def account(username: str, *, cell: str | None, member_index: int = 0, **extra: Any) -> Any:
        user = User.objects.create(
            username=username, password=password, email=f"{username}@example.invalid", **extra
        )
        if cell is not None:
            members = Member.objects.filter(unit=units[cell]).order_by("pk")
            if username.startswith("bithu"):
                # A secretary's account is the holder of the cell's secretary post.
                secretary = Post.objects.filter(unit=units[cell], kind=PostKind.SECRETARY)
                member = members.get(pk__in=secretary.values("member_id"))
            else:
                member = members[member_index]
            member.user = user
            member.save(update_fields=["user"])
            # Shown by the member's full name, as the accounts made for members are.
            user.first_name = f"{member.family_name} {member.middle_name}".strip()[:150]
            user.last_name = member.given_name[:150]
            user.save(update_fields=["first_name", "last_name"])
            RoleGrant.objects.create(
                user=user, unit=units[cell], role=Role.MEMBER, scope=Scope.UNIT, valid_from=start
            )
        return user

    def grant(user: Any, code: str, role: Role, scope: Scope) -> None:
        RoleGrant.objects.create(
            user=user, unit=units[code], role=role, scope=scope, valid_from=start
        )

    admin = account("admin", cell=None, is_staff=True, is_superuser=True)
    grant(admin, "LV", Role.ADMINISTRATOR, Scope.SUBTREE)
    grant(account("bantochuc", cell="T001.01"), "LV", Role.ORG_COMMISSION, Scope.SUBTREE)
    agency_cell = (
        Unit.objects.filter(code__startswith="X001.", name__startswith="Chi bộ cơ quan")
        .values_list("code", flat=True)
        .get()
    )
    grant(account("uyvien1", cell=agency_cell), "X001", Role.UPPER_COMMITTEE, Scope.SUBTREE)
    for username, cell in (("bithu1", "X001.01"), ("bithu2", "X002.01")):
        user = account(username, cell=cell)
        grant(user, cell, Role.SECRETARY, Scope.UNIT)
        Post.objects.filter(unit=units[cell], kind=PostKind.SECRETARY).update(
            grant=RoleGrant.objects.get(user=user, role=Role.SECRETARY)
        )
    account("dangvien1", cell="X001.01", member_index=1)
    grant(account("kiemtra", cell="T001.01", member_index=1), "LV", Role.INSPECTION, Scope.SUBTREE)
    grant(
        account("tuyengiao", cell="T001.01", member_index=3), "LV", Role.PROPAGANDA, Scope.SUBTREE
    )
    helper = account("tocongtac1", cell="T001.01", member_index=2)
    second = account("tocongtac2", cell=None, first_name="Tổ viên", last_name="Lê")
    group = save_group(
        unit=units["LV"],
        name="Tổ công tác số 1 của Ban Thường vụ Tỉnh ủy",
        leader=helper,
        members=[second],
        units=[units["X002"]],
        starts_on=datetime.date(2025, 1, 1),
        ends_on=datetime.date(2027, 12, 31),
        decision="125-QĐ/TU",
        by=None,
    )
    # The leader shares the commune's cells: every other one is the second member's.
    for index, cell in enumerate(
        Unit.objects.cells().filter(path__startswith=units["X002"].path).order_by("path")
    ):
        assign_charge(group=group, unit=cell, user=helper if index % 2 == 0 else second, by=None)
    return len(DEMO_ACCOUNTS)


def seed_weak_cells() -> int:
    """The cells flagged weak by the builder are on the list from the start of the year,
    with an improvement plan; the cells whose last year's record calls for it are proposed."""
    year = HISTORY_END.year
    listed = WeakCell.objects.bulk_create(
        WeakCell(
            unit_id=pk,
            year=year,
            source=WeakSource.CLASSIFICATION,
            reason="Xếp loại năm trước: không hoàn thành nhiệm vụ.",
            state=WeakState.LISTED,
            listed_on=datetime.date(year, 1, 15),
            plan="Củng cố cấp ủy; sinh hoạt đúng kỳ, đủ nội dung; mỗi quý một chuyên đề.",
            targets="Sinh hoạt đủ 12 kỳ; tỷ lệ dự trên 90%; không có kỳ xếp loại Kém.",
        )
        for pk in Unit.objects.cells()
        .filter(is_weak=True)
        .order_by("path")
        .values_list("pk", flat=True)
    )
    WeakCellReview.objects.bulk_create(
        WeakCellReview(
            case=case,
            year=year,
            quarter=quarter,
            progress="Sinh hoạt đủ kỳ trong quý; chất lượng có chuyển biến.",
            on_track=quarter > 1,
        )
        for case in listed[:3]
        for quarter in (1, 2, 3)
    )
    province = Unit.objects.filter(depth=1).first()
    proposed = 0
    if province is not None:
        for cell, source, reason in weak_candidates(province, year - 1)[:3]:
            propose_weak_cell(unit=cell, year=year, source=source, reason=reason, by=None)
            proposed += 1
        commune = Unit.objects.filter(code="X001.02", is_weak=False).first()
        if commune is not None and not WeakCell.objects.filter(unit=commune).exists():
            propose_weak_cell(
                unit=commune,
                year=year,
                source=WeakSource.COMMUNE,
                reason="Hai kỳ liền không đủ số đảng viên dự; nội dung sinh hoạt đơn điệu.",
                by=None,
            )
            proposed += 1
    return len(listed) + proposed


def seed_group_work() -> int:
    """The province's working group at work this year: its people attended the meetings of
    their cells every other month, most recorded what they saw; its report of this year's
    first half was returned for correction, last year's first half accepted and last year's
    year-end report submitted, waiting for the province."""
    group = WorkingGroup.objects.select_related("unit", "leader").order_by("pk").first()
    if group is None:
        return 0
    charges = dict(GroupAssignment.objects.filter(group=group).values_list("unit_id", "user_id"))
    now = timezone.now()
    visits = []
    days: set[tuple[int, datetime.date]] = set()  # nobody in two places on one day (PLAN-4)
    for pk, unit_id, month, scheduled_at in (
        Meeting.objects.filter(
            unit_id__in=list(charges),
            kind="regular",
            state__in=[MeetingState.HELD, MeetingState.APPROVED],
            scheduled_at__lt=now,
            month__gte=datetime.date(HISTORY_END.year - 1, 1, 1),
        )
        .order_by("scheduled_at")
        .values_list("pk", "unit_id", "month", "scheduled_at")
    ):
        day = (charges[unit_id], timezone.localtime(scheduled_at).date())
        if month.month % 2 or day in days:
            continue
        days.add(day)
        missed = (pk + month.month) % 7 == 0
        visits.append(
            Visit(
                meeting_id=pk,
                user_id=charges[unit_id],
                group=group,
                source=VisitSource.PLAN,
                state=VisitState.MISSED if missed else VisitState.DONE,
                observation=""
                if missed
                else "Chi bộ sinh hoạt đúng kỳ; nội dung bám nghị quyết, còn ít ý kiến thảo luận.",
                guidance="" if missed else "Chuẩn bị kỹ nội dung, phân công đảng viên phát biểu.",
                recorded_at=now,
            )
        )
    Visit.objects.bulk_create(visits, ignore_conflicts=True)
    Through = Meeting.visitors.through
    Through.objects.bulk_create(
        (Through(meeting_id=v.meeting_id, user_id=v.user_id) for v in visits),
        ignore_conflicts=True,
    )
    staff = get_user_model().objects.filter(username="bantochuc").first()
    for year, half, outcome in (
        (HISTORY_END.year - 1, True, "accept"),
        (HISTORY_END.year - 1, False, "submit"),
        (HISTORY_END.year, True, "return"),
    ):
        report = draft_report(group, year, half)
        report = save_report(
            report=report,
            results=report.results,
            shortcomings="Một số buổi chưa dự được do trùng lịch công tác.",
            proposals="Đề nghị cấp ủy xã thông báo lịch sinh hoạt sớm hơn.",
            submit=True,
            version=0,
            by=group.leader,
        )
        if outcome == "accept":
            evaluate_report(
                report=report,
                level="kha",
                evaluation="Tổ công tác hoàn thành nhiệm vụ được giao.",
                version=report.version,
                by=staff,
            )
        elif outcome == "return":
            return_report(
                report=report,
                reason="Bổ sung đánh giá cụ thể từng chi bộ yếu kém trên địa bàn.",
                version=report.version,
                by=staff,
            )
    return len(visits)


COMMITTEE_SIZE = 3  # committee members per commune-level unit who attend cell meetings
PROVINCE_COMMITTEE = 3


def create_committees(
    units: dict[str, Unit], since: datetime.date, province: str = "LV"
) -> dict[int, list[int]]:
    """Committee members of every commune-level unit and of the province (accounts that
    are not printed), on their committees from `since` (the history's start), who attend
    cell meetings; returns cell → the users of the commune-level committee whose monthly
    plan covers it (not the cells of a basic committee below it: PLAN-3)."""
    User = get_user_model()
    password = make_password(DEMO_PASSWORD)
    start = since
    top = units[province]
    below = Unit.objects.filter(path__startswith=top.path)
    communes = [u for u in below.filter(depth=top.depth + 1).order_by("path") if not u.is_cell]
    people: dict[str, list[int]] = {}
    grants = []
    for unit in [top, *communes]:
        n = PROVINCE_COMMITTEE if unit.depth == 1 else COMMITTEE_SIZE
        users = User.objects.bulk_create(
            User(
                username=f"{unit.code.lower()}.cu{i}",
                password=password,
                first_name=f"Cấp ủy viên {i}",
                last_name=unit.code,
            )
            for i in range(1, n + 1)
        )
        people[unit.path] = [u.pk for u in users]
        grants += [
            RoleGrant(
                user=u, unit=unit, role=Role.UPPER_COMMITTEE, scope=Scope.SUBTREE, valid_from=start
            )
            for u in users
        ]
    RoleGrant.objects.bulk_create(grants)
    steplen = Unit.steplen
    committees = dict(
        below.filter(kind__holds_meetings=False)
        .exclude(kind__visit_rule=VisitRule.NONE)
        .values_list("path", "kind__visit_rule")
    )
    return {
        pk: people[path[: 2 * steplen]]
        for pk, path in below.cells().values_list("pk", "path")
        if path[: 2 * steplen] in people
        and plan_covers(committees[path[: 2 * steplen]], path[: 2 * steplen], path, committees)
    }


def plan_coming_visits() -> int:
    """The visit plan of every commune-level committee for the meetings still to come."""
    year = timezone.localdate().year
    created = 0
    for unit in Unit.objects.filter(depth__lte=2).order_by("path"):
        if not unit.is_cell and year == HISTORY_END.year:
            created += plan_visits(unit=unit, year=year, by=None).created
    if year == HISTORY_END.year:
        for group in WorkingGroup.objects.order_by("pk"):
            created += plan_group_visits(group=group, year=year, by=None).created
    return created
