"""Figures of party development for a unit and a span of days: what the development page,
the dashboards and the periodic report show (a fixed number of queries)."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy

from chibo.development.models import Stage, Target
from chibo.orgs.models import Unit

# The groups the reports break new members down by (domain §9).
GROUPS = {
    "women": Q(gender="female"),
    "ethnic_minority": ~Q(ethnicity__in=["Kinh", ""]),
    "religious": ~Q(religion__in=["Không", ""]),
    "private_enterprise": Q(private_enterprise=True),
    "foreign_invested": Q(foreign_invested=True),
    "business_owner": Q(business_owner=True),
    "rural": Q(rural=True),
}


GROUP_LABELS = [
    ("women", gettext_lazy("women")),
    ("ethnic_minority", gettext_lazy("ethnic minorities")),
    ("religious", gettext_lazy("religious people")),
    ("private_enterprise", gettext_lazy("private enterprises")),
    ("foreign_invested", gettext_lazy("foreign-invested enterprises")),
    ("business_owner", gettext_lazy("business owners")),
    ("rural", gettext_lazy("rural areas")),
]


def admissions(candidates: Any, start: datetime.date, end: datetime.date) -> dict[str, int]:
    """New members admitted between `start` and `end` among `candidates`, by group."""
    admitted = candidates.filter(
        stage__in=[Stage.ADMITTED, Stage.OFFICIAL], admitted_on__gte=start, admitted_on__lte=end
    )
    counts: dict[str, int] = admitted.aggregate(
        total=Count("pk"), **{name: Count("pk", filter=q) for name, q in GROUPS.items()}
    )
    return counts


def target(unit: Unit, year: int) -> int | None:
    row = Target.objects.filter(unit=unit, year=year).first()
    return row.admissions if row else None
