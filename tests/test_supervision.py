"""Supervision: the plan generator's rules, working groups and their grants, visits and
observations, the pages and their queries."""

from __future__ import annotations

import datetime
import io

import pytest
import python_calamine
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chibo.meetings import services as meeting_services
from chibo.meetings.models import CalendarFeed, Meeting, MeetingState
from chibo.meetings.reminders import reminder_messages
from chibo.orgs.access import has_perm
from chibo.orgs.models import RoleGrant, Unit
from chibo.orgs.permissions import Perm, Role, Scope
from chibo.supervision import services
from chibo.supervision.models import GroupReport, Visit, VisitState, WorkingGroup
from chibo.supervision.planner import Assignee, Slot, plan_monthly, plan_quota

D = datetime.date
YEAR = 2027  # a year still ahead of the test clock: every month can be planned

# --- the planner, without a database ------------------------------------------------------


def slots_for(cells: int, months: range, *, same_day: bool = False) -> list[Slot]:
    out = []
    for month in months:
        for cell in range(cells):
            day = D(YEAR, month, 5 if same_day else 3 + cell)
            out.append(Slot(month * 100 + cell, cell, f"C{cell}", day, residential=True))
    return out


PEOPLE = [Assignee(1, "An"), Assignee(2, "Bình"), Assignee(3, "Chi")]


def test_every_cell_gets_a_visit_every_month_and_the_load_is_even() -> None:
    cells = [(c, f"C{c}") for c in range(6)]
    plan = plan_monthly(
        cells=cells, months=list(range(1, 13)), slots=slots_for(6, range(1, 13)),
        assignees=PEOPLE, busy={}, existing={},
    )  # fmt: skip
    assert len(plan.assignments) == 72
    assert plan.gaps == []
    assert sorted(plan.load.values()) == [24, 24, 24]
    # Deterministic: the same input gives the same plan.
    again = plan_monthly(
        cells=cells, months=list(range(1, 13)), slots=slots_for(6, range(1, 13)),
        assignees=PEOPLE, busy={}, existing={},
    )  # fmt: skip
    assert again.assignments == plan.assignments


