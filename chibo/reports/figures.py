"""The figures of a dashboard and of the periodic report, read from the rollups
(`meetings.CellMonth`) and a few small tables, never from attendance rows; a fixed number of
queries whatever the number of units."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from operator import add
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Substr
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from chibo.content import figures as content_figures
from chibo.development.figures import GROUP_LABELS, admissions
from chibo.development.figures import target as development_target
from chibo.development.models import Candidate
from chibo.lib.dates import quarter_of
from chibo.lib.display import format_percent
from chibo.meetings.models import CellMonth, MeetingState
from chibo.meetings.services import QUALITY_LABELS
from chibo.members.accounts import can_sign_in
from chibo.members.models import Member, Post, PostKind
from chibo.orgs.access import sees_subtree, unit_filter
from chibo.orgs.models import CellType, Unit
from chibo.orgs.permissions import Perm
from chibo.reports.periods import Period, year_earlier
from chibo.scoring.annual import existed_throughout
from chibo.scoring.models import Classification, RatingTally
from chibo.supervision.figures import ON_LIST, weak_movement
from chibo.supervision.models import (
    GroupReport,
    InspectionItem,
    ReportState,
    SupervisionRules,
    Visit,
    VisitState,
    WeakCell,
    WorkingGroup,
)
from chibo.supervision.services import RESIDENTIAL, reports_due

AnyUser = AbstractBaseUser | AnonymousUser
LEVELS = ["tot", "kha", "trung_binh", "kem"]
FLAGS = {
    "weak": "is_weak",
    "rural": "is_rural",
    "difficult": "is_difficult_area",
    "enterprise": "is_non_state_enterprise",
}
# The dashboard lists this many upper-level members (those who attended least); its
# export and the periodic report list them all.
VISITORS_SHOWN = 20
SUMS = [
    "meetings", "expected", "present", "speakers", "leaders_expected", "leaders_present",
    "leaders_speaking", "upper_attended", "level_tot", "level_kha", "level_trung_binh",
    "level_kem", "unscored",
]  # fmt: skip


@dataclass(frozen=True)
class Filters:
    cell_type: str = ""
    flag: str = ""

    @classmethod
    def from_query(cls, data: Any) -> Filters:
        cell_type = data.get("type", "")
        flag = data.get("flag", "")
        return cls(cell_type if cell_type in CellType.values else "", flag if flag in FLAGS else "")


def rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass
class Row:
    """One line of figures: a month, or a sub-unit."""

    key: Any
    label: str
    cells: int = 0
    months: int = 0  # cell-months expected
    regular: int = 0  # cell-months with a regular meeting
    sums: dict[str, int] = field(default_factory=dict)
    url_code: str = ""
    path: str = ""

    @property
    def compliance(self) -> float | None:
        return rate(self.regular, self.months)

    @property
    def attendance(self) -> float | None:
        return rate(self.sums.get("present", 0), self.sums.get("expected", 0))

    @property
    def upper(self) -> float | None:
        return rate(self.sums.get("upper_attended", 0), self.sums.get("meetings", 0))

    @property
    def levels(self) -> list[int]:
        return [self.sums.get(f"level_{level}", 0) for level in LEVELS]


@dataclass(frozen=True)
class Visitor:
    """An upper-level member's visits assigned to meetings of the cells of a dashboard in
    its period: attended, did not attend, not yet recorded."""

    name: str
    assigned: int
    attended: int
    missed: int

    @property
    def unrecorded(self) -> int:
        return self.assigned - self.attended - self.missed

    @property
    def rate(self) -> float | None:
        return rate(self.attended, self.assigned)


@dataclass(frozen=True)
class Compared:
    """A key figure beside the same figure for the same period one year earlier: `change`
    is in percentage points for a rate."""

    key: str
    label: str
    now: float | None
    before: float | None
    percent: bool

    @property
    def change(self) -> float | None:
        if self.now is None or self.before is None:
            return None
        difference = self.now - self.before
        return round(difference, 1) if self.percent else difference

    def _shown(self, value: float | None, language: str | None) -> str:
        if self.percent:
            return format_percent(value, language=language)
        return "—" if value is None else formats.number_format(value, use_l10n=True)

    def since(self, language: str | None = None) -> str:
        """Last year's figure and the change, in `language` (the active one for None):
        "same period last year 80,1 %, +5,1"."""
        with translation.override(language or translation.get_language()):
            before = self._shown(self.before, language)
            change = self.change
            if change is None:
                return _("same period last year %(before)s") % {"before": before}
            digits = 1 if self.percent else 0
            number = formats.number_format(abs(change), decimal_pos=digits, use_l10n=True)
            sign = "+" if change > 0 else "-" if change < 0 else ""
            return _("same period last year %(before)s, %(change)s") % {
                "before": before,
                "change": f"{sign}{number}",
            }

    def text(self, language: str | None = None) -> str:
        """The figure, then last year's: "85,2 % (same period last year 80,1 %, +5,1)"."""
        with translation.override(language or translation.get_language()):
            return f"{self._shown(self.now, language)} ({self.since(language)})"


