"""Working groups that work: charges, the group's own plan, visits linked to the group, the
group's page, its report returned and accepted, its documents, and the to-do items."""

from __future__ import annotations

import datetime
import io

import pytest
import python_calamine
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from docx import Document

from chibo.meetings.models import Meeting
from chibo.meetings.services import plan_meeting
from chibo.orgs.models import Unit
from chibo.supervision import services, todo
from chibo.supervision.models import (
    GroupReport,
    GroupVisitRule,
    ReportState,
    Visit,
    VisitState,
    WorkingGroup,
)
from chibo.supervision.planner import Assignee, Slot, plan_group

pytestmark = pytest.mark.django_db

D = datetime.date


def slot(meeting: int, cell: int, day: D) -> Slot:
    return Slot(meeting_id=meeting, cell_id=cell, cell_code=f"C{cell}", day=day)


def test_the_monthly_rule_sends_each_member_to_the_cells_in_their_charge() -> None:
    slots = [slot(10 * c + m, c, D(2026, m, c)) for c in (1, 2, 3) for m in (1, 2)]
    plan = plan_group(
        rule=GroupVisitRule.MONTHLY,
        cells=[(1, "C1"), (2, "C2"), (3, "C3")],
        charges={100: {1}, 200: {2}},
        months=[1, 2],
        slots=slots,
        assignees=[Assignee(100, "A"), Assignee(200, "B")],
        per_person=0,
        busy={},
        existing={},
    )
    by_cell = {(m // 10, u) for m, u in plan.assignments}
    assert {(1, 100), (2, 200)} <= by_cell
    # Cell 3, in nobody's charge, goes to the group: every month covered, no gap.
    assert len(plan.assignments) == 6
    assert not plan.gaps


def test_the_quota_rule_stays_within_the_members_own_cells() -> None:
    slots = [slot(10 * c + m, c, D(2026, m, 10 + c)) for c in (1, 2) for m in range(1, 7)]
    plan = plan_group(
        rule=GroupVisitRule.QUOTA,
        cells=[(1, "C1"), (2, "C2")],
        charges={100: {1}},
        months=list(range(1, 7)),
        slots=slots,
        assignees=[Assignee(100, "A"), Assignee(200, "B")],
        per_person=3,
        busy={},
        existing={},
    )
    mine = [m for m, u in plan.assignments if u == 100]
    assert len(mine) == 3
    assert all(m // 10 == 1 for m in mine)
    assert len([m for m, u in plan.assignments if u == 200]) == 3


def future(code: str, days: int) -> Meeting:
    return plan_meeting(
        unit=Unit.objects.select_related("kind").get(code=code),
        kind="regular",
        scheduled_at=timezone.now() + datetime.timedelta(days=days),
        place="Nhà văn hóa",
        by=None,
    )


def demo_group() -> WorkingGroup:
    return WorkingGroup.objects.get(name__startswith="Tổ công tác số 1")


def test_the_demo_group_has_its_cells_shared_between_its_members(cast) -> None:
    group = demo_group()
    charges = dict(group.assignments.values_list("unit__code", "user__username"))
    assert charges
    assert set(charges.values()) == {"tocongtac1", "tocongtac2"}
    assert all(code.startswith("X002.") for code in charges)


def test_the_group_plan_links_every_visit_to_the_group(cast) -> None:
    group = demo_group()
    group.visit_rule = GroupVisitRule.MONTHLY
    group.save()
    meeting = future("X002.01", 3)
    report = services.plan_group_visits(group=group, year=timezone.localdate().year, by=None)
    visit = Visit.objects.get(meeting=meeting)
    assert report.created >= 1
    assert visit.group == group
    charge = group.assignments.get(unit__code="X002.01").user
    assert visit.user == charge
    assert charge in meeting.visitors.all()
    # Run again: nothing more.
    again = services.plan_group_visits(group=group, year=timezone.localdate().year, by=None)
    assert again.created == 0


def test_a_visit_assigned_by_hand_belongs_to_the_group_of_its_attendee(cast) -> None:
    meeting = future("X002.01", 4)
    visit = services.assign_visit(meeting=meeting, user=cast["tocongtac1"], by=None)
    assert visit.group == demo_group()


def test_the_leader_charges_members_only_with_the_groups_units(cast, client_for) -> None:
    group = demo_group()
    with pytest.raises(ValidationError):
        services.assign_charge(
            group=group, unit=Unit.objects.get(code="X001.01"), user=cast["tocongtac1"], by=None
        )
    with pytest.raises(ValidationError):
        services.assign_charge(
            group=group, unit=Unit.objects.get(code="X002.01"), user=cast["bithu1"], by=None
        )
    client = client_for("tocongtac1")
    response = client.post(
        f"/working-groups/{group.pk}/",
        {"action": "charge", "unit": "X002", "username": "tocongtac2"},
    )
    assert response.status_code == 302
    assert group.assignments.get(unit__code="X002").user.username == "tocongtac2"
    # A member who is not the leader may not.
    second = User.objects.get(username="tocongtac2")
    client.force_login(second)
    assert (
        client.post(f"/working-groups/{group.pk}/", {"action": "charge", "unit": "X002"})
    ).status_code == 404
    assert group.assignments.filter(unit__code="X002").exists()


def test_group_people_reach_their_group_from_the_home_page_and_the_menu(client_for) -> None:
    group = demo_group()
    page = client_for("tocongtac1").get("/").content.decode()
    assert f'href="/working-groups/{group.pk}/"' in page
    assert 'href="/working-groups/mine/"' in page
    assert 'href="/working-groups/mine/"' not in client_for("bithu1").get("/").content.decode()


def test_the_group_is_listed_where_it_works_and_where_it_was_set_up(client_for) -> None:
    group = demo_group()
    for name, url in (
        ("bantochuc", "/units/X002/working-groups/"),
        ("bantochuc", "/units/LV/working-groups/"),
        ("tocongtac1", "/units/X002/working-groups/"),
        ("tocongtac1", "/units/LV/working-groups/"),
    ):
        response = client_for(name).get(url)
        assert response.status_code == 200, (name, url)
        assert group.get_absolute_url() in response.content.decode(), (name, url)
    assert client_for("bithu1").get("/units/LV/working-groups/").status_code == 404


def test_opening_a_report_writes_nothing(client_for) -> None:
    group = demo_group()
    year = timezone.localdate().year
    response = client_for("tocongtac1").get(f"/working-groups/{group.pk}/reports/{year}/")
    assert response.status_code == 200
    assert not GroupReport.objects.filter(group=group).exists()
    for fmt in ("docx", "xlsx"):
        file = client_for("bantochuc").get(f"/working-groups/{group.pk}/reports/{year}.{fmt}")
        assert file.status_code == 200
    assert not GroupReport.objects.filter(group=group).exists()


def test_the_report_is_returned_with_a_reason_corrected_and_accepted(client_for) -> None:
    group = demo_group()
    year = timezone.localdate().year
    url = f"/working-groups/{group.pk}/reports/{year}/"
    leader, staff = client_for("tocongtac1"), client_for("bantochuc")
    data = {"results": "Dự đủ", "shortcomings": "", "proposals": "", "version": 0}
    assert leader.post(url, {**data, "submit": "1"}).status_code == 302
    report = GroupReport.objects.get(group=group, year=year, half=False)
    assert report.state == ReportState.SUBMITTED
    # The group can no longer change it; a return needs a reason.
    assert leader.post(url, {**data, "version": report.version}).status_code == 404
    page = staff.post(url, {"action": "return", "reason": "", "version": report.version})
    assert page.status_code == 200
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED
    staff.post(url, {"action": "return", "reason": "Thiếu số liệu", "version": report.version})
    report.refresh_from_db()
    assert report.state == ReportState.RETURNED
    assert report.returned_reason == "Thiếu số liệu"
    assert "Thiếu số liệu" in leader.get(url).content.decode()
    leader.post(url, {**data, "results": "Dự đủ, có số liệu", "version": report.version,
                      "submit": "1"})  # fmt: skip
    report.refresh_from_db()
    assert report.state == ReportState.SUBMITTED
    assert report.results == "Dự đủ, có số liệu"
    staff.post(url, {"action": "accept", "level": "tot", "evaluation": "Tốt",
                     "version": report.version})  # fmt: skip
    report.refresh_from_db()
    assert report.state == ReportState.EVALUATED
    states = [t["state"] for t in services.report_transitions(report)]
    assert [str(s) for s in states] == [
        str(ReportState.DRAFT.label),
        str(ReportState.SUBMITTED.label),
        str(ReportState.RETURNED.label),
        str(ReportState.SUBMITTED.label),
        str(ReportState.EVALUATED.label),
    ]
    with pytest.raises(ValidationError):
        services.return_report(report=report, reason="x", version=report.version, by=None)


def record_done_visit(group: WorkingGroup, user: User) -> Visit:
    """A visit of the group to a meeting held yesterday, with an observation."""
    meeting = future("X002.01", 2)
    visit = services.assign_visit(meeting=meeting, user=user, by=None)
    Meeting.objects.filter(pk=meeting.pk).update(
        scheduled_at=timezone.now() - datetime.timedelta(days=1)
    )
    visit.refresh_from_db()
    return services.record_observation(
        visit=visit, state=VisitState.DONE, observation="Sinh hoạt nghiêm túc", guidance="",
        version=visit.version, by=user,
    )  # fmt: skip


def test_the_report_documents_carry_the_figures_and_the_observations(cast, tmp_path) -> None:
    group = demo_group()
    record_done_visit(group, cast["tocongtac1"])
    year = timezone.localdate().year
    out, xlsx = tmp_path / "r.docx", tmp_path / "r.xlsx"
    call_command(
        "report", "group", group=group.pk, period=str(year), output=out, xlsx=xlsx,
        stdout=io.StringIO(),
    )  # fmt: skip
    text = "\n".join(p.text for p in Document(str(out)).paragraphs)
    assert "BÁO CÁO" in text
    assert "Sinh hoạt nghiêm túc" in text
    assert "Nơi nhận:" in text
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(xlsx.read_bytes()))
    rows = book.get_sheet_by_name("Cac buoi du").to_python()
    assert any("Sinh hoạt nghiêm túc" in str(r[5]) for r in rows[3:])
    assert not GroupReport.objects.filter(group=group).exists()


def test_the_group_page_and_documents_make_flat_queries(cast, client_for) -> None:
    group = demo_group()
    year = timezone.localdate().year
    urls = [
        f"/working-groups/{group.pk}/",
        f"/working-groups/{group.pk}/reports/{year}/",
        f"/working-groups/{group.pk}/reports/{year}.docx",
        f"/working-groups/{group.pk}/reports/{year}.xlsx",
        "/working-groups/mine/",
        "/units/X002/working-groups/",
    ]
    client = client_for("tocongtac1")

    def counts() -> list[int]:
        out = []
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200, url
            out.append(len(captured))
        return out

    record_done_visit(group, cast["tocongtac1"])
    before = counts()
    for _ in range(3):
        record_done_visit(group, User.objects.get(username="tocongtac2"))
    assert counts() == before


def test_to_do_items_of_the_group_and_of_the_staff(cast) -> None:
    group = demo_group()
    today = timezone.localdate()
    meeting = future("X002.01", 2)
    services.assign_visit(meeting=meeting, user=cast["tocongtac1"], by=None)
    items = list(todo.visits_due(cast["tocongtac1"], today))
    assert any(i.url == f"/visits/{Visit.objects.get(meeting=meeting).pk}/" for i in items)
    report = services.draft_report(group, today.year, False)
    report = services.save_report(
        report=report, results="x", shortcomings="", proposals="", submit=True, version=0,
        by=cast["tocongtac1"],
    )  # fmt: skip
    review = list(todo.group_reports_due(cast["bantochuc"], today))
    assert [i.url for i in review if i.kind == "supervision.group_report_review"] == [
        report.get_absolute_url()
    ]
    assert not list(todo.group_reports_due(cast["bithu1"], today))
    services.return_report(report=report, reason="Sửa", version=report.version, by=None)
    mine = list(todo.group_reports_due(cast["tocongtac1"], today))
    assert any(i.overdue and i.url == report.get_absolute_url() for i in mine)
    with CaptureQueriesContext(connection) as captured:
        for provider in todo.PROVIDERS:
            list(provider(cast["bantochuc"], today))
    assert len(captured) <= 12


def test_plan_visits_command_plans_a_group(cast) -> None:
    group = demo_group()
    future("X002.01", 5)
    out = io.StringIO()
    call_command("plan_visits", group=group.pk, dry_run=True, stdout=out)
    assert "would be planned" in out.getvalue()
    assert not Visit.objects.filter(group=group).exists()
