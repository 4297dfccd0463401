"""The to-do list ("Việc cần làm"): each demo account sees what waits on it, overdue first,
each item linking to where it is done, in a bounded number of queries."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from chibo.content.services import mark_read, publish
from chibo.lib.todo import TodoItem
from chibo.meetings import services as meeting_services
from chibo.meetings.models import Meeting, MeetingState
from chibo.members.models import Member, MemberStatus
from chibo.notifications.collector import providers, todo_items
from chibo.orgs.models import Unit
from chibo.scoring.models import AnnualRating, MeetingScore, Rubric
from chibo.supervision.models import Finding, InspectionItem, Visit

# A day in the classification season, as the demo's history ends (December 2026).
DECEMBER = datetime.date(2026, 12, 4)
# Every provider names its budget; none spends more than two queries. The user's grants
# are read once (cached on the user) besides.
QUERIES_PER_PROVIDER = 2


def cell(code: str) -> Unit:
    found: Unit = Unit.objects.select_related("kind").get(code=code)
    return found


def meeting_in(code: str, *, days: int, state: str = MeetingState.PLANNED) -> Meeting:
    """A meeting of `code` `days` from now (negative: in the past), in `state`."""
    meeting = meeting_services.plan_meeting(
        unit=cell(code),
        kind="regular",
        scheduled_at=timezone.now() + datetime.timedelta(days=days),
        place="Nhà văn hoá",
        by=None,
    )
    Meeting.objects.filter(pk=meeting.pk).update(state=state)
    meeting.refresh_from_db()
    return meeting


def proposed_score(meeting: Meeting) -> MeetingScore:
    return MeetingScore.objects.create(
        meeting=meeting,
        rubric=Rubric.objects.order_by("pk")[0],
        cell_total=80,
        cell_level="kha",
        proposed_at=timezone.now(),
    )


def items_of(user: User, today: datetime.date | None = None) -> list[TodoItem]:
    """The user's list on `today` (the real today by default: the meetings made here are
    placed from now)."""
    return todo_items(user, today or timezone.localdate())


def kinds(items: list[TodoItem]) -> set[str]:
    return {item.kind for item in items}


def by_key(items: list[TodoItem]) -> dict[str, TodoItem]:
    return {item.key: item for item in items}


def test_the_collector_finds_every_apps_providers() -> None:
    modules = {provider.__module__ for provider in providers()}
    assert {
        "chibo.members.todo",
        "chibo.meetings.todo",
        "chibo.scoring.todo",
        "chibo.supervision.todo",
        "chibo.content.todo",
        "chibo.development.todo",
    } <= modules


def test_secretary_bithu1_plans_records_approves_and_reminds_missing_accounts(cast) -> None:
    past = meeting_in("X001.01", days=-3)
    held = meeting_in("X001.01", days=-10, state=MeetingState.HELD)
    coming = meeting_in("X001.01", days=5)
    other_cell = meeting_in("X002.01", days=-3)
    items = by_key(items_of(cast["bithu1"]))
    record = items[f"meetings.record:{past.pk}"]
    assert record.url == reverse("meetings:attendance", args=[past.pk])
    assert record.overdue
    approve = items[f"meetings.approve:{held.pk}"]
    assert approve.url == reverse("meetings:minutes", args=[held.pk])
    prepare = items[f"meetings.prepare:{coming.pk}"]
    assert prepare.url == reverse("meetings:preparation", args=[coming.pk])
    assert not prepare.overdue
    assert f"meetings.record:{other_cell.pk}" not in items
    accounts = [i for i in items.values() if i.kind == "members.accounts"]
    assert [i.url for i in accounts] == [reverse("members:accounts", args=["X001.01"])]
    # The month's regular meeting is planned (the coming one): nothing left to plan.
    assert "meetings.plan" not in kinds(list(items.values()))
    in_december = items_of(cast["bithu1"], DECEMBER)
    assert {"scoring.self_cell", "development.probation"} <= kinds(in_december)


def test_secretary_is_asked_to_plan_the_month_without_a_regular_meeting(cast) -> None:
    Meeting.objects.filter(unit__code="X001.01", month=timezone.localdate().replace(day=1)).update(
        state=MeetingState.CANCELLED
    )
    items = [i for i in items_of(cast["bithu1"]) if i.kind == "meetings.plan"]
    assert [i.url for i in items] == [reverse("meetings:new", args=["X001.01"])]


def test_upper_level_uyvien1_sees_the_scores_to_confirm_in_their_commune(cast) -> None:
    mine = proposed_score(meeting_in("X001.01", days=-2, state=MeetingState.HELD))
    theirs = proposed_score(meeting_in("X002.01", days=-2, state=MeetingState.HELD))
    items = by_key(items_of(cast["uyvien1"]))
    item = items[f"scoring.confirm:{mine.pk}"]
    assert item.url == reverse("scoring:confirm", args=[mine.meeting_id])
    assert f"scoring.confirm:{theirs.pk}" not in items
    # Once confirmed it waits on nobody.
    MeetingScore.objects.filter(pk=mine.pk).update(confirmed_at=timezone.now())
    assert f"scoring.confirm:{mine.pk}" not in by_key(items_of(cast["uyvien1"]))


def test_upper_level_uyvien1_sees_their_visits_due(cast) -> None:
    coming = meeting_in("X001.01", days=3)
    past = meeting_in("X001.02", days=-2, state=MeetingState.HELD)
    visits = [
        Visit.objects.create(meeting=m, user=cast["uyvien1"], source="manual")
        for m in (coming, past)
    ]
    items = by_key(items_of(cast["uyvien1"]))
    attend, record = (items[f"supervision.visit:{v.pk}"] for v in visits)
    assert attend.url == reverse("supervision:visit", args=[visits[0].pk])
    assert not attend.overdue
    assert record.overdue
    assert items_of(cast["uyvien1"])[0].key == record.key  # overdue first


def test_working_group_tocongtac1_confirms_the_scores_of_its_commune(cast) -> None:
    theirs = proposed_score(meeting_in("X002.01", days=-2, state=MeetingState.HELD))
    other = proposed_score(meeting_in("X001.01", days=-2, state=MeetingState.HELD))
    items = by_key(items_of(cast["tocongtac1"]))
    assert f"scoring.confirm:{theirs.pk}" in items
    assert f"scoring.confirm:{other.pk}" not in items


def test_organisation_commission_bantochuc_verifies_the_communes(cast) -> None:
    AnnualRating.objects.create(year=2026, unit=cell("X001"), self_level="good")
    AnnualRating.objects.create(year=2026, unit=cell("X001.01"), self_level="good")
    items = items_of(cast["bantochuc"], DECEMBER)
    verify = [i for i in items if i.kind == "scoring.verify"]
    assert [i.url for i in verify] == [reverse("scoring:rate_cell", args=["X001"]) + "?year=2026"]
    # Outside the classification season nothing is asked.
    assert "scoring.verify" not in kinds(items_of(cast["bantochuc"], datetime.date(2026, 6, 1)))


def test_commune_committee_uyvien1_verifies_then_decides_its_cells(cast) -> None:
    rating = AnnualRating.objects.create(year=2026, unit=cell("X001.01"), self_level="good")
    assert f"scoring.verify:{rating.pk}" in by_key(items_of(cast["uyvien1"], DECEMBER))
    AnnualRating.objects.filter(pk=rating.pk).update(verified_level="good")
    items = by_key(items_of(cast["uyvien1"], DECEMBER))
    assert f"scoring.decide:{rating.pk}" in items
    assert f"scoring.verify:{rating.pk}" not in items


def test_inspection_kiemtra_follows_up_overdue_corrections_the_cell_makes_them(cast) -> None:
    item = InspectionItem.objects.create(
        unit=cell("LV"),
        year=2026,
        kind="inspection",
        target=cell("X001.01"),
        subject="Chế độ sinh hoạt",
        starts_on=datetime.date(2026, 9, 1),
        ends_on=datetime.date(2026, 9, 30),
    )
    late = Finding.objects.create(
        item=item,
        kind="shortcoming",
        text="Biên bản thiếu",
        correction="Bổ sung biên bản",
        deadline=datetime.date(2026, 11, 1),
    )
    coming = Finding.objects.create(
        item=item,
        kind="shortcoming",
        text="Chưa niêm yết",
        correction="Niêm yết lịch",
        deadline=datetime.date(2026, 12, 20),
    )
    inspector = by_key(items_of(cast["kiemtra"], DECEMBER))
    assert f"supervision.correction:{late.pk}" in inspector
    assert f"supervision.correction:{coming.pk}" not in inspector
    secretary = by_key(items_of(cast["bithu1"], DECEMBER))
    assert secretary[f"supervision.correction:{late.pk}"].overdue
    assert secretary[f"supervision.correction:{coming.pk}"].url == reverse(
        "supervision:inspection", args=[item.pk]
    )
    assert f"supervision.correction:{late.pk}" not in by_key(items_of(cast["bithu2"], DECEMBER))


def test_ordinary_member_dangvien1_reads_materials_and_does_their_tasks(cast) -> None:
    meeting = meeting_in("X001.01", days=-20, state=MeetingState.HELD)
    owner = Member.objects.get(user__username="dangvien1")
    late = meeting_services.add_task(
        meeting=meeting,
        title="Thu đảng phí",
        deadline=DECEMBER.replace(day=1),
        by=None,
        owner=owner,
    )
    later = meeting_services.add_task(
        meeting=meeting,
        title="Vận động hội viên",
        deadline=datetime.date(2026, 12, 20),
        by=None,
        owner=owner,
    )
    material = publish(
        unit=cell("LV"),
        kind="meeting",
        title="Tài liệu tháng 12",
        summary="",
        month=DECEMBER.replace(day=1),
        topic="",
        file=SimpleUploadedFile("t.pdf", b"%PDF-1.4\n%%EOF\n"),
        file_type="pdf",
        cells=[],
        by=None,
    )
    items = items_of(cast["dangvien1"], DECEMBER)
    assert items[0].key == f"meetings.task:{late.pk}"  # overdue first
    assert items[0].overdue
    assert items[0].url == reverse("meetings:task_update", args=[late.pk])
    keyed = by_key(items)
    assert not keyed[f"meetings.task:{later.pk}"].overdue
    assert keyed[f"content.read:{material.pk}"].url == material.get_absolute_url()
    assert "scoring.self_member" in kinds(items)
    # No cell work waits on a member: nothing to plan, record, confirm or remind.
    assert kinds(items) <= {"meetings.task", "content.read", "scoring.self_member"}
    mark_read(material, cast["dangvien1"])
    assert f"content.read:{material.pk}" not in by_key(items_of(cast["dangvien1"], DECEMBER))


def test_administrator_is_not_handed_every_cells_work(cast) -> None:
    proposed_score(meeting_in("X001.01", days=-2, state=MeetingState.HELD))
    meeting_in("X002.01", days=-3)
    assert items_of(cast["admin"]) == []
    assert items_of(cast["outsider"]) == []


def test_probation_review_is_due_twelve_months_after_admission(cast) -> None:
    member = Member.objects.filter(unit__code="X001.01", status=MemberStatus.OFFICIAL).last()
    assert member is not None
    Member.objects.filter(pk=member.pk).update(
        status=MemberStatus.PROBATIONARY, admitted_on=datetime.date(2025, 12, 20), official_on=None
    )
    items = by_key(items_of(cast["bithu1"], DECEMBER))
    item = items[f"development.probation:{member.pk}:2025-12-20"]
    assert item.url == reverse("members:member_action", args=[member.pk, "official"])
    assert not item.overdue
    Member.objects.filter(pk=member.pk).update(admitted_on=datetime.date(2026, 3, 1))
    assert not any(
        i.key.startswith(f"development.probation:{member.pk}:")
        for i in items_of(cast["bithu1"], DECEMBER)
    )


@pytest.mark.parametrize("username", ["bithu1", "uyvien1", "dangvien1", "kiemtra", "bantochuc"])
def test_the_todo_list_keeps_its_query_budget_however_much_waits(cast, username) -> None:
    user = User.objects.get(pk=cast[username].pk)  # grants not cached yet: counted once
    with CaptureQueriesContext(connection) as few:
        first = todo_items(user, DECEMBER)
    owner = Member.objects.get(user__username="dangvien1")
    for days in (-30, -20, -9, -3, 2, 6):
        for code in ("X001.01", "X001.02"):
            meeting = meeting_in(code, days=days, state=MeetingState.HELD)
            proposed_score(meeting)
            Visit.objects.create(meeting=meeting, user=cast["uyvien1"], source="manual")
            if code == "X001.01":
                meeting_services.add_task(
                    meeting=meeting, title="Việc", deadline=DECEMBER, by=None, owner=owner
                )
    user = User.objects.get(pk=cast[username].pk)
    with CaptureQueriesContext(connection) as many:
        second = todo_items(user, DECEMBER)
    assert len(many) == len(few), [q["sql"][:120] for q in many.captured_queries]
    assert len(many) <= 1 + QUERIES_PER_PROVIDER * len(providers())
    if username in ("bithu1", "uyvien1", "dangvien1"):
        assert len(second) > len(first)


def test_the_page_lists_overdue_first_and_links_every_item(client_for, cast) -> None:
    meeting = meeting_in("X001.01", days=-20, state=MeetingState.HELD)
    owner = Member.objects.get(user__username="bithu1")
    meeting_services.add_task(
        meeting=meeting,
        title="Việc quá hạn",
        deadline=datetime.date(2026, 1, 5),
        by=None,
        owner=owner,
    )
    response = client_for("bithu1").get(reverse("portal:todo"))
    assert response.status_code == 200
    items = response.context["items"]
    assert items
    assert items[0].overdue
    flags = [item.overdue for item in items]
    assert flags == sorted(flags, reverse=True)
    for item in items:
        assert f'href="{item.url}"' in response.content.decode()
    badge = client_for("bithu1").get(reverse("portal:todo_count"))
    assert badge.content.decode().count(str(len(items))) >= 1


def test_my_tasks_redirects_to_the_todo_list(client_for) -> None:
    response = client_for("dangvien1").get("/tasks/mine/")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:todo")


def test_the_header_links_the_todo_list_with_its_count(client_for) -> None:
    page = client_for("dangvien1").get("/").content.decode()
    assert f'href="{reverse("portal:todo")}"' in page
    assert f'hx-get="{reverse("portal:todo_count")}"' in page
