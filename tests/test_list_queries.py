"""The lists and exports added for supervision, classification and reports make the same
number of queries however many rows they show."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chibo.meetings.models import Meeting
from chibo.meetings.services import plan_meeting
from chibo.members.models import Member, MemberStatus
from chibo.orgs.models import Unit
from chibo.reports.periodic import reserve
from chibo.reports.periods import parse
from chibo.scoring.classification import rate
from chibo.supervision import services
from tests.factories import grow_cell

pytestmark = pytest.mark.django_db


def upcoming(days: int) -> Meeting:
    return plan_meeting(
        unit=Unit.objects.select_related("kind").get(code="X001.01"), kind="regular",
        scheduled_at=timezone.now() + datetime.timedelta(days=days), place="Nhà văn hóa",
        by=None,
    )  # fmt: skip


def grow(cast: dict[str, User], n: int) -> None:
    """n more groups, visits, reports and rated members."""
    today = timezone.localdate()
    start = Meeting.objects.count() + 3
    for i in range(n):
        services.save_group(
            unit=Unit.objects.get(code="LV"), name=f"Tổ {i}", leader=cast["uyvien1"],
            members=[cast["tocongtac1"]], units=[Unit.objects.get(code="X001")],
            starts_on=today, ends_on=today + datetime.timedelta(days=30), by=None,
        )  # fmt: skip
        meeting = upcoming(start + i)
        services.assign_visit(meeting=meeting, user=cast["uyvien1"], by=None)
        services.assign_visit(meeting=meeting, user=cast["tocongtac1"], by=None)
        reserve(Unit.objects.get(code="X001"), parse(f"{2000 + start + i}"), None)
    for member in Member.objects.filter(unit__code="X001.01", status=MemberStatus.OFFICIAL):
        if not member.full_name.startswith("Đinh"):
            continue
        rate(unit=member.unit, member=member, year=2026, step="self", level="good", by=None)


def count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    if response.streaming:
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return len(captured)


def test_lists_and_exports_use_flat_queries(cast: dict[str, User], client_for) -> None:
    grow(cast, 1)
    meeting = upcoming(1)
    pages = {
        "bantochuc": ["/units/LV/working-groups/", "/units/X001/reports/",
                      "/units/X001/classification/export/?year=2026"],
        "uyvien1": ["/visits/mine/", f"/meetings/{meeting.pk}/visits/"],
    }  # fmt: skip
    clients = {name: client_for(name) for name in pages}
    before = {url: count(clients[name], url) for name, urls in pages.items() for url in urls}
    grow_cell("X001.01", 3)
    grow(cast, 3)
    for number in range(3):
        services.assign_visit(
            meeting=meeting,
            user=User.objects.create_user(f"cu{number}", password="x"),
            by=None,
        )
    after = {url: count(clients[name], url) for name, urls in pages.items() for url in urls}
    assert after == before
