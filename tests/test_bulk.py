"""The fast inserts of imports and the seed: values of every kind arrive as the ORM would
write them (COPY on PostgreSQL, executemany elsewhere), and a broken constraint is Django's
IntegrityError, so that callers roll back as for any query."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction

from chibo.development.models import Candidate, Target
from chibo.lib.bulk import insert_objects, insert_rows
from chibo.orgs.models import Unit

pytestmark = pytest.mark.django_db


def test_values_of_every_kind_round_trip() -> None:
    cell = Unit.objects.get(code="X001.01")
    rows = [
        Candidate(
            unit=cell, full_name=f"Nguyễn Thị Ánh {n}", gender="female",
            birth_date=datetime.date(2001, 2, 3), listed_on=datetime.date(2026, 1, 5),
            dates={"listed": "2026-01-05", "note": "có dấu \"ngoặc\" và \\ gạch"},
            rural=bool(n % 2), ethnicity="Tày\tNùng\nMới" if n == 0 else "",
        )
        for n in range(3)
    ]  # fmt: skip
    insert_objects(rows)
    stored = list(Candidate.objects.filter(full_name__startswith="Nguyễn Thị Ánh").order_by("pk"))
    assert [c.full_name for c in stored] == [c.full_name for c in rows]
    assert stored[0].dates == rows[0].dates
    assert stored[0].ethnicity == "Tày\tNùng\nMới"
    assert [c.rural for c in stored] == [False, True, False]
    assert stored[2].birth_date == datetime.date(2001, 2, 3)
    assert stored[1].admitted_on is None


def test_a_broken_constraint_is_an_integrity_error_and_writes_nothing() -> None:
    unit = Unit.objects.get(code="X001")
    Target.objects.create(unit=unit, year=2026, admissions=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_objects([Target(unit=unit, year=2027, admissions=1),
                        Target(unit=unit, year=2026, admissions=5)])  # fmt: skip
    assert list(Target.objects.filter(unit=unit).values_list("year", "admissions")) == [(2026, 3)]
    # insert_rows too.
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(Target, ["unit_id", "year", "admissions"], [[unit.pk, 2026, 9]])
    assert Target.objects.filter(unit=unit).count() == 1