@dataclass
class Dashboard:
    unit: Unit
    period: Period
    filters: Filters
    cells: int
    weak_cells: int
    months: list[datetime.date]
    total: Row
    by_month: list[Row]
    children: list[Row]
    thematic_done: int
    thematic_due: int
    weak_low_by_month: list[int]
    leaders: dict[str, float | None]
    secretaries: dict[str, Any]
    classification: dict[str, dict[str, int]]
    reports: dict[str, int]
    inspected: int
    development: dict[str, Any]
    content: dict[str, Any]
    # Members on the roll and those with an activated account: the total, then per unit
    # directly below as (label, members, activated).
    # Cells entering and leaving the list of weak cells, this year and last
    # (chibo.supervision.figures.weak_movement).
    weak: dict[str, Any] = field(default_factory=dict)
    accounts: tuple[int, int] = (0, 0)
    accounts_by_child: list[tuple[str, int, int]] = field(default_factory=list)
    # Cells on the list of weak cells (chibo.supervision's WeakCell) on the period's last
    # day, or today if the period is still running.
    weak_listed: int = 0
    # The upper-level members with visits assigned to the period's meetings, those who
    # attended least first.
    visitors: list[Visitor] = field(default_factory=list)
    # The key figures of the same period one year earlier (`Period.year_before`): a
    # dashboard built by the same code with `key_only`; None for that dashboard itself.
    previous: Dashboard | None = None

    @property
    def visits(self) -> Visitor:
        """Every visit of the period, as one line."""
        return Visitor(
            _("All visits"),
            sum(v.assigned for v in self.visitors),
            sum(v.attended for v in self.visitors),
            sum(v.missed for v in self.visitors),
        )

    @property
    def visitors_shown(self) -> list[Visitor]:
        return self.visitors[:VISITORS_SHOWN]

    def key_figures(self) -> list[tuple[str, str, float | None, bool]]:
        """The figures compared with last year's: key, label, value, whether a rate."""
        shares: list[tuple[str, str, float | None, bool]] = []
        for whom, label in (
            ("cells", _("Cells classified %(level)s (%%)")),
            ("members", _("Members classified %(level)s (%%)")),
        ):
            counts = self.classification[whom]
            whole = sum(counts.values())
            for value, name in Classification.choices:
                share = rate(counts.get(value, 0), whole)
                shares.append((f"{whom}_{value}", label % {"level": name}, share, True))
        return [
            ("meetings", _("Meetings held"), self.total.sums.get("meetings", 0), False),
            ("compliance", _("Regular meetings held (%)"), self.total.compliance, True),
            ("attendance", _("Attendance (%)"), self.total.attendance, True),
            ("leaders", _("Leaders' attendance (%)"), self.leaders["attendance"], True),
            *shares,
            ("admitted", _("New members admitted"), self.development["total"], False),
            (
                "weak",
                _("Cells on the list of weak cells at the end of the period"),
                self.weak_listed,
                False,
            ),
        ]

    def comparison(self) -> list[Compared]:
        """Each key figure beside last year's (none without the previous dashboard)."""
        if self.previous is None:
            return []
        return [
            Compared(key, label, now, before, percent)
            for (key, label, now, percent), (_key, _label, before, _percent) in zip(
                self.key_figures(), self.previous.key_figures(), strict=True
            )
        ]

    @property
    def compared(self) -> dict[str, Compared]:
        """The comparison by key, for the page's key figures."""
        return {c.key: c for c in self.comparison()}

    @property
    def account_share(self) -> float | None:
        return rate(self.accounts[1], self.accounts[0])

    @property
    def thematic(self) -> float | None:
        return rate(self.thematic_done, self.thematic_due)

    def tables(self) -> dict[str, tuple[str, list[str], list[list[Any]]]]:
        """Every table of the dashboard: title, headers, rows (for the page and exports)."""

        def line(row: Row) -> list[Any]:
            return [
                row.label, row.cells, row.compliance, row.attendance, row.upper,
                *row.levels, row.sums.get("unscored", 0),
            ]  # fmt: skip

        heads = [
            _("Unit"), _("Cells"), _("Regular meetings held (%)"), _("Attendance (%)"),
            _("Meetings with an upper-level attendee (%)"), *QUALITY_LABELS.values(),
            _("Not scored"),
        ]  # fmt: skip
        month_heads = [_("Month"), *heads[1:]]
        summary: list[list[Any]] = [
            [_("Cells"), self.cells],
            [_("Weak cells"), self.weak_cells],
            *[
                [label % {"year": year}, self.weak[key][what]]
                for key, year in (
                    ("this", self.period.end.year),
                    ("last", self.period.end.year - 1),
                )
                for what, label in (
                    ("entered", _("Cells entering the list of weak cells in %(year)s")),
                    ("left", _("Cells leaving the list of weak cells in %(year)s")),
                )
                if self.weak
            ],
            [_("Regular meetings held (%)"), self.total.compliance],
            [_("Thematic meetings held, by quarter (%)"), self.thematic],
            [_("Attendance (%)"), self.total.attendance],
            [_("Meetings with an upper-level attendee (%)"), self.total.upper],
            [_("Leaders' attendance (%)"), self.leaders["attendance"]],
            [_("Leaders who spoke (%)"), self.leaders["speaking"]],
            [
                _("Secretaries of village and residential-group cells"),
                self.secretaries["residential"],
            ],
            [
                _("of whom also village or residential-group head"),
                self.secretaries["village_head_n"],
            ],
            [
                _(
                    "Secretaries also village or residential-group head, "
                    "of village and residential-group cells (%)"
                ),
                self.secretaries["village_head"],
            ],
            [
                _("of whom also head of the Front work committee"),
                self.secretaries["front_head_n"],
            ],
            [
                _(
                    "Secretaries also head of the Front work committee, "
                    "of village and residential-group cells (%)"
                ),
                self.secretaries["front_head"],
            ],
            [
                _(
                    "Secretaries also village head or head of the Front work committee, "
                    "of village and residential-group cells (%)"
                ),
                self.secretaries["either"],
            ],
            [_("Secretaries also head of the unit (%)"), self.secretaries["head_of_unit"]],
            [_("Cells inspected this year (%)"), rate(self.inspected, self.cells)],
            [_("Upper-level members' visits assigned"), self.visits.assigned],
            [_("Upper-level members' visits attended"), self.visits.attended],
            [_("Upper-level members' visits attended (%)"), self.visits.rate],
            [_("Working-group reports due"), self.reports["due"]],
            [_("Working-group reports submitted"), self.reports["submitted"]],
            [_("Working-group reports evaluated"), self.reports["evaluated"]],
            [_("Working-group reports overdue"), self.reports["overdue"]],
            [_("New members admitted"), self.development["total"]],
            *[
                [_("of whom %(group)s") % {"group": label}, self.development[key]]
                for key, label in GROUP_LABELS
            ],
            [
                _("Target of new members for %(year)s") % {"year": self.period.end.year},
                self.development["target"],
            ],
            [
                _("Thematic meetings on an oriented topic, by quarter (%)"),
                rate(self.content["oriented_done"], self.thematic_due),
            ],
            [_("Materials sent down"), self.content["materials"]["materials"]],
            [_("Models of good practice spread"), self.content.get("models", 0)],
            [
                _("Materials opened by the cells they reached (%)"),
                rate(self.content["materials"]["opened"], self.content["materials"]["due"]),
            ],
            [
                _("Cells with current working regulations (%)"),
                rate(self.content["regulations_current"], self.cells),
            ],
            [
                _("Secretaries trained in the last %(n)s years (%%)")
                % {"n": self.content["training_years"]},
                rate(self.content["secretaries"]["trained"], self.content["secretaries"]["n"]),
            ],
        ]
        classification = [
            [str(label), self.classification["cells"].get(value, 0),
             self.classification["members"].get(value, 0)]
            for value, label in Classification.choices
        ]  # fmt: skip
        tables: dict[str, tuple[str, list[str], list[list[Any]]]] = {
            "summary": (_("Summary"), [_("Figure"), _("Value")], summary),
            "months": (
                _("By month"),
                month_heads,
                [line(r) for r in self.by_month],
            ),
            "units": (_("By unit below"), heads, [line(r) for r in self.children]),
            "classification": (
                _("Annual classification %(year)s") % {"year": self.period.end.year},
                [_("Level"), _("Cells"), _("Members")],
                classification,
            ),
            "visitors": (
                _("Attendance of assigned upper-level members"),
                [
                    _("Upper-level member"),
                    _("Visits assigned"),
                    _("Attended"),
                    _("Did not attend"),
                    _("Not recorded yet"),
                    _("Attended (%)"),
                ],
                [
                    [v.name, v.assigned, v.attended, v.missed, v.unrecorded, v.rate]
                    for v in [*self.visitors, self.visits]
                ],
            ),
        }
        if self.previous is not None:
            tables["comparison"] = (
                _("Compared with the same period last year"),
                [
                    _("Figure"),
                    self.period.label,
                    _("Same period last year (%(period)s)")
                    % {"period": self.previous.period.label},
                    _("Difference"),
                ],
                [[c.label, c.now, c.before, c.change] for c in self.comparison()],
            )
        return tables


