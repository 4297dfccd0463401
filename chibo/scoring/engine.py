"""The rubric engine: facts about one meeting in, points per criterion and a level out.

Pure functions on plain data, so that the same code scores a recorded meeting, a JSON file
given to `chibo score`, and the test cases. Which criteria exist, their points, the level
thresholds and the "full marks required for Tốt" list come from a rubric (data, versioned);
this module knows how to compute each computable criterion code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chibo.lib.display import format_percent
from chibo.meetings import votes

MEMBER_STATUSES = {
    "official",
    "probationary",
    "exempted",
    "attached_elsewhere",
    "suspended",
    "detained",
    "special_duty",
}
ATTENDANCE = {"present", "late", "left_early", "absent_excused", "absent_unexcused"}
PRESENT = votes.PRESENT
KINDS = {"regular", "thematic", "combined", "extraordinary"}
# Extraordinary meetings have no sheet: HD 12 scores the monthly meetings (docs/scoring.md).
SCORED_KINDS = {"regular", "thematic", "combined"}
LEVELS = ["tot", "kha", "trung_binh", "kem"]


class FactsError(ValueError):
    """The facts given are not of the expected shape; the message names the key."""


@dataclass(frozen=True)
class EngineSettings:
    """The province's settings the engine reads (`ScoringRules`, as in force on the
    meeting's day); the defaults are those of HD 12-HD/BTCTW. A score records the settings
    it was made with (`MeetingScore.settings`)."""

    attendance_threshold: int = 85  # percent; the rate must be above it
    max_consecutive_absences: int = 3
    min_minutes: int = 90
    min_minutes_combined: int = 120
    # The competent committee may set less for very small cells (domain §4): a cell with
    # fewer members than `small_cell_size` (0: no such rule) needs `small_cell_min_minutes`.
    small_cell_size: int = 0
    small_cell_min_minutes: int = 60

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EngineSettings:
        known = {k: int(v) for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


DEFAULT_SETTINGS = EngineSettings()


def required_minutes(kind: str, cell_size: int, settings: EngineSettings) -> int:
    """The minimum length of a meeting (HD 12: 90 minutes, 120 when regular and thematic
    share the session; less for very small cells where the province says so)."""
    need = settings.min_minutes_combined if kind == "combined" else settings.min_minutes
    if settings.small_cell_size and cell_size < settings.small_cell_size:
        return min(need, settings.small_cell_min_minutes)
    return need


@dataclass(frozen=True)
class MemberFact:
    status: str
    attendance: str
    consecutive_absences_before: int = 0


@dataclass(frozen=True)
class MeetingFacts:
    """What the rubric needs to know about one meeting."""

    kind: str
    duration_minutes: int | None
    members: list[MemberFact]
    speakers: int
    drafter_assigned: bool
    committee_met: bool
    members_notified: bool
    materials_days_before: int | None
    draft_resolution: bool
    minutes_complete: bool
    has_criticism: bool
    has_hcm_study: bool
    votes_for: int | None
    votes_against: int
    votes_abstain: int
    previous_tasks_total: int
    previous_tasks_done: int
    previous_tasks_reviewed: bool
    judged: dict[str, int] = field(default_factory=dict)
    settings: EngineSettings = DEFAULT_SETTINGS
    # STATUS-2: the statuses the province leaves out of the attendance rate that day.
    left_out: frozenset[str] = votes.DEFAULT_NOT_EXPECTED

    # -- derived figures -----------------------------------------------------------------

    @property
    def expected(self) -> list[MemberFact]:
        """Members expected at the meeting (`chibo.meetings.votes.expected_to_attend`)."""
        return [m for m in self.members if votes.expected_to_attend(m.status, self.left_out)]

    @property
    def cell_size(self) -> int:
        """The cell's own members (those attached from elsewhere are not listed)."""
        return sum(1 for m in self.members if m.status != "attached_elsewhere")

    @property
    def required_minutes(self) -> int:
        return required_minutes(self.kind, self.cell_size, self.settings)

    @property
    def present(self) -> int:
        return sum(1 for m in self.members if m.attendance in PRESENT)

    @property
    def attendance_rate(self) -> float:
        expected = self.expected
        if not expected:
            return 0.0
        return sum(1 for m in expected if m.attendance in PRESENT) / len(expected)

    @property
    def vote_roll(self) -> votes.VoteRoll:
        """Who may vote and the denominator (QĐ 24-QĐ/TW 9.3.2): the rule's one function."""
        return votes.vote_roll((m.status, m.attendance) for m in self.members)

    @property
    def vote_denominator(self) -> int:
        return self.vote_roll.denominator

    @property
    def vote_passed(self) -> bool:
        return bool(votes.vote_passed(self.votes_for, self.vote_denominator))


