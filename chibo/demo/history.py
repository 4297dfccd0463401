"""Meeting history for the demo province: months of held, minuted and approved meetings.

At province size this is about 150,000 meetings and 5–7 million attendance rows, so rows
are generated as plain tuples with their own keys and written with `executemany`, a
month at a time; no model instances, no history copies (it is the initial load).
"""

from __future__ import annotations

import datetime
import random
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

from django.db import connection
from django.utils import timezone

from chibo.lib.bulk import insert_rows, reset_sequences
from chibo.lib.dates import add_months
from chibo.meetings.models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Guest,
    ItemKind,
    Meeting,
    MeetingKind,
    MeetingState,
    Speech,
    Task,
    TaskStatus,
)
from chibo.meetings.services import DEFAULT_AGENDAS
from chibo.meetings.stats import rebuild as rebuild_rollups
from chibo.meetings.votes import vote_roll
from chibo.members.models import Member, MemberStatus
from chibo.orgs.models import Unit
from chibo.scoring.annual import AnnualQuality, annual_level
from chibo.scoring.classification import (
    COMMUNE_LEVEL,
    Evidence,
    MemberRecord,
    check_rating,
    rebuild_tallies,
)
from chibo.scoring.engine import DEFAULT_SETTINGS, MeetingFacts, MemberFact, evaluate
from chibo.scoring.models import AnnualRating, MeetingScore, Rubric, ScoringRules
from chibo.supervision.models import Visit

MEETING_FIELDS = [
    "id", "unit_id", "kind", "month", "scheduled_at", "place", "topic", "state", "state_reason",
    "drafter_id", "committee_met_on", "notified_on", "materials_published_on", "draft_resolution",
    "chair_id", "minutes_secretary_id", "started_at", "ended_at", "conclusion", "resolution",
    "votes_for", "votes_against", "votes_abstain", "approved_at", "checkin_code", "version",
    "quality_level",
]  # fmt: skip
ATTENDANCE_FIELDS = [
    "meeting_id", "member_id", "status", "reason", "member_status", "attached_from_elsewhere",
]  # fmt: skip
ITEM_FIELDS = ["id", "meeting_id", "order", "kind", "title", "notes"]
SPEECH_FIELDS = ["item_id", "member_id", "gist"]
TASK_FIELDS = ["meeting_id", "title", "owner_id", "owned_by_committee", "deadline", "status", "progress", "done_on"]  # fmt: skip

TOPICS = [
    "Nâng cao chất lượng sinh hoạt chi bộ",
    "Phát triển kinh tế hộ gia đình",
    "Xây dựng nông thôn mới",
    "Phòng, chống tham nhũng, tiêu cực",
    "Công tác phát triển đảng viên",
    "Bảo vệ môi trường, phòng chống thiên tai",
]
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
    "Vận động quần chúng ưu tú tham gia lớp cảm tình Đảng",
    "Hoàn thiện hồ sơ đảng viên",
    "Tuyên truyền phòng chống lừa đảo trên mạng",
]
ABSENCE_REASONS = ["Ốm", "Đi công tác", "Việc gia đình", "Đi làm ăn xa"]


@dataclass
class Person:
    """What the history needs of a member."""

    pk: int
    status: str
    admitted_on: datetime.date


VISIT_FIELDS = [
    "meeting_id", "user_id", "source", "state", "observation", "guidance", "recorded_at",
    "planned_at", "version",
]  # fmt: skip
OBSERVATIONS = [
    "Chi bộ sinh hoạt đúng nội dung, đảng viên phát biểu sôi nổi.",
    "Chuẩn bị chu đáo; phần tự phê bình còn chung chung.",
    "Nội dung bám sát nhiệm vụ của thôn, có liên hệ thực tế.",
    "Thời gian sinh hoạt bảo đảm; cần đổi mới cách điều hành.",
]
GUIDANCE = [
    "Cụ thể hóa nghị quyết thành việc làm, phân công người phụ trách.",
    "Tăng cường phê bình và tự phê bình, tránh hình thức.",
    "Quan tâm phát triển đảng viên trong thanh niên.",
    "",
]
RATING_FIELDS = [
    "year", "unit_id", "member_id", "kem_criterion", "targets_percent", "disciplined",
    "self_level", "self_note", "self_at", "verified_level", "verified_note", "verified_at",
    "decided_level", "decided_note", "decided_at", "version",
]  # fmt: skip
# A cell's classification from the quality of its year's meetings (with some spread).
CELL_LEVEL = {"tot": "good", "kha": "good", "trung_binh": "completed", "kem": "failed"}


