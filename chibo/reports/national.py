"""The national level: the figures of every province, by month, read from `ProvinceMonth`
(one row per province and month: 34 times 12 rows for a year) instead of the 1.7 million
cell-months below them.

`rebuild` recomputes the rows from the cell-months (a few seconds at national size) and is
run by `chibo rebuild_national` from the scheduler and at the end of the national seed;
the dashboard says when its figures were computed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from operator import add

from django.db import transaction
from django.db.models import Count, F, Max, Q, Sum
from django.db.models.functions import Coalesce, ExtractYear, Substr
from django.utils import timezone

from chibo.lib.dates import quarter_of
from chibo.meetings.models import CellMonth
from chibo.members.models import Member
from chibo.orgs.models import Unit
from chibo.reports.figures import SUMS, Row
from chibo.reports.models import ProvinceMonth
from chibo.reports.periods import Period

NATIONAL_KIND = "trung_uong"


def is_national(unit: Unit) -> bool:
    return bool(unit.kind.code == NATIONAL_KIND)


@transaction.atomic
def rebuild(root: Unit) -> int:
    """Recompute the month rows of every unit directly below `root`; returns the rows."""
    length = len(root.path) + root.steplen
    children = {
        u.path: u.pk
        for u in Unit.objects.filter(path__startswith=root.path, depth=root.depth + 1).only(
            "pk", "path"
        )
    }
    now = timezone.now()
    below = Q(unit__path__startswith=root.path)
    rows: dict[tuple[str, datetime.date], ProvinceMonth] = {}
    for child, month, regular, weak_low, *sums in (
        CellMonth.objects.filter(below)
        .annotate(child=Substr("unit__path", 1, length))
        .values_list("child", "month")
        .annotate(
            regular=Count("pk", filter=Q(regular_held=True)),
            weak_low=Coalesce(
                Sum(F("level_kem") + F("level_trung_binh"), filter=Q(unit__is_weak=True)), 0
            ),
            **{name: Coalesce(Sum(name), 0) for name in SUMS},
        )
        .order_by()
    ):
        if child not in children:
            continue
        rows[(child, month)] = ProvinceMonth(
            unit_id=children[child],
            month=month,
            quarter=quarter_of(month),
            regular=regular,
            weak_low=weak_low,
            refreshed_at=now,
            **dict(zip(SUMS, sums, strict=True)),
        )
    # Cells that held a thematic meeting in each quarter: on the quarter's last month.
    for child, year, quarter, n in (
        CellMonth.objects.filter(below, thematic_held=True)
        .annotate(child=Substr("unit__path", 1, length), year=ExtractYear("month"))
        .values_list("child", "year", "quarter")
        .annotate(n=Count("unit_id", distinct=True))
        .order_by()
    ):
        key = (child, datetime.date(year, quarter * 3, 1))
        if key in rows:
            rows[key].thematic_quarter = n
    cells = {
        child: (n, weak)
        for child, n, weak in Unit.objects.cells()
        .filter(path__startswith=root.path)
        .annotate(child=Substr("path", 1, length))
        .values_list("child")
        .annotate(n=Count("pk"), weak=Count("pk", filter=Q(is_weak=True)))
        .order_by()
    }
    members = dict(
        Member.objects.active()
        .filter(unit__path__startswith=root.path)
        .annotate(child=Substr("unit__path", 1, length))
        .values_list("child")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for (child, _month), row in rows.items():
        row.cells, row.weak_cells = cells.get(child, (0, 0))
        row.members = members.get(child, 0)
    ProvinceMonth.objects.filter(unit_id__in=children.values()).delete()
    ProvinceMonth.objects.bulk_create(rows.values(), batch_size=1000)
    return len(rows)


@dataclass
class NationalBoard:
    unit: Unit
    period: Period
    months: list[datetime.date]
    cells: int
    weak_cells: int
    members: int
    total: Row
    by_month: list[Row]
    children: list[Row]
    thematic_done: int
    thematic_due: int
    refreshed_at: datetime.datetime | None

    @property
    def thematic(self) -> float | None:
        from chibo.reports.figures import rate

        return rate(self.thematic_done, self.thematic_due)


def build(unit: Unit, period: Period, *, today: datetime.date | None = None) -> NationalBoard:
    """The national dashboard of `unit` for `period`: three queries whatever the size."""
    today = today or timezone.localdate()
    months = period.months(today)
    last = months[-1] if months else period.first_month - datetime.timedelta(days=1)
    provinces = list(
        Unit.objects.filter(path__startswith=unit.path, depth=unit.depth + 1)
        .order_by("path")
        .only("pk", "code", "name", "path")
    )
    fields = ["regular", "thematic_quarter", *SUMS]
    rows = list(
        ProvinceMonth.objects.filter(
            unit__in=[p.pk for p in provinces], month__gte=period.first_month, month__lte=last
        )
        .order_by()
        .values_list("unit_id", "month", "cells", "weak_cells", "members", "refreshed_at", *fields)
    )
    begun = {m for m in months if _quarter_ended(m, today)}
    by_child: dict[int, list[int]] = {}
    by_month: dict[datetime.date, list[int]] = {m: [0] * len(fields) for m in months}
    latest: dict[int, tuple[datetime.date, int, int, int]] = {}
    refreshed: datetime.datetime | None = None
    for unit_id, month, cells, weak, members, at, *values in rows:
        if month not in by_month:
            continue
        if month not in begun or month.month % 3:
            values[1] = 0  # a quarter counts once it has ended, on its last month
        by_month[month] = list(map(add, by_month[month], values))
        kept = by_child.get(unit_id)
        by_child[unit_id] = values if kept is None else list(map(add, kept, values))
        if unit_id not in latest or latest[unit_id][0] < month:
            latest[unit_id] = (month, cells, weak, members)
        refreshed = at if refreshed is None else max(refreshed, at)
    cells_of = {pk: cells for pk, (_m, cells, _w, _n) in latest.items()}
    n_cells = sum(cells_of.values())

    def row(key: object, label: str, cells: int, n_months: int, values: list[int]) -> Row:
        data = dict(zip(fields, values, strict=True))
        line = Row(key, label, cells=cells, months=cells * n_months)
        line.regular = data["regular"]
        line.sums = {name: data[name] for name in SUMS}
        return line

    month_rows = [row(m, f"{m:%m/%Y}", n_cells, 1, by_month[m]) for m in months]
    children = []
    for province in provinces:
        line = row(
            province.pk,
            province.name,
            cells_of.get(province.pk, 0),
            len(months),
            by_child.get(province.pk, [0] * len(fields)),
        )
        line.url_code, line.path = province.code, province.path
        children.append(line)
    totals = [sum(column) for column in zip(*by_month.values(), strict=True)] or [0] * len(fields)
    total = row("total", unit.name, n_cells, len(months), totals)
    quarters = len({quarter_of(m) for m in begun if m.month % 3 == 0})
    return NationalBoard(
        unit=unit,
        period=period,
        months=months,
        cells=n_cells,
        weak_cells=sum(w for _m, _c, w, _n in latest.values()),
        members=sum(n for _m, _c, _w, n in latest.values()),
        total=total,
        by_month=month_rows,
        children=children,
        thematic_done=totals[1],
        thematic_due=n_cells * quarters,
        refreshed_at=refreshed,
    )


def _quarter_ended(month: datetime.date, today: datetime.date) -> bool:
    last = datetime.date(month.year, quarter_of(month) * 3, 1)
    return last < today.replace(day=1)


def last_refresh(unit: Unit) -> datetime.datetime | None:
    value: datetime.datetime | None = ProvinceMonth.objects.filter(
        unit__path__startswith=unit.path
    ).aggregate(at=Max("refreshed_at"))["at"]
    return value