@dataclass(frozen=True)
class CriterionSpec:
    code: str
    name: str
    max: int
    computed: bool


@dataclass(frozen=True)
class RubricSpec:
    """A rubric version as the engine reads it."""

    code: str
    criteria: list[CriterionSpec]
    thresholds: dict[str, int]  # "tot", "kha", "trung_binh": minimum totals
    full_marks_for_tot: list[str]

    @classmethod
    def from_data(cls, code: str, data: dict[str, Any]) -> RubricSpec:
        return cls(
            code=code,
            criteria=[CriterionSpec(**c) for c in data["criteria"]],
            thresholds=dict(data["thresholds"]),
            full_marks_for_tot=list(data["full_marks_for_tot"]),
        )


@dataclass(frozen=True)
class CriterionResult:
    code: str
    points: int
    max: int
    computed: bool
    reason: str


@dataclass(frozen=True)
class Breakdown:
    """The score of one meeting under one rubric."""

    rubric: str
    total: int
    level: str
    criteria: list[CriterionResult]
    attendance_rate: float
    vote_denominator: int
    vote_passed: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "rubric": self.rubric,
            "total": self.total,
            "level": self.level,
            "criteria": [c.__dict__ for c in self.criteria],
            "attendance_rate": round(self.attendance_rate, 4),
            "vote_denominator": self.vote_denominator,
            "vote_passed": self.vote_passed,
        }


# -- computed criteria ---------------------------------------------------------------------

Computer = Callable[[MeetingFacts, int], tuple[int, str]]


def _pct(value: float) -> str:
    # One decimal: a share of 14.8 % must not read "15%" beside a rule that needs 15 %.
    return format_percent(100 * value)


def _rate(f: MeetingFacts, top: int) -> tuple[int, str]:
    rate = f.attendance_rate
    values = {"rate": _pct(rate), "min": f.settings.attendance_threshold}
    if rate * 100 > f.settings.attendance_threshold:
        return top, _("%(rate)s present, more than %(min)s%%") % values
    return 0, _("%(rate)s present, not more than %(min)s%%") % values


def _no_unexcused(f: MeetingFacts, top: int) -> tuple[int, str]:
    n = sum(1 for m in f.expected if m.attendance == "absent_unexcused")
    if n == 0:
        return top, _("no unexcused absence")
    return 0, _("%(n)s unexcused absence(s)") % {"n": n}


def _consecutive(f: MeetingFacts, top: int) -> tuple[int, str]:
    limit = f.settings.max_consecutive_absences
    over = [
        m
        for m in f.expected
        if m.attendance not in PRESENT and m.consecutive_absences_before + 1 > limit
    ]
    if over:
        return 0, _("%(n)s member(s) absent more than %(limit)s meetings in a row") % {
            "n": len(over),
            "limit": limit,
        }
    return top, _("nobody absent more than %(limit)s meetings in a row") % {"limit": limit}


def _step(flag: Callable[[MeetingFacts], bool], what: Any) -> Computer:
    def compute(f: MeetingFacts, top: int) -> tuple[int, str]:
        return (top, str(what)) if flag(f) else (0, _("not done: %(what)s") % {"what": what})

    return compute


def _duration(f: MeetingFacts, top: int) -> tuple[int, str]:
    need = f.required_minutes
    if f.duration_minutes is None:
        return 0, _("start and end times not recorded")
    values = {"n": f.duration_minutes, "need": need}
    if f.duration_minutes >= need:
        return top, _("%(n)s minutes, at least %(need)s") % values
    return 0, _("%(n)s minutes, less than %(need)s") % values


def _speakers(f: MeetingFacts, top: int) -> tuple[int, str]:
    present = f.present
    share = f.speakers / present if present else 0.0
    values = {"n": f.speakers, "present": present, "share": _pct(share)}
    reason = _("%(n)s of the %(present)s present spoke (%(share)s)") % values
    if share >= 0.30:
        return top, reason
    if share >= 0.15:
        return top // 2, reason
    return 0, reason