@dataclass
class YearTally:
    """What the year-end classification needs, gathered while the months are written."""

    levels: dict[int, dict[str, int]] = field(default_factory=dict)  # cell → level → n
    regular_months: dict[int, set[int]] = field(default_factory=dict)
    unexcused: dict[int, int] = field(default_factory=dict)


def _allowed(level: str, evidence: Evidence, rules: ScoringRules) -> str:
    """The highest level at most `level` that the classification rules allow (the seed
    decides as a careful committee would: never against a rule)."""
    order = ["excellent", "good", "completed", "failed"]
    for candidate in order[order.index(level) :]:
        if not any(f.blocking for f in check_rating(candidate, evidence, rules, step="decide")):
            return candidate
    return "failed"


def _commune_of(cell_ids: list[int]) -> dict[int, str]:
    """Each cell's quota group: the path of its nearest commune-level unit."""
    communes = set(
        Unit.objects.filter(kind__level__lte=COMMUNE_LEVEL).values_list("path", flat=True)
    )
    groups = {}
    for pk, path in Unit.objects.filter(pk__in=cell_ids).values_list("pk", "path"):
        step = Unit.steplen
        above = [path[:e] for e in range(len(path) - step, 0, -step) if path[:e] in communes]
        groups[pk] = above[0] if above else path
    return groups


