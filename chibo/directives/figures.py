"""The figures of an answer (computed by chibo for the recipient unit and the request's
period, from the dashboard's figures, chibo.reports.figures) and the consolidated view of a
request: figures summed up the tree, written parts listed by unit."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chibo.directives.models import COUNTED, OWED, Answer, AnswerState, Request, Template
from chibo.meetings.services import QUALITY_LABELS
from chibo.orgs.models import Unit
from chibo.reports import figures as report_figures
from chibo.reports.periods import PeriodError, parse

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from chibo.orgs.access import AnyUser

# The counts an answer carries, summed up the tree as they are (never rates: a rate of a
# sum is recomputed from the summed counts).
COUNTS: list[tuple[str, Promise | str]] = [
    ("cells", _("Cells")),
    ("weak_cells", _("Weak cells")),
    ("cell_months", _("Regular meetings due")),
    ("regular", _("Regular meetings held")),
    ("meetings", _("Meetings held")),
    ("expected", _("Members expected")),
    ("present", _("Members present")),
    ("upper_attended", _("Meetings with an upper-level attendee")),
    *[(f"level_{level}", label) for level, label in QUALITY_LABELS.items()],
    ("thematic_done", _("Thematic meetings held")),
    ("thematic_due", _("Thematic meetings due")),
    ("inspected", _("Cells inspected")),
    ("admitted", _("New members admitted")),
]
# Rates shown beside the counts: (key, label, part, whole).
RATES: list[tuple[str, Promise, str, str]] = [
    ("compliance", _("Regular meetings held (%)"), "regular", "cell_months"),
    ("attendance", _("Attendance (%)"), "present", "expected"),
    ("upper", _("Meetings with an upper-level attendee (%)"), "upper_attended", "meetings"),
    ("thematic", _("Thematic meetings held, by quarter (%)"), "thematic_done", "thematic_due"),
]


def unit_figures(
    user: AnyUser | None, unit: Unit, period_code: str, *, today: datetime.date | None = None
) -> dict[str, int]:
    """The counts of `unit` for the period, as `user` sees them (the dashboard's figures);
    empty when the period is not understood."""
    try:
        period = parse(period_code)
    except PeriodError:
        return {}
    reader = user if user is not None else AnonymousUser()
    board = report_figures.build(reader, unit, period, today=today or timezone.localdate())
    sums = board.total.sums
    return {
        "cells": board.cells,
        "weak_cells": board.weak_cells,
        "cell_months": board.total.months,
        "regular": board.total.regular,
        "meetings": sums.get("meetings", 0),
        "expected": sums.get("expected", 0),
        "present": sums.get("present", 0),
        "upper_attended": sums.get("upper_attended", 0),
        "level_tot": sums.get("level_tot", 0),
        "level_kha": sums.get("level_kha", 0),
        "level_trung_binh": sums.get("level_trung_binh", 0),
        "level_kem": sums.get("level_kem", 0),
        "thematic_done": board.thematic_done,
        "thematic_due": board.thematic_due,
        "inspected": board.inspected,
        "admitted": int(board.development.get("total", 0)),
    }


def rates_of(counts: dict[str, int]) -> dict[str, float | None]:
    return {
        key: report_figures.rate(counts.get(part, 0), counts.get(whole, 0))
        for key, _label, part, whole in RATES
    }


def figure_lines(counts: dict[str, int]) -> list[tuple[str, Any]]:
    """(label, value) of every count and rate, for a page or a document."""
    rates = rates_of(counts)
    return [(str(label), counts.get(key, 0)) for key, label in COUNTS] + [
        (str(label), rates[key]) for key, label, _p, _w in RATES
    ]


@dataclass
class Line:
    """One row of the consolidated table: a unit on the way down to the recipients (its
    recipients' figures summed), or a recipient."""

    unit: Unit
    depth: int  # below the sender: 1 for a unit directly below
    counts: dict[str, int] = field(default_factory=dict)
    answers: int = 0
    is_recipient: bool = False

    @property
    def rates(self) -> dict[str, float | None]:
        return rates_of(self.counts)

    def values(self) -> list[Any]:
        rates = self.rates
        return [self.counts.get(key, 0) for key, _l in COUNTS] + [
            rates[key] for key, _l, _p, _w in RATES
        ]


@dataclass
class Consolidated:
    request: Request
    answers: list[Answer]
    counted: list[Answer]
    lines: list[Line]
    total: Line
    narratives: list[Answer]

    @staticmethod
    def headers() -> list[str]:
        return [str(label) for _k, label in COUNTS] + [str(label) for _k, label, _p, _w in RATES]


def _add(into: dict[str, int], counts: dict[str, Any]) -> None:
    for key, _label in COUNTS:
        value = counts.get(key, 0)
        if isinstance(value, int):
            into[key] = into.get(key, 0) + value


def consolidate(request: Request) -> Consolidated:
    """The answers of `request` put together: the submitted and accepted ones counted, their
    figures summed into every unit between the sender and them, their written parts listed
    by unit. Three queries whatever the number of answers."""
    answers = list(
        Answer.objects.filter(request=request)
        .select_related("unit")
        .order_by("unit__path")
        .defer("unit__close_reason")
    )
    counted = [a for a in answers if a.state in COUNTED]
    sender = request.unit
    step = Unit.steplen
    top = len(sender.path)
    # A recipient below another counted recipient is in that one's figures already: its
    # own row shows it, the units above do not add it again.
    paths = sorted(a.unit.path for a in counted)
    nested = {p for p in paths if any(p != q and p.startswith(q) for q in paths)}
    sums: dict[str, Line] = {}
    wanted: set[str] = set()
    for answer in counted:
        path = answer.unit.path
        wanted.update(path[:end] for end in range(top + step, len(path) + 1, step))
    units = {
        u.path: u
        for u in Unit.objects.filter(path__in=sorted(wanted)).only("pk", "code", "name", "path")
    }
    total = Line(sender, 0)
    for answer in counted:
        path = answer.unit.path
        own = answer.figures if request.template == Template.FORM else {}
        ends = [len(path)] if path in nested else range(top + step, len(path) + 1, step)
        for end in ends:
            line = sums.get(path[:end])
            if line is None:
                line = sums[path[:end]] = Line(units[path[:end]], (end - top) // step)
            _add(line.counts, own)
            line.answers += 1
        sums[path].is_recipient = True
        if path not in nested:
            _add(total.counts, own)
            total.answers += 1
    return Consolidated(
        request=request,
        answers=answers,
        counted=counted,
        lines=[sums[p] for p in sorted(sums)],
        total=total,
        narratives=counted,
    )


def answer_counts(request: Request, today: datetime.date) -> dict[str, int]:
    """How many answers are in each state, and how many are late (one query)."""
    row: dict[str, int] = Answer.objects.filter(request=request).aggregate(
        total=Count("pk"),
        late=Count("pk", filter=Q(state__in=OWED, request__due_on__lt=today)),
        **{state: Count("pk", filter=Q(state=state)) for state in AnswerState.values},
    )
    return row