def _minutes_content(f: MeetingFacts, top: int) -> tuple[int, str]:
    missing = [
        str(name)
        for name, ok in (
            (_("self-criticism"), f.has_criticism),
            (_("Ho Chi Minh study"), f.has_hcm_study),
        )
        if not ok
    ]
    if not missing:
        return top, _("self-criticism and Ho Chi Minh study recorded")
    return 0, _("missing: %(items)s") % {"items": ", ".join(missing)}


def _vote(f: MeetingFacts, top: int) -> tuple[int, str]:
    if f.votes_for is None:
        return 0, _("no vote recorded")
    values = {"n": f.votes_for, "d": f.vote_denominator}
    if f.vote_passed:
        return top, _("%(n)s for out of %(d)s: passed") % values
    return 0, _("%(n)s for out of %(d)s: not passed") % values


def _previous_tasks(f: MeetingFacts, top: int) -> tuple[int, str]:
    if not f.previous_tasks_reviewed:
        return 0, _("previous resolution not reviewed")
    if f.previous_tasks_total == 0:
        return top, _("no task was due")
    share = f.previous_tasks_done / f.previous_tasks_total
    reason = _("%(share)s of the previous tasks done") % {"share": _pct(share)}
    if share >= 0.80:
        return top, reason
    if share >= 0.50:
        return top // 2, reason
    return 0, reason


COMPUTERS: dict[str, Computer] = {
    "1a": _rate,
    "1b": _no_unexcused,
    "1c": _consecutive,
    "2a": _step(lambda f: f.drafter_assigned, gettext_lazy("drafter assigned")),
    "2b": _step(lambda f: f.committee_met, gettext_lazy("cell committee met")),
    "2c": _step(
        lambda f: f.members_notified, gettext_lazy("members and upper-level member notified")
    ),
    "2d": _step(
        lambda f: f.materials_days_before is not None and f.materials_days_before >= 1,
        gettext_lazy("materials published at least 1 day before"),
    ),
    "2e": _step(lambda f: f.draft_resolution, gettext_lazy("draft resolution prepared")),
    "3a": _duration,
    "3b": _speakers,
    "3d": _minutes_content,
    "4a": _vote,
    "4b": _step(lambda f: f.minutes_complete, gettext_lazy("minutes complete")),
    "4c": _previous_tasks,
}


def evaluate(facts: MeetingFacts, rubric: RubricSpec) -> Breakdown:
    results = []
    for criterion in rubric.criteria:
        if criterion.computed:
            compute = COMPUTERS.get(criterion.code)
            if compute is None:
                raise FactsError(
                    f"rubric {rubric.code}: no computation for criterion {criterion.code}"
                )
            points, reason = compute(facts, criterion.max)
        elif criterion.code in facts.judged:
            points = facts.judged[criterion.code]
            if not 0 <= points <= criterion.max:
                raise FactsError(
                    f"judged.{criterion.code}: points must be from 0 to {criterion.max}"
                )
            reason = _("judged")
        else:
            points, reason = 0, _("not judged yet")
        results.append(
            CriterionResult(criterion.code, points, criterion.max, criterion.computed, reason)
        )
    total = sum(r.points for r in results)
    return Breakdown(
        rubric=rubric.code,
        total=total,
        level=level_for(total, results, rubric),
        criteria=results,
        attendance_rate=facts.attendance_rate,
        vote_denominator=facts.vote_denominator,
        vote_passed=facts.vote_passed,
    )


def level_for(total: int, results: list[CriterionResult], rubric: RubricSpec) -> str:
    full = {r.code for r in results if r.points == r.max}
    if total >= rubric.thresholds["tot"]:
        return "tot" if set(rubric.full_marks_for_tot) <= full else "kha"
    if total >= rubric.thresholds["kha"]:
        return "kha"
    if total >= rubric.thresholds["trung_binh"]:
        return "trung_binh"
    return "kem"


# -- facts from JSON -------------------------------------------------------------------------


def _get(
    data: dict[str, Any],
    key: str,
    kind: type | tuple[type, ...],
    *,
    path: str = "",
    default: Any = ...,
) -> Any:
    name = f"{path}{key}"
    if key not in data:
        if default is ...:
            raise FactsError(f"missing key: {name}")
        return default
    value = data[key]
    if isinstance(value, bool) and kind in (int, (int, type(None))):
        raise FactsError(f"{name}: expected a number, got {value!r}")
    if not isinstance(value, kind):
        raise FactsError(f"{name}: expected {getattr(kind, '__name__', kind)}, got {value!r}")
    return value