def cell_q(
    user: AnyUser, unit: Unit, filters: Filters, through: str = "unit__", *, of_cells: bool = True
) -> Q:
    """The cells below `unit` that `user` may see the meetings of, as a filter over the
    relation `through`: a join on the unit rather than an IN (subquery), which PostgreSQL
    misestimates at province size (a nested loop over every cell instead of one scan).
    `of_cells`: the rows exist for cells only (cell-months, tallies, cell posts), so the
    join to the unit kind, which misleads the planner the same way, is left out."""
    q = Q(**{f"{through}path__startswith": unit.path})
    if not of_cells:
        q &= Q(**{f"{through}kind__holds_meetings": True})
    if not sees_subtree(user, Perm.VIEW_MEETINGS, unit):
        q &= unit_filter(user, Perm.VIEW_MEETINGS, through=through)
    if filters.cell_type:
        q &= Q(**{f"{through}cell_type": filters.cell_type})
    if filters.flag:
        q &= Q(**{f"{through}{FLAGS[filters.flag]}": True})
    return q


def visible_cells(user: AnyUser, unit: Unit, filters: Filters) -> QuerySet[Unit]:
    cells: QuerySet[Unit] = Unit.objects.filter(
        cell_q(user, unit, filters, through="", of_cells=False)
    )
    return cells