def test_nobody_is_in_two_places_on_the_same_day() -> None:
    cells = [(c, f"C{c}") for c in range(4)]
    plan = plan_monthly(
        cells=cells, months=[1], slots=slots_for(4, range(1, 2), same_day=True),
        assignees=PEOPLE, busy={}, existing={},
    )  # fmt: skip
    days = [(user, meeting // 100) for meeting, user in plan.assignments]
    assert len(days) == len(set(days)) == 3
    assert [(g.cell_code, g.reason) for g in plan.gaps] == [("C3", "all_busy")]
    # A day already taken elsewhere counts too.
    busy = {1: {D(YEAR, 1, 5)}}
    plan = plan_monthly(
        cells=cells[:1], months=[1], slots=slots_for(1, range(1, 2), same_day=True),
        assignees=PEOPLE[:1], busy=busy, existing={},
    )  # fmt: skip
    assert plan.assignments == []
    assert plan.gaps[0].reason == "all_busy"


def test_what_cannot_be_covered_is_said() -> None:
    cells = [(0, "C0"), (1, "C1")]
    plan = plan_monthly(
        cells=cells, months=[1, 2], slots=slots_for(1, range(1, 2)),
        assignees=PEOPLE, busy={}, existing={},
    )  # fmt: skip
    reasons = sorted((g.cell_code, g.month, g.reason) for g in plan.gaps)
    assert reasons == [("C0", 2, "no_meeting"), ("C1", 1, "no_meeting"), ("C1", 2, "no_meeting")]
    nobody = plan_monthly(
        cells=cells[:1], months=[1], slots=slots_for(1, range(1, 2)),
        assignees=[], busy={}, existing={},
    )  # fmt: skip
    assert nobody.gaps[0].reason == "no_assignee"


def test_a_meeting_already_attended_is_left_as_it_is() -> None:
    slots = slots_for(1, range(1, 3))
    plan = plan_monthly(
        cells=[(0, "C0")], months=[1, 2], slots=slots, assignees=PEOPLE, busy={},
        existing={slots[0].meeting_id: {2}},
    )  # fmt: skip
    assert [m for m, _u in plan.assignments] == [slots[1].meeting_id]
    assert plan.load[2] == 1


def test_provincial_members_reach_their_quota_on_different_cells_weak_first() -> None:
    slots = slots_for(10, range(1, 13))
    weak = {3}
    slots = [
        Slot(s.meeting_id, s.cell_id, s.cell_code, s.day, True, s.cell_id in weak) for s in slots
    ]
    plan = plan_quota(slots=slots, assignees=PEOPLE, per_person=2, busy={}, existing={})
    assert sorted(plan.load.values()) == [2, 2, 2]
    cells = [meeting % 100 for meeting, _user in plan.assignments]
    assert len(set(cells)) == 6  # six visits, six cells
    assert 3 in cells  # the weak cell is visited
    months = {
        user: sorted(m // 100 for m, u in plan.assignments if u == user) for user in (1, 2, 3)
    }
    assert all(b - a >= 4 for a, b in months.values())  # spread over the year
    short = plan_quota(slots=slots[:1], assignees=PEOPLE[:1], per_person=2, busy={}, existing={})
    assert short.gaps[0].reason == "quota"


# --- the plan in the database ---------------------------------------------------------------


def schedule(code: str, day: int) -> None:
    meeting_services.generate_schedule(
        unit=Unit.objects.get(code=code), year=YEAR, day=day, hour=19, place="Nhà văn hóa", by=None
    )


def commune_cells() -> list[Unit]:
    """The commune's own cells: not those of its basic committee X001.B1 (PLAN-3)."""
    return list(
        Unit.objects.cells().filter(code__startswith="X001.").exclude(code__startswith="X001.B")
    )


def add_committee_member(username: str, code: str = "X001") -> User:
    user = User.objects.create_user(username, password="x")
    RoleGrant.objects.create(
        user=user, unit=Unit.objects.get(code=code), role=Role.UPPER_COMMITTEE,
        scope=Scope.SUBTREE, valid_from=D(2020, 1, 1),
    )  # fmt: skip
    return user


@pytest.mark.django_db
def test_the_commune_plan_covers_its_cells_and_reports_gaps(cast: dict[str, User]) -> None:
    cells = commune_cells()
    for index, cell in enumerate(cells):
        schedule(cell.code, 5 + index % 2)  # two cells meet on each of two days
    add_committee_member("uyvien2")
    unit = Unit.objects.get(code="X001")
    preview = services.plan_visits(unit=unit, year=YEAR, by=cast["bantochuc"], dry_run=True)
    assert Visit.objects.count() == 0
    report = services.plan_visits(unit=unit, year=YEAR, by=cast["bantochuc"])
    assert report.plan.assignments == preview.plan.assignments
    visits = list(Visit.objects.select_related("meeting"))
    assert len(visits) == len(report.plan.assignments)
    per_day = {(v.user_id, v.meeting.scheduled_at.date()) for v in visits}
    assert len(per_day) == len(visits)  # nobody twice on a day
    covered = len(visits) + sum(1 for g in report.plan.gaps if g.reason == "all_busy")
    assert covered == 12 * len(cells)
    # The visitors are the meetings' expected attendees and history says who planned.
    meeting = visits[0].meeting
    assert visits[0].user in meeting.visitors.all()
    assert visits[0].history.first().history_user == cast["bantochuc"]
    # Running again adds nothing.
    assert services.plan_visits(unit=unit, year=YEAR, by=None).created == 0


@pytest.mark.django_db
def test_plan_visits_command(cast: dict[str, User]) -> None:
    schedule("X001.01", 5)
    out = io.StringIO()
    call_command("plan_visits", unit="X001", year=YEAR, dry_run=True, stdout=out)
    assert "would be planned" in out.getvalue()
    assert Visit.objects.count() == 0
    with pytest.raises(CommandError, match="No unit"):
        call_command("plan_visits", unit="X001", year=YEAR, username="bithu1", stdout=out)
    with pytest.raises(CommandError, match="kết thúc"):  # the commands speak Vietnamese
        call_command("plan_visits", unit="X001", year=2020, stdout=out)


def upcoming(code: str = "X001.01") -> Meeting:
    return meeting_services.plan_meeting(
        unit=Unit.objects.get(code=code), kind="regular",
        scheduled_at=timezone.now() + datetime.timedelta(days=3), place="Nhà văn hóa", by=None,
    )  # fmt: skip


@pytest.mark.django_db
def test_a_visitor_is_notified_and_sees_the_meeting_in_the_calendar(cast: dict[str, User]) -> None:
    meeting = upcoming()
    uyvien1 = cast["uyvien1"]
    uyvien1.email = "uyvien1@example.vn"
    uyvien1.save()
    services.assign_visit(meeting=meeting, user=uyvien1, by=cast["bantochuc"])
    with pytest.raises(ValidationError):  # not twice on the same day
        services.assign_visit(meeting=upcoming("X001.02"), user=uyvien1, by=None)
    messages, _counts = reminder_messages(days_ahead=3)
    assert any(m.to == ["uyvien1@example.vn"] for m in messages)
    feed, _created = CalendarFeed.objects.get_or_create(user=uyvien1)
    from django.test import Client

    ics = Client().get(f"/calendar/{feed.token}/me.ics").content.decode()
    assert meeting.unit.name in ics
    assert mail.outbox == []


@pytest.mark.django_db
def test_working_group_members_see_their_units_for_the_period_only(
    cast: dict[str, User], client_for
) -> None:
    helper = User.objects.create_user("tocongtac", password="x")
    today = timezone.localdate()
    group = services.save_group(
        unit=Unit.objects.get(code="LV"), name="Tổ công tác số 1", leader=cast["bantochuc"],
        members=[helper], units=[Unit.objects.get(code="X002")],
        starts_on=today - datetime.timedelta(days=30), ends_on=today + datetime.timedelta(days=30),
        by=cast["bantochuc"],
    )  # fmt: skip
    x002 = Unit.objects.get(code="X002.01")
    assert has_perm(User.objects.get(pk=helper.pk), Perm.CONFIRM_SCORES, x002)
    assert not has_perm(
        User.objects.get(pk=helper.pk), Perm.VIEW_MEETINGS, Unit.objects.get(code="X001.01")
    )
    client = client_for(None)
    client.force_login(helper)
    assert client.get("/units/X002.01/meetings/").status_code == 200
    assert client.get("/units/X001.01/meetings/").status_code == 404
    assert client.get(group.get_absolute_url()).status_code == 200
    # The period ends: so does the access.
    services.save_group(
        group=group, unit=group.unit, name=group.name, leader=group.leader, members=[helper],
        units=[Unit.objects.get(code="X002")], starts_on=today - datetime.timedelta(days=30),
        ends_on=today - datetime.timedelta(days=1), by=cast["bantochuc"],
    )  # fmt: skip
    assert RoleGrant.objects.filter(user=helper).count() == 1
    client.force_login(helper)
    assert client.get("/units/X002.01/meetings/").status_code == 404
    # Units outside the committee's tree are refused.
    with pytest.raises(ValidationError):
        services.save_group(
            unit=Unit.objects.get(code="X001"), name="Sai", leader=helper, members=[],
            units=[x002], starts_on=today, ends_on=today, by=None,
        )  # fmt: skip


@pytest.mark.django_db
def test_groups_are_set_up_on_the_web(client_for) -> None:
    client = client_for("bantochuc")
    response = client.post(
        "/units/LV/working-groups/",
        {"name": "Tổ công tác 2", "leader": "uyvien1", "members": "bithu2, dangvien1",
         "units": "X001 X002.01", "starts_on": "2026-01-01", "ends_on": "2026-12-31"},
    )  # fmt: skip
    assert response.status_code == 302
    group = WorkingGroup.objects.get(name="Tổ công tác 2")
    assert {u.username for u in group.members.all()} == {"bithu2", "dangvien1"}
    bad = client.post(
        "/units/LV/working-groups/",
        {"name": "X", "leader": "nobody", "members": "", "units": "NOPE",
         "starts_on": "2026-01-01", "ends_on": "2026-12-31"},
    )  # fmt: skip
    assert bad.status_code == 200
    assert set(bad.context["form"].errors) == {"leader", "units"}
    assert not WorkingGroup.objects.filter(name="X").exists()
    assert client_for("bithu1").get("/units/LV/working-groups/").status_code == 404


def held_with_visit(cast: dict[str, User]) -> Visit:
    meeting = upcoming()
    visit = services.assign_visit(meeting=meeting, user=cast["uyvien1"], by=cast["bantochuc"])
    Meeting.objects.filter(pk=meeting.pk).update(
        scheduled_at=timezone.now() - datetime.timedelta(hours=3), state=MeetingState.HELD
    )
    return visit


@pytest.mark.django_db
def test_the_attendee_records_an_observation_the_secretary_reads_it(
    cast: dict[str, User], client_for
) -> None:
    visit = held_with_visit(cast)
    url = f"/visits/{visit.pk}/"
    data = {
        "state": "done",
        "observation": "Chi bộ sinh hoạt nghiêm túc.",
        "guidance": "Tăng phát biểu.",
        "version": 0,
    }
    assert client_for("uyvien1").post(url, data).status_code == 302
    assert client_for("uyvien1").post(url, data).status_code == 200  # stale version refused
    visit.refresh_from_db()
    assert visit.state == VisitState.DONE
    assert visit.version == 1
    page = client_for("bithu1").get(f"/meetings/{visit.meeting_id}/visits/").content.decode()
    assert "Chi bộ sinh hoạt nghiêm túc." in page
    # Only the attendee writes it; others of the cell read it; outsiders get 404.
    assert client_for("bithu1").post(url, data).status_code == 404
    assert client_for("bithu1").get(url).status_code == 200
    assert client_for("bithu2").get(url).status_code == 404
    # A visit recorded stays.
    with pytest.raises(ValidationError):
        services.remove_visit(visit=Visit.objects.get(pk=visit.pk), by=None)


@pytest.mark.django_db
def test_nothing_is_observed_before_the_meeting(cast: dict[str, User]) -> None:
    visit = services.assign_visit(meeting=upcoming(), user=cast["uyvien1"], by=None)
    with pytest.raises(ValidationError):
        services.record_observation(
            visit=visit, state="done", observation="x", guidance="", version=0, by=None
        )


@pytest.mark.django_db
def test_the_plan_page_uses_the_same_queries_whatever_the_size(
    cast: dict[str, User], client_for
) -> None:
    client = client_for("bantochuc")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/units/LV/visits/?year={YEAR}")
        assert response.status_code == 200
        return len(captured)

    schedule("X001.01", 5)
    services.plan_visits(unit=Unit.objects.get(code="X001"), year=YEAR, by=None)
    before = queries()
    for cell in commune_cells()[1:]:
        schedule(cell.code, 6)
    add_committee_member("uyvien3")
    services.plan_visits(unit=Unit.objects.get(code="X001"), year=YEAR, by=None)
    assert queries() == before


# --- working-group reports -------------------------------------------------------------------


def group_of(cast: dict[str, User], starts: D, ends: D) -> WorkingGroup:
    return services.save_group(
        unit=Unit.objects.get(code="LV"), name="Tổ công tác số 3", leader=cast["uyvien1"],
        members=[], units=[Unit.objects.get(code="X001")], starts_on=starts, ends_on=ends,
        by=None,
    )  # fmt: skip


@pytest.mark.django_db
def test_a_group_owes_a_report_at_each_due_date_of_its_period(cast: dict[str, User]) -> None:
    group = group_of(cast, D(2026, 3, 1), D(2027, 6, 30))
    assert [(d.period, d.due_on) for d in services.reports_due(group)] == [
        ("2026-H1", D(2026, 6, 15)),
        ("2026", D(2026, 12, 31)),
        ("2027-H1", D(2027, 6, 15)),
    ]


@pytest.mark.django_db
def test_the_report_is_drafted_from_the_visits_submitted_and_evaluated(
    cast: dict[str, User], client_for
) -> None:
    group = group_of(cast, D(2026, 1, 1), D(2026, 12, 31))
    visit = held_with_visit(cast)
    services.record_observation(
        visit=visit, state="done", observation="Sinh hoạt nền nếp.", guidance="", version=0,
        by=None,
    )  # fmt: skip
    url = f"/working-groups/{group.pk}/reports/2026/"
    leader = client_for("uyvien1")
    page = leader.get(url)
    assert page.status_code == 200
    report = page.context["report"]
    assert report.figures["visits_done"] == 1
    assert "Sinh hoạt nền nếp." in report.results
    assert not GroupReport.objects.exists()  # opening it wrote nothing: saving stores it
    # Not the group's to evaluate, not the Commission's to write.
    assert client_for("bantochuc").post(url, {"results": "x", "version": 0}).status_code == 404
    data = {"results": report.results, "shortcomings": "Chưa đều.", "proposals": "", "version": 0}
    assert leader.post(url, {**data, "submit": "1"}).status_code == 302
    report = GroupReport.objects.get(group=group)
    assert report.figures["visits_done"] == 1
    assert report.state == "submitted"
    assert leader.post(url, {**data, "version": 1}).status_code == 404  # submitted: read-only
    response = client_for("bantochuc").post(
        url, {"level": "tot", "evaluation": "Tổ hoạt động tích cực.", "version": 1}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.evaluation_level == "tot"
    assert report.evaluated_by == cast["bantochuc"]
    assert client_for("bithu2").get(url).status_code == 404
    assert (
        client_for("uyvien1").get(f"/working-groups/{group.pk}/reports/2026-H2/").status_code == 404
    )


@pytest.mark.django_db
def test_overdue_reports_are_flagged_and_reminded(cast: dict[str, User], client_for) -> None:
    today = timezone.localdate()
    due = today - datetime.timedelta(days=1)
    from chibo.supervision.models import SupervisionRules

    SupervisionRules.objects.create(
        unit=Unit.objects.get(code="LV"), mid_report_month=due.month, mid_report_day=due.day
    )
    WorkingGroup.objects.all().delete()  # the demo's group: its own reports are overdue too
    group = group_of(cast, D(today.year, 1, 1), D(today.year, 12, 31))
    assert [(g.pk, d.due_on) for g, d in services.overdue_reports(WorkingGroup.objects.all())] == [
        (group.pk, due)
    ]
    assert group.pk in client_for("bantochuc").get("/units/LV/working-groups/").context["overdue"]
    uyvien1 = cast["uyvien1"]
    uyvien1.email = "uyvien1@example.vn"
    uyvien1.save()
    out = io.StringIO()
    call_command("send_reminders", "--days", "2", stdout=out)
    assert "1 overdue working-group report reminders" in out.getvalue()
    assert [m.to for m in mail.outbox] == [["uyvien1@example.vn"]]


# --- weak and priority cells -------------------------------------------------------------------


@pytest.mark.django_db
def test_priority_cells_show_their_shortfalls_scores_and_support(
    cast: dict[str, User], client_for
) -> None:
    Unit.objects.filter(code="X001.01").update(is_weak=True)
    Unit.objects.filter(code="X002.01").update(is_rural=True, is_weak=False)
    client = client_for("bantochuc")

    def queries(url: str) -> tuple[int, object]:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured), response

    before, response = queries("/units/LV/priority-cells/?year=2026")
    codes = [row[0].code for row in response.context["rows"]]  # type: ignore[attr-defined]
    assert codes[0] == "X001.01"  # weak cells first
    assert "X002.01" in codes
    weak_only = client.get("/units/LV/priority-cells/?year=2026&flag=weak").context["rows"]
    assert [row[0].code for row in weak_only] == ["X001.01"]
    # Support is recorded by the upper level, read by supervision staff.
    url = "/units/X001.01/support/"
    data = {"on": "2026-05-10", "by_whom": "Tổ công tác số 1", "what": "Hướng dẫn ghi biên bản."}
    assert client_for("bithu1").post(url, data).status_code == 404
    assert client_for("uyvien1").post(url, data).status_code == 302
    assert "Hướng dẫn ghi biên bản." in client.get(url).content.decode()
    Unit.objects.filter(code__in=["X001.02", "X001.03"]).update(is_difficult_area=True)
    after, _response = queries("/units/LV/priority-cells/?year=2026")
    assert after == before


# --- inspection and supervision ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_programme_lists_what_it_leaves_out(cast: dict[str, User]) -> None:
    province, commune = Unit.objects.get(code="LV"), Unit.objects.get(code="X001")
    checks = services.programme_checks(province, 2026)
    communes = {u.code for u in checks.not_in_programme}
    assert {"X001", "X002"} <= communes
    services.add_inspection(
        unit=province, year=2026, kind="inspection", target=commune,
        subject="Chấp hành chế độ sinh hoạt",
        starts_on=D(2026, 9, 1), ends_on=D(2026, 9, 30), by=cast["admin"],
    )  # fmt: skip
    assert "X001" not in {
        u.code for u in services.programme_checks(province, 2026).not_in_programme
    }
    # The commune inspects all its cells: those without a concluded inspection are listed.
    cells = {u.code for u in Unit.objects.get_children(commune) if u.is_cell}
    assert {u.code for u in services.programme_checks(commune, 2026).not_inspected} == cells
    item = services.add_inspection(
        unit=commune, year=2026, kind="inspection", target=Unit.objects.get(code="X001.01"),
        subject="Sinh hoạt chi bộ", starts_on=D(2026, 10, 1), ends_on=D(2026, 10, 15), by=None,
    )  # fmt: skip
    assert "X001.01" in {u.code for u in services.programme_checks(commune, 2026).not_inspected}
    services.conclude_inspection(
        item=item,
        conclusion="Chi bộ thực hiện tốt.",
        concluded_on=D(2026, 10, 15),
        version=0,
        by=None,
    )
    assert "X001.01" not in {u.code for u in services.programme_checks(commune, 2026).not_inspected}
    # A committee inspects only below itself.
    with pytest.raises(ValidationError):
        services.add_inspection(
            unit=commune, year=2026, kind="inspection", target=Unit.objects.get(code="X002.01"),
            subject="x", starts_on=D(2026, 1, 1), ends_on=D(2026, 1, 2), by=None,
        )  # fmt: skip


@pytest.mark.django_db
def test_findings_corrections_and_discipline_reach_the_classification(
    cast: dict[str, User], client_for
) -> None:
    cell = Unit.objects.get(code="X001.01")
    client = client_for("uyvien1")
    response = client.post(
        "/units/X001/inspections/?year=2026",
        {"kind": "inspection", "target_code": "X001.01", "subject": "Sinh hoạt chi bộ",
         "starts_on": "2026-10-01", "ends_on": "2026-10-15"},
    )  # fmt: skip
    assert response.status_code == 302
    item_url = response["Location"]
    late = {
        "action": "finding", "kind": "shortcoming", "text": "Biên bản chưa đầy đủ.",
        "correction": "Hoàn thiện biên bản", "owner": "Bí thư chi bộ", "deadline": "2026-10-30",
    }  # fmt: skip
    assert client.post(item_url, late).status_code == 302
    no_deadline = {**late, "deadline": ""}
    assert client.post(item_url, no_deadline).status_code == 200  # a correction needs a deadline
    programme = client.get("/units/X001/inspections/?year=2026")
    assert [f.text for f in programme.context["overdue"]] == ["Biên bản chưa đầy đủ."]
    member = cell.members.filter(card_number__gt="").first()
    assert member is not None
    discipline = {
        "action": "sanction", "kind": "discipline", "card_number": member.card_number,
        "form": "Khiển trách", "decided_on": "2026-10-20", "decision": "12-QĐ/ĐU",
    }  # fmt: skip
    assert client.post(item_url, discipline).status_code == 302
    from chibo.scoring.models import AnnualRating

    assert AnnualRating.objects.get(member=member, year=2026).disciplined
    page = client_for("bithu1").get(f"/classification/members/{member.pk}/?year=2026")
    assert "Khiển trách" in page.content.decode()
    cell_page = client_for("bithu1").get("/units/X001.01/classification/cell/?year=2026")
    assert "Sinh hoạt chi bộ" in " ".join(cell_page.context["other_evidence"])
    # The secretary reads the inspection of her cell but cannot write in it.
    assert client_for("bithu1").get(item_url).status_code == 200
    assert client_for("bithu1").post(item_url, late).status_code == 404
    assert client_for("bithu2").get(item_url).status_code == 404


@pytest.mark.django_db
def test_the_programme_page_uses_the_same_queries_whatever_the_size(
    cast: dict[str, User], client_for
) -> None:
    client = client_for("bantochuc")
    province = Unit.objects.get(code="LV")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/units/LV/inspections/?year=2026").status_code == 200
        return len(captured)

    def add(code: str) -> None:
        item = services.add_inspection(
            unit=province, year=2026, kind="supervision", target=Unit.objects.get(code=code),
            subject="Giám sát", starts_on=D(2026, 3, 1), ends_on=D(2026, 3, 2), by=None,
        )  # fmt: skip
        services.add_finding(
            item=item, data={"kind": "shortcoming", "text": "x", "correction": "y",
                             "deadline": D(2026, 4, 1)}, by=None,
        )  # fmt: skip

    add("X001")
    before = queries()
    add("X002")
    add("X001.01")
    assert queries() == before


@pytest.mark.django_db
def test_the_province_sets_its_visit_quotas_and_report_dates(client_for) -> None:
    client = client_for("bantochuc")
    data = {
        "basic_monthly": "on",
        "commune_visits_per_year": 8,
        "province_visits_per_year": 3,
        "mid_report_month": 6,
        "mid_report_day": 30,
        "year_report_month": 12,
        "year_report_day": 15,
        "weak_kem_meetings": 3,
    }
    assert client.post("/rules/supervision/", data).status_code == 302
    from chibo.supervision.models import SupervisionRules

    rules = SupervisionRules.for_unit(Unit.objects.get(code="X001"))
    assert (rules.province_visits_per_year, rules.mid_report_day) == (3, 30)
    bad = client.post("/rules/supervision/", {**data, "mid_report_month": 2, "mid_report_day": 30})
    assert bad.status_code == 200
    assert SupervisionRules.objects.get().mid_report_day == 30


@pytest.mark.django_db
def test_the_rating_pages_show_inspections_and_discipline_only_within_supervision_access(
    cast: dict[str, User], client_for
) -> None:
    """The rating pages (scoring) need only VIEW_MEMBERS; what supervision adds to them
    goes through supervision's access: an ordinary member who gets 404 on the inspection
    reads neither its subject nor its conclusion there, nor a fellow member's discipline."""
    from chibo.members.models import Member, MemberStatus

    cell = Unit.objects.get(code="X001.01")
    item = services.add_inspection(
        unit=Unit.objects.get(code="X001"), year=2026, kind="inspection", target=cell,
        subject="Thu nộp đảng phí quý III", starts_on=D(2026, 10, 1), ends_on=D(2026, 10, 15),
        by=None,
    )  # fmt: skip
    services.conclude_inspection(
        item=item, conclusion="Chi bộ chậm nộp đảng phí hai tháng.",
        concluded_on=D(2026, 10, 15), version=0, by=None,
    )  # fmt: skip
    fellow = (
        Member.objects.filter(unit=cell, status=MemberStatus.OFFICIAL)
        .exclude(user=cast["dangvien1"])
        .first()
    )
    assert fellow is not None
    services.add_sanction(
        kind="discipline", unit=cell, member=fellow, form="Khiển trách",
        decided_on=D(2026, 10, 20), decision="12-QĐ/ĐU", by=None,
    )  # fmt: skip
    secrets = {"thu nộp đảng phí quý iii", "chậm nộp đảng phí", "khiển trách", "kỷ luật trong năm"}

    def shown(username: str) -> set[str]:
        client = client_for(username)
        pages = [
            client.get("/units/X001.01/classification/cell/?year=2026"),
            client.get(f"/classification/members/{fellow.pk}/?year=2026"),
        ]
        assert [page.status_code for page in pages] == [200, 200]
        text = " ".join(page.content.decode() for page in pages).lower()
        return {secret for secret in secrets if secret in text}

    def exported(username: str) -> object:
        """The "disciplined" column of the fellow's row in the classification export."""
        response = client_for(username).get("/units/X001.01/classification/export/?year=2026")
        book = python_calamine.CalamineWorkbook.from_filelike(
            io.BytesIO(b"".join(response.streaming_content))
        )
        rows = book.get_sheet_by_index(1).to_python()
        return next(row for row in rows[3:] if row[1] == fellow.full_name)[11]

    assert client_for("dangvien1").get(item.get_absolute_url()).status_code == 404
    assert shown("dangvien1") == set()
    assert exported("dangvien1") == ""
    # Those who may open the inspection and see discipline still read it all.
    for username in ("bithu1", "kiemtra", "uyvien1"):
        assert client_for(username).get(item.get_absolute_url()).status_code == 200
        assert shown(username) == secrets, username
        assert exported(username) == "có", username


@pytest.mark.django_db
def test_the_inspection_page_lists_only_the_discipline_its_reader_may_see(
    cast: dict[str, User], client_for
) -> None:
    """Opening an inspection is not seeing discipline: an inspection of a commune lists the
    year's discipline below it only as far as the discipline rule goes. A working-group
    member and a member of the commune's committee, each over the commune alone, read the
    inspection and the commune's own discipline, but not a cell member's discipline (a
    commendation: whoever sees the cell's members); an ordinary member cannot open it."""
    from chibo.members.models import Member, MemberStatus

    commune = Unit.objects.get(code="X001")
    cell = Unit.objects.get(code="X001.01")
    item = services.add_inspection(
        unit=Unit.objects.get(code="LV"), year=2026, kind="inspection", target=commune,
        subject="Kiểm tra Kanariakiemtra", starts_on=D(2026, 10, 1), ends_on=D(2026, 10, 15),
        by=None,
    )  # fmt: skip
    fellow = (
        Member.objects.filter(unit=cell, status=MemberStatus.OFFICIAL)
        .exclude(user=cast["dangvien1"])
        .first()
    )
    assert fellow is not None
    services.add_sanction(
        kind="discipline", unit=cell, member=fellow, form="Khiển trách Kanariakyluat",
        decided_on=D(2026, 10, 20), decision="12-QĐ/ĐU", by=None,
    )  # fmt: skip
    services.add_sanction(
        kind="discipline", unit=commune, member=None, form="Khiển trách Kanariaxa",
        decided_on=D(2026, 10, 21), decision="13-QĐ/TU", by=None,
    )  # fmt: skip
    services.add_sanction(
        kind="commendation", unit=cell, member=None, form="Giấy khen Kanariakhen",
        decided_on=D(2026, 10, 22), decision="14-QĐ/ĐU", by=None,
    )  # fmt: skip
    probes = {"Kanariakiemtra", "Kanariakyluat", "Kanariaxa", "Kanariakhen"}

    def seen(username: str) -> set[str]:
        response = client_for(username).get(item.get_absolute_url())
        if response.status_code != 200:
            return set()
        text = response.content.decode()
        return {probe for probe in probes if probe in text}

    assert client_for("bithu2").get(item.get_absolute_url()).status_code == 404
    assert client_for("dangvien1").get(item.get_absolute_url()).status_code == 404
    for username, role in (("tocongtac1", Role.WORKING_GROUP), ("dangvien1", Role.UPPER_COMMITTEE)):
        RoleGrant.objects.create(user=cast[username], unit=commune, role=role, scope=Scope.UNIT)
    assert seen("tocongtac1") == {"Kanariakiemtra", "Kanariaxa"}
    # dangvien1 sees the members of their own cell, so its commendation too.
    assert seen("dangvien1") == {"Kanariakiemtra", "Kanariaxa", "Kanariakhen"}
    for username in ("kiemtra", "uyvien1", "admin"):
        assert seen(username) == probes, username