def facts_from_json(data: Any, settings: EngineSettings = DEFAULT_SETTINGS) -> MeetingFacts:
    """Read the input of `chibo score` (documented in docs/scoring.md)."""
    if not isinstance(data, dict):
        raise FactsError("the input must be a JSON object")
    kind = _get(data, "kind", str)
    if kind not in KINDS:
        raise FactsError(f"kind: one of {', '.join(sorted(KINDS))}, got {kind!r}")
    if kind not in SCORED_KINDS:
        raise FactsError("kind: extraordinary meetings are not scored (docs/scoring.md)")
    members = []
    for n, item in enumerate(_get(data, "members", list)):
        where = f"members[{n}]."
        if not isinstance(item, dict):
            raise FactsError(f"members[{n}]: expected an object")
        status = _get(item, "status", str, path=where)
        if status not in MEMBER_STATUSES:
            raise FactsError(
                f"{where}status: one of {', '.join(sorted(MEMBER_STATUSES))}, got {status!r}"
            )
        attendance = _get(item, "attendance", str, path=where)
        if attendance not in ATTENDANCE:
            raise FactsError(
                f"{where}attendance: one of {', '.join(sorted(ATTENDANCE))}, got {attendance!r}"
            )
        before = _get(item, "consecutive_absences_before", int, path=where, default=0)
        if before < 0:
            raise FactsError(f"{where}consecutive_absences_before: must not be negative")
        members.append(MemberFact(status, attendance, before))
    prep = _get(data, "preparation", dict, default={})
    minutes = _get(data, "minutes", dict, default={})
    vote = _get(data, "vote", dict, default={})
    previous = _get(data, "previous_tasks", dict, default={})
    judged = _get(data, "judged", dict, default={})
    for code, points in judged.items():
        if isinstance(points, bool) or not isinstance(points, int):
            raise FactsError(f"judged.{code}: expected whole points, got {points!r}")
    duration = _get(data, "duration_minutes", (int, type(None)), default=None)
    speakers = _get(data, "speakers", int, default=0)
    if speakers < 0 or (duration is not None and duration < 0):
        raise FactsError("speakers and duration_minutes must not be negative")
    figures = {
        "vote.for": _get(vote, "for", (int, type(None)), path="vote.", default=None),
        "vote.against": _get(vote, "against", int, path="vote.", default=0),
        "vote.abstain": _get(vote, "abstain", int, path="vote.", default=0),
    }
    roll = votes.vote_roll((m.status, m.attendance) for m in members)
    for key, message in votes.vote_errors(figures, roll).items():
        raise FactsError(f"{key}: {message}")
    done = _get(previous, "done", int, path="previous_tasks.", default=0)
    total = _get(previous, "total", int, path="previous_tasks.", default=0)
    if not 0 <= done <= total:
        raise FactsError("previous_tasks.done: must be from 0 to previous_tasks.total")
    return MeetingFacts(
        kind=kind,
        duration_minutes=duration,
        members=members,
        speakers=speakers,
        drafter_assigned=_get(prep, "drafter_assigned", bool, path="preparation.", default=False),
        committee_met=_get(prep, "committee_met", bool, path="preparation.", default=False),
        members_notified=_get(prep, "members_notified", bool, path="preparation.", default=False),
        materials_days_before=_get(
            prep, "materials_days_before", (int, type(None)), path="preparation.", default=None
        ),
        draft_resolution=_get(prep, "draft_resolution", bool, path="preparation.", default=False),
        minutes_complete=_get(minutes, "complete", bool, path="minutes.", default=False),
        has_criticism=_get(minutes, "has_criticism", bool, path="minutes.", default=False),
        has_hcm_study=_get(minutes, "has_hcm_study", bool, path="minutes.", default=False),
        votes_for=figures["vote.for"],
        votes_against=figures["vote.against"] or 0,
        votes_abstain=figures["vote.abstain"] or 0,
        previous_tasks_total=total,
        previous_tasks_done=done,
        previous_tasks_reviewed=_get(
            previous, "reviewed", bool, path="previous_tasks.", default=False
        ),
        judged={str(k): int(v) for k, v in judged.items()},
        settings=settings,
    )
