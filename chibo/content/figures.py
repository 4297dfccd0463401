"""Figures of what was sent down and learnt, for the cells matched by a filter: the thematic
topics' coverage per quarter, the materials opened, current working regulations and trained
secretaries. The content pages, the dashboards and the periodic report all read them from
here (each a fixed number of queries, whatever the number of cells)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, Func, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext_lazy

from chibo.content.access import ancestors_and_self
from chibo.content.models import Course, Material, MaterialRead, Regulation, TopicAdoption
from chibo.lib.dates import add_months
from chibo.meetings.models import CellMonth, MeetingState
from chibo.orgs.models import Unit

HELD = (MeetingState.HELD, MeetingState.APPROVED)
# Regulations older than this are due for review (a party term is five years).
REGULATION_YEARS = 5

# What a cell did about thematic meetings in a quarter, best first.
ORIENTED = "oriented"  # held a thematic meeting on a topic oriented from above
OWN = "own"  # held a thematic meeting on a topic of its own
PLANNED = "planned"  # adopted an oriented topic, meeting not held (yet)
NONE = "none"
STATUS_LABELS = {
    ORIENTED: gettext_lazy("held on an oriented topic"),
    OWN: gettext_lazy("held on its own topic"),
    PLANNED: gettext_lazy("topic adopted, not held"),
    NONE: gettext_lazy("no thematic meeting"),
}


def training_years() -> int:
    return int(getattr(settings, "CHIBO_TRAINING_YEARS", 2))


def _year_months(year: int) -> dict[str, datetime.date]:
    return {"month__gte": datetime.date(year, 1, 1), "month__lte": datetime.date(year, 12, 1)}


def quarter_statuses(
    cell_ids: Iterable[int],
    year: int,
    adoptions: Iterable[tuple[int, int, str | None]] | None = None,
) -> dict[tuple[int, int], str]:
    """The status of each (cell, quarter) of `year` for the cells given. `adoptions`: the
    cells' adoptions of the year as (cell, quarter, state of the meeting), when the caller
    has read them already; read here otherwise (one query more)."""
    ids = list(cell_ids)
    status: dict[tuple[int, int], str] = {}
    for unit_id, quarter in (
        CellMonth.objects.filter(unit_id__in=ids, thematic_held=True, **_year_months(year))
        .values_list("unit_id", "quarter")
        .distinct()
    ):
        status[unit_id, quarter] = OWN
    if adoptions is None:
        adoptions = TopicAdoption.objects.filter(unit_id__in=ids, year=year).values_list(
            "unit_id", "quarter", "meeting__state"
        )
    for unit_id, quarter, state in adoptions:
        if state in HELD:
            status[unit_id, quarter] = ORIENTED
        else:
            status.setdefault((unit_id, quarter), PLANNED)
    return status


def thematic_by_quarter(cell_q: Q, year: int) -> dict[int, dict[str, int]]:
    """For each quarter of `year`, how many of the cells matched by `cell_q` (a filter over
    `unit__`) adopted an oriented topic, held their thematic meeting on one, and held a
    thematic meeting at all (two queries)."""
    quarters: dict[int, dict[str, int]] = {
        q: {"adopted": 0, ORIENTED: 0, "held": 0} for q in (1, 2, 3, 4)
    }
    for quarter, adopted, oriented in (
        TopicAdoption.objects.filter(cell_q, year=year)
        .order_by()
        .values_list("quarter")
        .annotate(
            adopted=Count("unit_id", distinct=True),
            oriented=Count("unit_id", distinct=True, filter=Q(meeting__state__in=HELD)),
        )
    ):
        quarters[quarter]["adopted"] = adopted
        quarters[quarter][ORIENTED] = oriented
    for quarter, n in (
        CellMonth.objects.filter(cell_q, thematic_held=True, **_year_months(year))
        .order_by()
        .values_list("quarter")
        .annotate(n=Count("unit_id", distinct=True))
    ):
        quarters[quarter]["held"] = n
    return quarters


def materials_opened(
    cells: QuerySet[Unit], unit: Unit, first_month: datetime.date, last_month: datetime.date
) -> dict[str, int]:
    """The materials of the months given that reach the cells, and how many of the
    (material, cell) pairs they make were opened by someone of the cell (three queries at
    most)."""
    months = {"month__gte": first_month, "month__lte": last_month}
    # Sent to every cell from above, from the unit itself or from a unit below it: the cells
    # under the publishing unit count.
    reach = (
        cells.filter(path__startswith=OuterRef("unit__path"))
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    reached = dict(
        Material.objects.filter(
            Q(unit__path__in=ancestors_and_self(unit.path)) | Q(unit__path__startswith=unit.path),
            all_cells=True,
            **months,
        )
        .annotate(reach=Subquery(reach))
        .values_list("pk", "reach")
    )
    due = sum(n or 0 for n in reached.values())
    # Sent to chosen cells: the pairs, per material.
    chosen = dict(
        Material.cells.through.objects.filter(
            unit__in=cells.values("pk"),
            material__all_cells=False,
            **{f"material__{key}": value for key, value in months.items()},
        )
        .values_list("material_id")
        .annotate(pairs=Count("pk"))
        .order_by()
    )
    due += sum(chosen.values())
    # Read by someone of a cell the material was sent to (staff may read others' too). The
    # reads are reached from the materials just found (a few a month), not from the members
    # of the cells (the whole province at its top): SQLite took the second way, reading
    # every member's reads. No material, no query.
    opened = (
        MaterialRead.objects.filter(
            material_id__in=[*reached, *chosen], user__member__unit__in=cells.values("pk")
        )
        .filter(
            Q(
                material__all_cells=True,
                user__member__unit__path__startswith=F("material__unit__path"),
            )
            | Q(material__all_cells=False, material__cells=F("user__member__unit"))
        )
        .values("material_id", "user__member__unit_id")
        .distinct()
        .count()
        if reached or chosen
        else 0
    )
    return {
        "materials": len(reached) + len(chosen),
        "due": due,
        "opened": opened,
    }


def regulations_current(cells: QuerySet[Unit], today: datetime.date) -> int:
    """Cells whose working regulations were adopted within the last term."""
    stale_before = add_months(today, -12 * REGULATION_YEARS)
    return cells.filter(
        Exists(Regulation.objects.filter(unit=OuterRef("pk"), adopted_on__gte=stale_before))
    ).count()


def trained_within(today: datetime.date, years: int) -> Q:
    """A filter of cell posts whose holder attended a course within `years` years: the
    dashboards count the serving secretaries with it in their own query of the posts."""
    since = add_months(today, -12 * years)
    return Q(
        Exists(
            Course.participants.through.objects.filter(
                member_id=OuterRef("member_id"), course__ends_on__gte=since
            )
        )
    )


def summary(
    cell_q: Q,
    cells: QuerySet[Unit],
    unit: Unit,
    first_month: datetime.date,
    last_month: datetime.date,
    year: int,
    quarters: list[int],
    today: datetime.date,
) -> dict[str, Any]:
    """What the dashboards and the periodic report show of this app, but the trained
    secretaries (counted with the other figures of the secretaries, `trained_within`):
    `quarters` are those of `year` that have ended within the period."""
    oriented_done = (
        TopicAdoption.objects.filter(
            cell_q, year=year, quarter__in=quarters, meeting__state__in=HELD
        )
        .values("unit_id", "quarter")
        .distinct()
        .count()
        if quarters
        else 0
    )
    return {
        "oriented_done": oriented_done,
        "materials": materials_opened(cells, unit, first_month, last_month),
        "regulations_current": regulations_current(cells, today),
        "models": models_spread(unit, first_month, last_month),
    }


def models_spread(unit: Unit, first_month: datetime.date, last_month: datetime.date) -> int:
    """The models of good practice (materials spreading an inspection's finding) published
    at or below `unit` for the months of the period (one query)."""
    return Material.objects.filter(
        unit__path__startswith=unit.path,
        source_finding__isnull=False,
        month__gte=first_month,
        month__lte=last_month,
    ).count()