def year_ratings(
    year: int,
    by_cell: dict[int, list[Person]],
    tally: YearTally,
    rng: random.Random,
    quota_percent: int,
    *,
    groups: Mapping[int, object] | None = None,
    at: Callable[[datetime.datetime], object] | None = None,
) -> list[tuple[object, ...]]:
    """Decided classifications of every cell and member for `year`, as the steps would
    have left them: self-assessment, verification, decision (the rules and the quota
    respected: `classification.check_rating` is asked about every level). The cells'
    quota groups are `groups` (cell → its commune-level unit) or read from the database;
    the times are `at`'s (the driver's values by default)."""
    zone = timezone.get_current_timezone()
    stamp = _adapt_dt if at is None else at
    self_at = stamp(datetime.datetime(year, 12, 10, 9, tzinfo=zone))
    verified_at = stamp(datetime.datetime(year, 12, 18, 9, tzinfo=zone))
    decided_at = stamp(datetime.datetime(year, 12, 28, 9, tzinfo=zone))
    rules = ScoringRules(excellent_quota_percent=quota_percent)
    rows: list[tuple[object, ...]] = []
    upgrade = {
        "good": "excellent",
        "completed": "good",
        "failed": "completed",
        "excellent": "excellent",
    }

    def row(cell_id: int, member_id: int | None, level: str, claimed: str) -> tuple[object, ...]:
        return (
            year, cell_id, member_id, level == "failed", rng.randint(80, 100), False,
            claimed, "", self_at, level, "", verified_at, level, "", decided_at, 3,
        )  # fmt: skip

    # A member's evidence is their unexcused absences alone: the rules' answer for each
    # level and count is asked once (hundreds of thousands of members at province size).
    answers: dict[tuple[str, int], str] = {}

    def allowed_for_member(level: str, unexcused: int, evidence: Evidence) -> str:
        key = (level, unexcused)
        found = answers.get(key)
        if found is None:
            found = answers[key] = _allowed(level, evidence, rules)
        return found

    cell_levels: dict[int, str] = {}
    cell_rows: dict[int, list[tuple[object, ...]]] = {}
    cell_evidence: dict[int, Evidence] = {}
    for cell_id, people in by_cell.items():
        counts = tally.levels.get(cell_id, {})
        regular = len(tally.regular_months.get(cell_id, ()))
        missing = 12 - regular
        quality = annual_level(
            counts, unscored=0, missing=missing, tot_needed=rules.annual_tot_min_tot_meetings
        )
        if quality is None:
            continue
        rated = [
            p
            for p in people
            if p.status in (MemberStatus.OFFICIAL, MemberStatus.PROBATIONARY)
            and p.admitted_on.year <= year
        ]
        levels: list[str] = []
        records: list[Evidence] = []
        for person in rated:
            unexcused = tally.unexcused.get(person.pk, 0)
            roll = rng.random()
            if unexcused >= 3:
                level = "failed" if roll < 0.3 else "completed"
            elif roll < 0.15:
                level = "excellent"
            elif roll < 0.85:
                level = "good"
            else:
                level = "completed"
            # Months with an unexcused absence are at most the unexcused absences.
            evidence = Evidence(
                record=MemberRecord(unexcused=unexcused, months_unexcused=unexcused)
            )
            levels.append(allowed_for_member(level, unexcused, evidence))
            records.append(evidence)
        # The quota: "excellent" at most `quota_percent` of those rated well or better.
        well = sum(1 for level in levels if level in ("excellent", "good"))
        allowed = well * quota_percent // 100
        for index, level in enumerate(levels):
            if level == "excellent":
                if allowed:
                    allowed -= 1
                else:
                    levels[index] = "good"
        cell_level = CELL_LEVEL[quality]
        if quality == "tot" and rng.random() < 0.2:
            cell_level = "excellent"
        meetings = sum(counts.values())
        evidence = Evidence(
            is_cell=True,
            meeting_quality=AnnualQuality(quality, meetings, counts.get("tot", 0), 0, missing, 12),
            member_levels=levels,
        )
        cell_levels[cell_id] = _allowed(cell_level, evidence, rules)
        cell_evidence[cell_id] = evidence
        member_rows = []
        for person, level, record in zip(rated, levels, records, strict=True):
            claimed = upgrade[level] if rng.random() < 0.1 else level
            unexcused = tally.unexcused.get(person.pk, 0)
            claimed = allowed_for_member(claimed, unexcused, record)
            member_rows.append(row(cell_id, person.pk, level, claimed))
        cell_rows[cell_id] = member_rows
    # The quota of the cells, among the cells under one commune-level unit.
    if groups is None:
        groups = _commune_of(list(cell_levels))
    quota_groups: dict[object, list[int]] = {}
    for cell_id in cell_levels:
        group = groups[cell_id]
        quota_groups.setdefault(group, []).append(cell_id)
    for members in quota_groups.values():
        well = sum(1 for pk in members if cell_levels[pk] in ("excellent", "good"))
        allowed = well * quota_percent // 100
        for pk in sorted(members):
            if cell_levels[pk] == "excellent":
                if allowed:
                    allowed -= 1
                else:
                    cell_levels[pk] = "good"
    for cell_id, level in cell_levels.items():
        claimed = upgrade[level] if rng.random() < 0.2 else level
        claimed = _allowed(claimed, cell_evidence[cell_id], rules)
        rows.append(row(cell_id, None, level, claimed))
        rows.extend(cell_rows[cell_id])
    return rows


SCORE_FIELDS = [
    "meeting_id", "rubric_id", "cell_points", "cell_total", "cell_level", "members_for",
    "members_against", "proposed_at", "upper_points", "upper_total", "upper_level",
    "upper_comment", "confirmed_at", "settings",
]  # fmt: skip


def _json(value: dict[str, int]) -> object:
    return MeetingScore._meta.get_field("cell_points").get_db_prep_save(value, connection)


def _member_fact(person: Person, status: str, streaks: dict[int, int]) -> MemberFact:
    """The rubric's view of one member at one meeting; keeps the absence streaks."""
    if person.status == MemberStatus.EXEMPTED:
        return MemberFact("exempted", "absent_excused")
    before = streaks.get(person.pk, 0)
    absent = status in (AttendanceStatus.ABSENT_EXCUSED, AttendanceStatus.ABSENT_UNEXCUSED)
    streaks[person.pk] = before + 1 if absent else 0
    kind = "probationary" if person.status == MemberStatus.PROBATIONARY else "official"
    return MemberFact(kind, str(status), before)


def _adapt_dt(value: datetime.datetime | None) -> object:
    return None if value is None else connection.ops.adapt_datetimefield_value(value)


def _adapt_d(value: datetime.date | None) -> object:
    return None if value is None else connection.ops.adapt_datefield_value(value)


