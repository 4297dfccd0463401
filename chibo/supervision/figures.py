"""Read-only figures of supervision for its pages and for the reports above it."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Q

from chibo.orgs.models import Unit
from chibo.supervision.models import WeakCell, WeakState

ON_LIST = (WeakState.LISTED, WeakState.CLOSED)


def weak_movement(unit: Unit, year: int) -> dict[str, Any]:
    """Cells entering and leaving the list of weak cells below `unit` in `year` and in the
    year before, and those on the list at each year's end (one query)."""
    counts: dict[str, Any] = {}
    for key, y in (("this", year), ("last", year - 1)):
        end = datetime.date(y, 12, 31)
        counts[f"entered_{key}"] = Count("pk", filter=Q(state__in=ON_LIST, listed_on__year=y))
        counts[f"left_{key}"] = Count("pk", filter=Q(state=WeakState.CLOSED, closed_on__year=y))
        counts[f"listed_{key}"] = Count(
            "pk",
            filter=Q(state__in=ON_LIST, listed_on__lte=end)
            & (Q(closed_on__isnull=True) | Q(closed_on__gt=end)),
        )
    row = WeakCell.objects.filter(unit__path__startswith=unit.path).aggregate(**counts)
    return {
        "year": year,
        "this": {k: row[f"{k}_this"] for k in ("entered", "left", "listed")},
        "last": {k: row[f"{k}_last"] for k in ("entered", "left", "listed")},
    }