def _sums() -> dict[str, Any]:
    return {name: Coalesce(Sum(name), 0) for name in SUMS}


def build(
    user: AnyUser,
    unit: Unit,
    period: Period,
    filters: Filters | None = None,
    *,
    today: datetime.date | None = None,
    compare: bool = True,
    key_only: bool = False,
) -> Dashboard:
    """The dashboard of `unit` for `period` as `user` may see it; with `compare`, beside
    the dashboard of the same period one year earlier (`Dashboard.previous`), built by
    this function as of the same day one year earlier with `key_only`: then only the
    figures that `Dashboard.key_figures` reads are computed (six queries), the others are
    left empty and the board has no tables."""
    filters = filters or Filters()
    today = today or timezone.localdate()
    months = period.months(today)
    cells = visible_cells(user, unit, filters)
    # The cells, and the weak ones, per unit directly below (one group for a cell).
    length = len(unit.path) + (0 if unit.is_cell else unit.steplen)
    cell_counts = {
        child: (n, weak)
        for child, n, weak in cells.order_by()
        .annotate(child=Substr("path", 1, length))
        .values_list("child")
        .annotate(n=Count("pk"), weak=Count("pk", filter=Q(is_weak=True)))
    }
    n_cells = sum(n for n, _weak in cell_counts.values())
    last = months[-1] if months else period.first_month - datetime.timedelta(days=1)
    rows = CellMonth.objects.filter(
        cell_q(user, unit, filters), month__gte=period.first_month, month__lte=last
    )
    by_month: dict[datetime.date, Row] = {
        m: Row(m, f"{m:%m/%Y}", cells=n_cells, months=n_cells) for m in months
    }
    weak_low: dict[datetime.date, int] = dict.fromkeys(months, 0)
    # One pass over the cell-months gives both the months and the units directly below. The
    # figures come as tuples and are added up position by position (a province's twelve
    # months make 1,700 rows of 15 figures).
    month_sums = {m: [0] * len(SUMS) for m in months}
    child_sums: dict[str, list[int]] = {}
    for month, child, regular, low, *sums in (
        rows.annotate(child=Substr("unit__path", 1, length))
        .values_list("month", "child")
        .annotate(
            regular=Count("pk", filter=Q(regular_held=True)),
            weak_low=Coalesce(
                Sum(F("level_kem") + F("level_trung_binh"), filter=Q(unit__is_weak=True)), 0
            ),
            **_sums(),
        )
        .order_by()
    ):
        row = by_month.get(month)
        if row is None:
            continue
        row.regular += regular
        weak_low[month] += low
        month_sums[month] = list(map(add, month_sums[month], sums))
        kept = child_sums.get(child)
        child_sums[child] = (
            [regular, *sums] if kept is None else list(map(add, kept, [regular, *sums]))
        )
    for month, row in by_month.items():
        row.sums = dict(zip(SUMS, month_sums[month], strict=True))
    per_child = {
        child: dict(zip(("regular", *SUMS), values, strict=True))
        for child, values in child_sums.items()
    }
    # A cell owes no meeting in a month it did not exist throughout (opened or closed in
    # it, or outside its lifetime): those cell-months are not expected. The cells with
    # dates are counted per child and pair of dates (a province's cells share a few), so
    # that each pair is judged once a month rather than once per cell.
    not_owed: dict[str, int] = {}
    for child, active_from, closed_on, n in (
        cells.filter(Q(active_from__isnull=False) | Q(closed_on__isnull=False))
        .order_by()
        .annotate(child=Substr("path", 1, length))
        .values_list("child", "active_from", "closed_on")
        .annotate(n=Count("pk"))
    ):
        for month in months:
            if not existed_throughout(active_from, closed_on, month):
                by_month[month].months -= n
                not_owed[child] = not_owed.get(child, 0) + n
    total = Row(
        "total", unit.name, cells=n_cells, months=n_cells * len(months) - sum(not_owed.values())
    )
    total.regular = sum(r.regular for r in by_month.values())
    total.sums = {name: sum(r.sums.get(name, 0) for r in by_month.values()) for name in SUMS}
    year = period.end.year
    ratings: dict[str, dict[str, int]] = {"cells": {}, "members": {}}
    member_levels = ("excellent", "good", "completed", "failed")
    by_cell_level = list(
        RatingTally.objects.filter(cell_q(user, unit, filters), year=year)
        .order_by()
        .values_list("cell_level")
        .annotate(n=Count("pk"), **{level: Sum(level) for level in member_levels})
    )
    for level, n, *_members in by_cell_level:
        if level:
            ratings["cells"][level] = n
    for i, level in enumerate(member_levels, start=2):
        total_members = sum(row[i] or 0 for row in by_cell_level)
        if total_members:
            ratings["members"][level] = total_members
    on = min(period.end, today)
    weak_listed = (
        WeakCell.objects.filter(cell_q(user, unit, filters), state__in=ON_LIST, listed_on__lte=on)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=on))
        .values("unit_id")
        .distinct()
        .count()
    )
    board = Dashboard(
        unit=unit,
        period=period,
        filters=filters,
        cells=n_cells,
        weak_cells=sum(weak for _n, weak in cell_counts.values()),
        months=months,
        total=total,
        by_month=list(by_month.values()),
        children=[],
        thematic_done=0,
        thematic_due=0,
        weak_low_by_month=[weak_low[m] for m in months],
        leaders={
            "attendance": rate(total.sums["leaders_present"], total.sums["leaders_expected"]),
            "speaking": rate(total.sums["leaders_speaking"], total.sums["leaders_present"]),
        },
        secretaries={},
        classification=ratings,
        reports={},
        inspected=0,
        development=admissions(
            Candidate.objects.filter(cell_q(user, unit, filters)), period.start, period.end
        ),
        content={},
        weak_listed=weak_listed,
    )
    if key_only:
        return board
    quarters = sorted({quarter_of(m) for m in months if _quarter_begun(m, today)})
    board.thematic_done = (
        rows.filter(thematic_held=True, quarter__in=quarters)
        .values("unit_id", "quarter")
        .distinct()
        .count()
    )
    board.thematic_due = n_cells * len(quarters)
    board.children = _children(unit, cell_counts, per_child, months, not_owed)
    training_years = content_figures.training_years()
    # The cells of villages and residential groups: where a secretary may also be the
    # village or group head, or head of the Front work committee (the plan's figures).
    residential = Q(unit__cell_type__in=RESIDENTIAL)
    posts = Post.objects.filter(
        cell_q(user, unit, filters), kind=PostKind.SECRETARY, ended_on__isnull=True
    ).aggregate(
        n=Count("pk"),
        residential=Count("pk", filter=residential),
        village=Count("pk", filter=residential & Q(also_village_head=True)),
        front=Count("pk", filter=residential & Q(also_front_head=True)),
        either=Count(
            "pk", filter=residential & (Q(also_village_head=True) | Q(also_front_head=True))
        ),
        head=Count("pk", filter=Q(is_head_of_agency=True)),
        trained=Count("pk", filter=content_figures.trained_within(today, training_years)),
    )
    board.secretaries = {
        "n": posts["n"],
        "residential": posts["residential"],
        "village_head_n": posts["village"],
        "village_head": rate(posts["village"], posts["residential"]),
        "front_head_n": posts["front"],
        "front_head": rate(posts["front"], posts["residential"]),
        "either": rate(posts["either"], posts["residential"]),
        "head_of_unit": rate(posts["head"], posts["n"]),
    }
    board.inspected = (
        InspectionItem.objects.filter(
            cell_q(user, unit, filters, through="target__", of_cells=False), year=year, done=True
        )
        .values("target_id")
        .distinct()
        .count()
    )
    board.development["target"] = development_target(unit, year)
    board.content = {
        **content_figures.summary(
            cell_q(user, unit, filters),
            cells,
            unit,
            period.first_month,
            last,
            year,
            quarters,
            today,
        ),
        "secretaries": {"n": posts["n"], "trained": posts["trained"]},
        "training_years": training_years,
    }
    board.accounts, board.accounts_by_child = _accounts(
        unit, cell_q(user, unit, filters), length, board.children
    )
    board.visitors = _visitors(user, unit, filters, period.first_month, last)
    board.reports = _report_status(unit, year, today)
    board.weak = weak_movement(unit, year)
    if compare:
        board.previous = build(
            user, unit, period.year_before(today), filters, today=year_earlier(today),
            key_only=True,
        )  # fmt: skip
    return board


