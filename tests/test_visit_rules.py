"""The attendance plan by unit kind (docs/rules.md PLAN-2, PLAN-3): the rule is the kind's,
not the tree depth's, and a committee's plan stays on its own cells."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone

from chibo.lib.audit import AuditScope
from chibo.meetings import services as meeting_services
from chibo.orgs.models import RoleGrant, Unit, UnitKind, VisitRule
from chibo.orgs.permissions import Role, Scope
from chibo.orgs.services import create_unit
from chibo.supervision import audit, services
from chibo.supervision.models import Visit, VisitSource
from chibo.supervision.planner import plan_covers

pytestmark = pytest.mark.django_db

D = datetime.date
YEAR = 2027  # ahead of the test clock: every month can be planned


def schedule(unit: Unit, day: int = 12) -> None:
    meeting_services.generate_schedule(
        unit=unit, year=YEAR, day=day, hour=19, place="Nhà văn hóa", by=None
    )


def committee_member(username: str, unit: Unit) -> User:
    user = User.objects.create_user(username, password="x")
    RoleGrant.objects.create(
        user=user, unit=unit, role=Role.UPPER_COMMITTEE, scope=Scope.SUBTREE,
        valid_from=D(2020, 1, 1),
    )  # fmt: skip
    return user


def test_each_existing_kind_has_its_attendance_rule() -> None:
    rules = dict(UnitKind.objects.values_list("code", "visit_rule"))
    assert rules["tinh_uy"] == VisitRule.PROVINCE_QUOTA
    assert rules["huyen_uy"] == VisitRule.DISTRICT_QUOTA  # historic: not every cell monthly
    assert rules["dang_uy_xa"] == rules["dang_uy_phuong"] == VisitRule.MONTHLY
    assert rules["dang_bo_co_so"] == VisitRule.MONTHLY
    assert rules["chi_bo_truc_thuoc"] == rules["to_dang"] == VisitRule.NONE


def test_plan_covers_a_committees_own_cells_only() -> None:
    committees = {"0001", "00010001", "000100010002"}
    commune, basic = "00010001", "000100010002"
    own_cell, basic_cell = "000100010001", "0001000100020001"
    assert plan_covers(VisitRule.MONTHLY, commune, own_cell, committees)
    assert not plan_covers(VisitRule.MONTHLY, commune, basic_cell, committees)
    assert plan_covers(VisitRule.MONTHLY, basic, basic_cell, committees)
    assert plan_covers(VisitRule.PROVINCE_QUOTA, "0001", basic_cell, committees)
    assert not plan_covers(VisitRule.NONE, commune, own_cell, committees)
    assert not plan_covers(VisitRule.MONTHLY, basic, own_cell, committees)  # not below it


def test_a_communes_plan_leaves_its_basic_committees_cells_to_that_committee() -> None:
    commune = Unit.objects.get(code="X001")
    basic = Unit.objects.get(code="X001.B1")
    basic_cells = list(Unit.objects.cells().filter(path__startswith=basic.path))
    assert basic_cells
    for index, cell in enumerate(Unit.objects.cells().filter(path__startswith=commune.path)):
        schedule(cell, day=10 + index)  # a day each: one member can attend them all
    committee_member("xa.cuv", commune)
    report = services.plan_visits(unit=commune, year=YEAR, by=None)
    planned = set(Visit.objects.values_list("meeting__unit__code", flat=True))
    assert planned
    assert not planned & {c.code for c in basic_cells}
    assert not any(gap.cell_code.startswith("X001.B") for gap in report.plan.gaps)
    # The basic committee's own member attends them.
    member = committee_member("dbcs.cuv", basic)
    services.plan_visits(unit=basic, year=YEAR, by=None)
    mine = set(Visit.objects.filter(user=member).values_list("meeting__unit__code", flat=True))
    assert mine == {c.code for c in basic_cells}


def test_a_historic_district_committee_plans_by_quota_not_every_cell_monthly() -> None:
    province = Unit.objects.get(code="LV")
    district = create_unit(
        parent=province,
        code="H01",
        name="Huyện ủy Lâm Hà",
        kind=UnitKind.objects.get(code="huyen_uy"),
    )
    cell_kind = UnitKind.objects.get(code="chi_bo_truc_thuoc")
    for index in (1, 2):
        cell = create_unit(
            parent=district, code=f"H01.0{index}", name=f"Chi bộ {index}", kind=cell_kind,
            cell_type="agency",
        )  # fmt: skip
        schedule(cell, day=10 + index)
    member = committee_member("huyen.cuv", district)
    report = services.plan_visits(unit=district, year=YEAR, by=None, today=D(2027, 1, 1))
    # The district quota (6 visits a year, any kind of cell), not 24 monthly visits.
    assert Visit.objects.filter(user=member).count() == 6
    assert report.plan.gaps == []


def test_a_kind_without_an_attendance_plan_is_refused() -> None:
    group = Unit.objects.filter(kind__code="chi_bo_truc_thuoc").first()
    assert group is not None
    with pytest.raises(ValidationError, match="Kế hoạch dự sinh hoạt"):
        services.plan_visits(unit=group, year=YEAR, by=None)


def test_the_audit_lists_a_visit_planned_into_another_committees_cell() -> None:
    commune = Unit.objects.get(code="X001")
    member = committee_member("xa.cuv", commune)
    wrong_cell = Unit.objects.cells().filter(code__startswith="X001.B1.").first()
    right_cell = Unit.objects.get(code="X001.01")
    assert wrong_cell is not None
    zone = timezone.get_current_timezone()
    visits = []
    for cell in (wrong_cell, right_cell):
        meeting = meeting_services.plan_meeting(
            unit=cell, kind="regular", scheduled_at=datetime.datetime(YEAR, 3, 12, 19, tzinfo=zone),
            place="x", by=None,
        )  # fmt: skip
        visits.append(Visit.objects.create(meeting=meeting, user=member, source=VisitSource.PLAN))
    found = [(v.rule, v.url) for v in audit.CHECKS[0](AuditScope(path=commune.path))]
    assert found == [("PLAN-3", visits[0].get_absolute_url())]


def test_a_working_groups_planned_visit_is_not_a_committees(cast) -> None:
    """PLAN-3 judges the committees' plans; a working group's visit follows the group's own
    plan (PLAN-4), so a group member who sits on no committee is not listed (the demo's
    working group planned its visits so, and the audit listed all of them)."""
    from chibo.supervision.models import WorkingGroup

    province = Unit.objects.get(code="LV")
    cell = Unit.objects.get(code="X002.01")
    leader = cast["tocongtac1"]
    group = WorkingGroup.objects.create(
        unit=province,
        name="Tổ công tác",
        leader=leader,
        starts_on=datetime.date(YEAR, 1, 1),
        ends_on=datetime.date(YEAR, 12, 31),
    )
    group.units.add(cell)
    zone = timezone.get_current_timezone()
    meeting = meeting_services.plan_meeting(
        unit=cell, kind="regular", scheduled_at=datetime.datetime(YEAR, 3, 12, 19, tzinfo=zone),
        place="x", by=None,
    )  # fmt: skip
    Visit.objects.create(meeting=meeting, user=leader, source=VisitSource.PLAN, group=group)
    assert list(audit.CHECKS[0](AuditScope(path=province.path))) == []


def test_the_audit_lists_group_visits_outside_the_groups_plan(cast) -> None:
    """PLAN-4 on stored records: a group visit by someone outside the group, to a cell
    outside its units, outside its term, and a second cell for one person on one day."""
    from chibo.supervision.models import WorkingGroup

    province = Unit.objects.get(code="LV")
    cell, other_cell, far_cell = (
        Unit.objects.get(code=c) for c in ("X002.01", "X002.02", "X001.01")
    )
    leader = cast["tocongtac1"]
    group = WorkingGroup.objects.create(
        unit=province, name="Tổ công tác", leader=leader,
        starts_on=datetime.date(YEAR, 1, 1), ends_on=datetime.date(YEAR, 6, 30),
    )  # fmt: skip
    group.units.add(cell, other_cell)
    zone = timezone.get_current_timezone()

    def visit(unit: Unit, month: int, day: int, user=leader) -> Visit:
        meeting = meeting_services.plan_meeting(
            unit=unit, kind="regular", place="x", by=None,
            scheduled_at=datetime.datetime(YEAR, month, day, 19, tzinfo=zone),
        )  # fmt: skip
        return Visit.objects.create(
            meeting=meeting, user=user, source=VisitSource.PLAN, group=group
        )

    fine = visit(cell, 3, 12)
    outsider = visit(cell, 4, 12, user=cast["uyvien1"])
    outside_units = visit(far_cell, 3, 14)
    outside_term = visit(cell, 9, 12)
    same_day = visit(other_cell, 3, 12)
    check = audit.CHECKS[1]
    found = sorted((v.rule, v.url) for v in check(AuditScope(path=province.path)))
    assert found == sorted(
        ("PLAN-4", v.get_absolute_url()) for v in (outsider, outside_units, outside_term, same_day)
    )
    assert fine.get_absolute_url() not in {url for _rule, url in found}