def seed_history(
    *,
    members: list[Member],
    weak_cells: set[int],
    visitors: dict[int, list[int]] | None = None,
    end_month: datetime.date,
    months: int,
    rng: random.Random,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, int]:
    """Held and approved meetings for `months` months before `end_month`, with the meeting
    of `end_month` planned; returns row counts."""
    by_cell: dict[int, list[Person]] = {}
    for m in members:
        by_cell.setdefault(m.unit_id, []).append(
            Person(m.pk, m.status, m.admitted_on or datetime.date(2000, 1, 1))
        )
    zone = timezone.get_current_timezone()
    counts = {
        "meetings": 0, "attendance_rows": 0, "agenda_items": 0, "speeches": 0, "tasks": 0,
        "scores": 0,
    }  # fmt: skip
    meeting_id = (Meeting.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    item_id = (AgendaItem.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    agendas = {kind: DEFAULT_AGENDAS[kind] for kind in (MeetingKind.REGULAR, MeetingKind.COMBINED)}
    rubric = Rubric.objects.latest_of("HD12-100")
    assert rubric is not None, "the scoring migrations add HD12-100"
    rubric_id, rubric_spec = rubric.pk, rubric.spec()
    # The demo province keeps the documented settings; each score records them.
    settings_used = _json(DEFAULT_SETTINGS.as_dict())
    streaks: dict[int, int] = {}
    last_tasks: dict[int, list[bool]] = {}
    tally: YearTally | None = None  # from the first January: a year seen whole
    counts["ratings"] = 0
    for step in range(months, -1, -1):
        month = add_months(end_month, -step)
        planned_only = step == 0
        meetings, attendance, items, speeches, tasks, scores = [], [], [], [], [], []
        visits: list[tuple[object, ...]] = []
        if month.month == 1:
            streaks.clear()  # consecutive absences count within a year
            tally = YearTally()
        year_tally = tally or YearTally()
        for cell_id, people in by_cell.items():
            weak = cell_id in weak_cells
            if not planned_only and weak and rng.random() < 0.15:
                continue  # a weak cell that did not meet this month
            kind = MeetingKind.COMBINED if month.month % 3 == 0 else MeetingKind.REGULAR
            start = datetime.datetime(
                month.year,
                month.month,
                rng.randint(3, 10),
                rng.choice([8, 14, 19, 19, 19]),
                0,
                tzinfo=zone,
            )
            day = start.date()
            present_ids: list[int] = []
            member_facts: list[MemberFact] = []
            roster = [p for p in people if p.admitted_on <= day]
            if len(roster) < 2:
                continue
            # The chair (the cell's secretary) and the minutes secretary: official members
            # first, and present at the meetings they approve (ROLE-1).
            secretary, second = sorted(roster, key=lambda p: p.status != MemberStatus.OFFICIAL)[:2]
            if planned_only:
                meetings.append(
                    [meeting_id, cell_id, kind, _adapt_d(month), _adapt_dt(start), "Hội trường chi bộ",
                     rng.choice(TOPICS) if kind == MeetingKind.COMBINED else "", MeetingState.PLANNED, "",
                     None, None, None, None, "", None, None, None, None, "", "", None, None, None, None,
                     secrets.token_urlsafe(12), 1, ""]
                )  # fmt: skip
            else:
                absent_rate = 0.22 if weak else 0.07
                for person in roster:
                    roll = rng.random()
                    if person.status == MemberStatus.EXEMPTED:
                        status, reason = AttendanceStatus.EXEMPTED, ""
                    elif roll < absent_rate * (0.7 if weak else 0.93):
                        status, reason = (
                            AttendanceStatus.ABSENT_EXCUSED,
                            rng.choice(ABSENCE_REASONS),
                        )
                    elif roll < absent_rate:
                        status, reason = AttendanceStatus.ABSENT_UNEXCUSED, ""
                    elif roll < absent_rate + 0.03:
                        status, reason = AttendanceStatus.LATE, ""
                    else:
                        status, reason = AttendanceStatus.PRESENT, ""
                    if person is secretary or person is second:
                        status, reason = AttendanceStatus.PRESENT, ""
                    if status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE):
                        present_ids.append(person.pk)
                    member_facts.append(_member_fact(person, status, streaks))
                    if status == AttendanceStatus.ABSENT_UNEXCUSED:
                        unexcused = year_tally.unexcused
                        unexcused[person.pk] = unexcused.get(person.pk, 0) + 1
                    attendance.append(
                        (
                            meeting_id,
                            person.pk,
                            status,
                            reason,
                            person.status
                            if person.status != MemberStatus.LEFT
                            else MemberStatus.OFFICIAL,
                            False,
                        )
                    )
                minutes = rng.randint(60, 95) if weak else rng.randint(90, 150)
                end = start + datetime.timedelta(minutes=minutes)
                # Only the official members present who may vote do (QĐ 24-QĐ/TW 9.3.2):
                # the same roll as the minutes, the vote form and the record audit.
                voting = vote_roll((f.status, f.attendance) for f in member_facts)
                votes_for = min(
                    voting.voters_present,
                    max(voting.denominator // 2 + 1, voting.voters_present - rng.randint(0, 2)),
                )
                abstain = voting.voters_present - votes_for
                prepared = not weak or rng.random() < 0.5
                meetings.append(
                    [meeting_id, cell_id, kind, _adapt_d(month), _adapt_dt(start), "Hội trường chi bộ",
                     rng.choice(TOPICS) if kind == MeetingKind.COMBINED else "", MeetingState.APPROVED, "",
                     secretary.pk if prepared else None,
                     _adapt_d(day - datetime.timedelta(days=4)) if prepared else None,
                     _adapt_d(day - datetime.timedelta(days=3)),
                     _adapt_d(day - datetime.timedelta(days=2)) if prepared else None,
                     "<p>Dự thảo nghị quyết.</p>" if prepared else "",
                     secretary.pk, second.pk, _adapt_dt(start), _adapt_dt(end),
                     "<p>Chi bộ thống nhất các nội dung đã thảo luận.</p>",
                     "<p>Nghị quyết tháng: tập trung thực hiện các nhiệm vụ trọng tâm.</p>",
                     votes_for, 0, abstain, _adapt_dt(end), secrets.token_urlsafe(12), 1, ""]
                )  # fmt: skip
                spoke: set[int] = set()
                for order, (item_kind, title) in enumerate(agendas[kind], start=1):
                    items.append(
                        (item_id, meeting_id, order, item_kind, title, "<p>Đã thảo luận.</p>")
                    )
                    if item_kind in (ItemKind.CRITICISM, ItemKind.SITUATION) and present_ids:
                        for speaker in rng.sample(
                            present_ids,
                            min(len(present_ids), rng.randint(1, 2) if weak else rng.randint(3, 6)),
                        ):
                            speeches.append((item_id, speaker, rng.choice(SPEECHES)))
                            spoke.add(speaker)
                    item_id += 1
                facts = MeetingFacts(
                    kind=kind, duration_minutes=minutes, members=member_facts, speakers=len(spoke),
                    drafter_assigned=prepared, committee_met=prepared, members_notified=True,
                    materials_days_before=2 if prepared else None, draft_resolution=prepared,
                    minutes_complete=True, has_criticism=True, has_hcm_study=True,
                    votes_for=votes_for, votes_against=0, votes_abstain=abstain,
                    previous_tasks_total=len(last_tasks.get(cell_id, [])),
                    previous_tasks_done=sum(last_tasks.get(cell_id, [])),
                    previous_tasks_reviewed=True,
                    judged={"3c": rng.randint(6, 8), "3e": rng.randint(2, 4), "3f": rng.randint(4, 5)}
                    if weak else {"3c": rng.randint(8, 10), "3e": rng.randint(4, 5), "3f": 5},
                )  # fmt: skip
                cell_result = evaluate(facts, rubric_spec)
                upper_result = None
                if rng.random() < 0.3:  # the upper-level member attended and confirmed
                    upper_judged = {
                        code: max(0, p - rng.randint(0, 1)) for code, p in facts.judged.items()
                    }
                    upper_result = evaluate(replace(facts, judged=upper_judged), rubric_spec)
                committee = (visitors or {}).get(cell_id)
                if upper_result is not None and committee:
                    # The confirming upper-level member attended: a visit with what was seen.
                    visits.append(
                        (meeting_id, rng.choice(committee), "plan", "done", rng.choice(OBSERVATIONS),
                         rng.choice(GUIDANCE), _adapt_dt(end), _adapt_dt(start - datetime.timedelta(days=20)), 1)
                    )  # fmt: skip
                final = upper_result or cell_result
                meetings[-1][-1] = final.level
                cell_levels = year_tally.levels.setdefault(cell_id, {})
                cell_levels[final.level] = cell_levels.get(final.level, 0) + 1
                year_tally.regular_months.setdefault(cell_id, set()).add(month.month)
                scores.append(
                    (meeting_id, rubric_id, _json({c.code: c.points for c in cell_result.criteria}),
                     cell_result.total, cell_result.level, voting.voters_present, 0, _adapt_dt(end),
                     _json({c.code: c.points for c in upper_result.criteria} if upper_result else {}),
                     upper_result.total if upper_result else None,
                     upper_result.level if upper_result else "", "", _adapt_dt(end) if upper_result else None,
                     settings_used)
                )  # fmt: skip
                done_flags = []
                for _ in range(rng.randint(1, 2)):
                    owner = rng.choice(roster)
                    deadline = add_months(month, 1)
                    done = step > 1 and rng.random() < (0.6 if weak else 0.9)
                    done_flags.append(done)
                    tasks.append(
                        (meeting_id, rng.choice(TASKS), owner.pk, False, _adapt_d(deadline),
                         TaskStatus.DONE if done else TaskStatus.IN_PROGRESS if step <= 2 else TaskStatus.OPEN,
                         "", _adapt_d(deadline) if done else None)
                    )  # fmt: skip
                last_tasks[cell_id] = done_flags
            meeting_id += 1
        insert_rows(Meeting, MEETING_FIELDS, meetings)
        insert_rows(MeetingScore, SCORE_FIELDS, scores)
        insert_rows(Attendance, ATTENDANCE_FIELDS, attendance)
        insert_rows(AgendaItem, ITEM_FIELDS, items)
        insert_rows(Speech, SPEECH_FIELDS, speeches)
        insert_rows(Task, TASK_FIELDS, tasks)
        insert_rows(Visit, VISIT_FIELDS, visits)
        insert_rows(
            Guest,
            ["meeting_id", "name", "title", "is_upper_attendee"],
            [(v[0], "Cấp ủy viên cấp trên", "Đảng ủy", True) for v in visits],
        )
        insert_rows(Meeting.visitors.through, ["meeting_id", "user_id"], [v[:2] for v in visits])
        counts["visits"] = counts.get("visits", 0) + len(visits)
        if month.month == 12 and not planned_only and tally is not None:
            ratings = year_ratings(month.year, by_cell, tally, rng, quota_percent=20)
            insert_rows(AnnualRating, RATING_FIELDS, ratings)
            counts["ratings"] += len(ratings)
        counts["meetings"] += len(meetings)
        counts["attendance_rows"] += len(attendance)
        counts["agenda_items"] += len(items)
        counts["speeches"] += len(speeches)
        counts["tasks"] += len(tasks)
        counts["scores"] += len(scores)
        if step % 6 == 0:
            progress(
                f"meetings up to {month:%m/%Y}: {counts['meetings']} meetings, {counts['attendance_rows']} attendance rows"
            )
    reset_sequences(Meeting, AgendaItem)
    progress("building the rollups")
    rebuild_rollups()
    rebuild_tallies()
    return counts


def visits_from_upper_guests(visitors: dict[int, list[int]], rng: random.Random) -> int:
    """A visit, with what was seen, by a member of the committee whose plan covers the cell
    (`visitors`: cell → users) to every approved meeting an upper-level attendee confirmed,
    as the history records them (for a seed that loaded the meetings and guests first)."""
    visits: list[tuple[object, ...]] = []
    for meeting_id, unit_id, started_at, ended_at in (
        Meeting.objects.filter(
            unit_id__in=list(visitors),
            state=MeetingState.APPROVED,
            guests__is_upper_attendee=True,
        )
        .order_by("pk")
        .values_list("pk", "unit_id", "started_at", "ended_at")
        .distinct()
    ):
        if started_at is None:  # an approved meeting has started (ROLE-1)
            continue
        visits.append(
            (meeting_id, rng.choice(visitors[unit_id]), "plan", "done", rng.choice(OBSERVATIONS),
             rng.choice(GUIDANCE), _adapt_dt(ended_at),
             _adapt_dt(started_at - datetime.timedelta(days=20)), 1)
        )  # fmt: skip
    insert_rows(Visit, VISIT_FIELDS, visits)
    insert_rows(Meeting.visitors.through, ["meeting_id", "user_id"], [v[:2] for v in visits])
    return len(visits)