def _accounts(
    unit: Unit, in_cells: Q, length: int, children: list[Row]
) -> tuple[tuple[int, int], list[tuple[str, int, int]]]:
    """Members on the roll of the visible cells (`in_cells`, `cell_q`), and those whose
    account is activated, in total and per unit directly below: two queries grouped by the
    unit's path. For a province of 150,000 members, counting both in one query over the
    cells' ids took 184 ms (PostgreSQL joined every member to the accounts, and looped over
    the cells' index scans); the roll through the join on the path takes about a third, and
    the activated members, found from their accounts, 2 ms."""
    members = Member.objects.active().filter(in_cells)

    def per_unit_below(queryset: QuerySet[Member]) -> dict[str, int]:
        return dict(
            queryset.annotate(child=Substr("unit__path", 1, length))
            .values_list("child")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("child", "n")
        )

    activated = per_unit_below(members.filter(can_sign_in()))
    per_child = {
        child: (n, activated.get(child, 0)) for child, n in per_unit_below(members).items()
    }
    total = (sum(n for n, _a in per_child.values()), sum(a for _n, a in per_child.values()))
    if unit.is_cell:
        return total, []
    return total, [(row.label, *per_child.get(row.path, (0, 0))) for row in children]


def _visitors(
    user: AnyUser,
    unit: Unit,
    filters: Filters,
    first_month: datetime.date,
    last_month: datetime.date,
) -> list[Visitor]:
    """The upper-level members with visits assigned to meetings (not cancelled) of the
    months of the period held by the cells the user may see, grouped by member in one
    query; those who attended least first."""
    rows = (
        Visit.objects.visible_to(user, Perm.VIEW_MEETINGS)
        .filter(
            cell_q(user, unit, filters, through="meeting__unit__"),
            meeting__month__gte=first_month,
            meeting__month__lte=last_month,
        )
        .exclude(meeting__state=MeetingState.CANCELLED)
        .values_list("user_id", "user__username", "user__first_name", "user__last_name")
        .annotate(
            assigned=Count("pk"),
            attended=Count("pk", filter=Q(state=VisitState.DONE)),
            missed=Count("pk", filter=Q(state=VisitState.MISSED)),
        )
        .order_by()
    )
    visitors = [
        Visitor(f"{first} {last}".strip() or username, assigned, attended, missed)
        for _pk, username, first, last, assigned, attended, missed in rows
    ]
    visitors.sort(key=lambda v: (v.attended / v.assigned, -v.assigned, v.name))
    return visitors


