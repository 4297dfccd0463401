"""Aggregate reads are planned for their values (chibo.lib.plans): on PostgreSQL with
prepared statements, nothing run inside `custom_plans()` is prepared, while the rest of the
connection's work is prepared as configured."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from chibo.lib.plans import custom_plans
from chibo.lib.replica import reads_from_replica

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql"
    or not settings.DATABASES["default"]["OPTIONS"].get("prepare_threshold"),
    reason="prepared statements are a PostgreSQL connection's, when DB_PREPARE_THRESHOLD is set",
)


def prepared(marker: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [statement for (statement,) in cursor.fetchall() if marker in statement]


def run(marker: str, times: int = 8) -> None:
    for depth in range(times):
        with connection.cursor() as cursor:
            # Names of the project's own table; the marker is a comment of hex digits.
            cursor.execute(
                f"SELECT /* {marker} */ count(*) FROM orgs_unit WHERE depth > %s",  # noqa: S608
                [depth % 3],
            )
            cursor.fetchone()


@pytest.mark.django_db
def test_queries_inside_custom_plans_are_never_prepared() -> None:
    threshold = settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"]
    inside = f"plans-{uuid.uuid4().hex}"
    with custom_plans():
        run(inside, times=threshold + 3)
    assert prepared(inside) == []
    # The same inside the replica's context, which enters it.
    with reads_from_replica():
        run(inside, times=threshold + 3)
    assert prepared(inside) == []
    # Outside, the connection prepares as configured, the same query included.
    outside = f"plans-{uuid.uuid4().hex}"
    run(outside, times=threshold + 1)
    assert len(prepared(outside)) == 1
    run(inside, times=threshold + 1)
    assert len(prepared(inside)) == 1
    # Running a prepared query inside the block leaves it prepared for the work outside.
    with custom_plans():
        run(outside, times=2)
    assert len(prepared(outside)) == 1


def test_the_dashboard_prepares_none_of_its_figures(cast: dict[str, User]) -> None:
    client = Client()
    client.force_login(cast["bantochuc"])
    period = f"{datetime.date(2026, 1, 1)}..{datetime.date(2026, 12, 31)}"
    before = set(prepared("meetings_cellmonth"))
    for _ in range(settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"] + 3):
        assert client.get(f"/units/LV/dashboard/?period={period}").status_code == 200
    assert set(prepared("meetings_cellmonth")) == before