def _quarter_begun(month: datetime.date, today: datetime.date) -> bool:
    """A quarter is due once it has ended."""
    last = datetime.date(month.year, quarter_of(month) * 3, 1)
    return last < today.replace(day=1)


def _children(
    unit: Unit,
    cell_counts: dict[str, tuple[int, int]],
    per_child: dict[str, dict[str, int]],
    months: list[datetime.date],
    not_owed: dict[str, int],
) -> list[Row]:
    """The figures of each unit directly below (none for a cell); `cell_counts` holds
    their cells (and weak cells) by path, `not_owed` the cell-months they did not exist."""
    if unit.is_cell:
        return []
    children = list(
        Unit.objects.get_children(unit)
        .filter(path__in=list(cell_counts))
        .order_by("path")
        .only("pk", "code", "name", "path")
    )
    out = []
    for child in children:
        n = cell_counts.get(child.path, (0, 0))[0]
        data = per_child.get(child.path, {})
        months_owed = n * len(months) - not_owed.get(child.path, 0)
        row = Row(
            child.pk,
            child.name,
            cells=n,
            months=months_owed,
            url_code=child.code,
            path=child.path,
        )
        row.regular = data.get("regular", 0)
        row.sums = {name: data.get(name, 0) for name in SUMS}
        out.append(row)
    return out


def _report_status(unit: Unit, year: int, today: datetime.date) -> dict[str, int]:
    """Working-group reports of the groups set up at or below `unit`, due in `year`."""
    groups = list(WorkingGroup.objects.filter(unit__path__startswith=unit.path))
    rules = SupervisionRules.for_unit(unit)
    states = {
        (r.group_id, r.half): r.state
        for r in GroupReport.objects.filter(group__in=groups, year=year)
    }
    status = {"due": 0, "submitted": 0, "evaluated": 0, "overdue": 0}
    for group in groups:
        for due in reports_due(group, rules):
            if due.year != year:
                continue
            status["due"] += 1
            state = states.get((group.pk, due.half), ReportState.DRAFT)
            if state == ReportState.SUBMITTED:
                status["submitted"] += 1
            elif state == ReportState.EVALUATED:
                status["evaluated"] += 1
            elif due.due_on < today:
                status["overdue"] += 1
    return status
