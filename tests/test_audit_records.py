"""The record audit (`chibo audit_records` and its page) runs every app's checks."""

from __future__ import annotations

import datetime
import io
import random
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from chibo.lib.audit import AuditScope, Violation, rules_of
from chibo.meetings.models import Attendance, AttendanceStatus, Meeting, MeetingKind, MeetingState
from chibo.members.models import (
    Change,
    Member,
    MembershipPeriod,
    MemberStatus,
    PersonnelVote,
    PersonnelVoteKind,
    Post,
    PostKind,
)
from chibo.orgs.models import Unit
from chibo.reports import record_audit as audit
from chibo.scoring.models import AnnualRating, Classification, MeetingScore, Rubric
from chibo.supervision.models import Visit, VisitSource, WorkingGroup


def _breaking(seen: list[AuditScope]):
    def check(scope: AuditScope) -> Iterator[Violation]:
        seen.append(scope)
        yield Violation("TEST-2", "Bản ghi B", "", "Sai thứ hai")
        yield Violation("TEST-1", "Bản ghi A", "/units/X001.01/", "Sai thứ nhất")

    return check


def test_every_app_audit_module_is_found() -> None:
    names = {check.__module__ for check in audit.checks()}
    assert all(name.startswith("chibo.") and name.endswith(".audit") for name in names)


@pytest.mark.django_db
def test_the_command_lists_each_violation_and_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[AuditScope] = []
    monkeypatch.setattr(audit, "checks", lambda: [_breaking(seen)])
    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("audit_records", unit="X001", year=2026, stdout=out)
    assert error.value.returncode == 1
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("TEST-1\tBản ghi A (/units/X001.01/)\tSai thứ nhất")
    assert lines[1].startswith("TEST-2\tBản ghi B\tSai thứ hai")
    assert seen == [AuditScope(path=Unit.objects.get(code="X001").path, year=2026)]


@pytest.mark.django_db
def test_the_command_exits_0_when_nothing_breaks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "checks", lambda: [lambda scope: iter(())])
    out = io.StringIO()
    call_command("audit_records", stdout=out)
    assert "No record breaks the rule book." in out.getvalue()


@pytest.mark.django_db
def test_the_command_refuses_an_unknown_unit() -> None:
    with pytest.raises(CommandError, match="No unit NOPE"):
        call_command("audit_records", unit="NOPE", stdout=io.StringIO())


def test_the_page_lists_the_violations_of_its_unit(
    client_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[AuditScope] = []
    monkeypatch.setattr(audit, "checks", lambda: [_breaking(seen)])
    response = client_for("uyvien1").get(reverse("reports:audit", args=["X001"]), {"year": 2025})
    assert response.status_code == 200
    body = response.content.decode()
    assert "TEST-1" in body
    assert "Sai thứ nhất" in body
    assert 'href="/units/X001.01/"' in body
    assert seen == [AuditScope(path=Unit.objects.get(code="X001").path, year=2025)]


def test_the_dashboard_links_the_audit_for_auditors_only(client_for) -> None:
    url = reverse("reports:audit", args=["X001"])
    dashboard = reverse("reports:dashboard", args=["X001"])
    assert url in client_for("uyvien1").get(dashboard).content.decode()
    assert (
        url
        not in client_for("tocongtac1")
        .get(reverse("reports:dashboard", args=["X002"]))
        .content.decode()
    )


# --- every audited rule broken once --------------------------------------------------------


def rule_book_audit_column() -> dict[str, bool]:
    """The rule book's column "audit": rule id → whether the audit checks stored records."""
    book = (Path(__file__).resolve().parent.parent / "docs" / "rules.md").read_text()
    column: dict[str, bool] = {}
    for line in book.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if re.fullmatch(r"[A-Z]+-\d+", cells[0]):
            column[cells[0]] = cells[-1] == "stored records"
    return column


def test_every_check_declares_the_rules_it_reports() -> None:
    assert all(rules_of(check) for check in audit.checks())


def test_the_rule_book_marks_exactly_the_rules_the_audit_checks() -> None:
    column = rule_book_audit_column()
    assert len(column) >= 37
    assert {rule for rule, checked in column.items() if checked} == audit.audited_rules()


def _approved_meetings() -> list[Meeting]:
    return list(
        Meeting.objects.filter(
            state=MeetingState.APPROVED, kind=MeetingKind.REGULAR, votes_for__isnull=False
        )
        .exclude(chair=None)
        .order_by("pk")[:6]
    )


def _rate(member: Member | None, unit: Unit, year: int, level: str, **facts: object) -> None:
    AnnualRating.objects.create(year=year, unit=unit, member=member, decided_level=level, **facts)


def break_each_audited_rule(cast: dict[str, User]) -> None:
    """Write, past the services (as old or imported data would be), one record breaking
    each rule the audit checks."""
    today = timezone.localdate()
    votes_over, votes_odd, barred, early, roles, extraordinary = _approved_meetings()
    # VOTE-2: more votes than official members present who may vote.
    Meeting.objects.filter(pk=votes_over.pk).update(votes_for=500)
    # VOTE-3: votes against without the votes for.
    Meeting.objects.filter(pk=votes_odd.pk).update(votes_for=None, votes_against=2)
    # STATUS-3: a suspended member recorded present.
    row = Attendance.objects.filter(meeting=barred).exclude(member=barred.chair).first()
    assert row is not None
    Attendance.objects.filter(pk=row.pk).update(
        member_status=MemberStatus.SUSPENDED, status=AttendanceStatus.PRESENT
    )
    # TIME-1: minutes approved an hour before the start.
    Meeting.objects.filter(pk=early.pk).update(
        approved_at=early.scheduled_at - datetime.timedelta(hours=1)
    )
    # ROLE-1: the chair recorded absent.
    Attendance.objects.filter(meeting=roles, member=roles.chair).update(
        status=AttendanceStatus.ABSENT_UNEXCUSED
    )
    # ANNUAL-12: an extraordinary meeting with a score.
    MeetingScore.objects.get_or_create(
        meeting=extraordinary, defaults={"rubric": Rubric.objects.first()}
    )
    Meeting.objects.filter(pk=extraordinary.pk).update(kind=MeetingKind.EXTRAORDINARY)

    cell = Unit.objects.get(code="X001.01")
    officials = list(
        Member.objects.filter(unit__code__startswith="X001.", status=MemberStatus.OFFICIAL)
        .select_related("unit")
        .order_by("pk")
    )
    # STATUS-1: a suspension without the decision's number and date.
    MembershipPeriod.objects.create(
        member=officials[0], unit=officials[0].unit, status=MemberStatus.SUSPENDED,
        started_on=datetime.date(2019, 1, 1), ended_on=datetime.date(2019, 2, 1),
        change=Change.SUSPENDED,
    )  # fmt: skip
    # VOTE-5: an admission voted by a third of the official members.
    PersonnelVote.objects.create(
        unit=cell, kind=PersonnelVoteKind.ADMISSION, held_on=datetime.date(2025, 5, 10),
        subject="Nguyễn Văn Mới", votes_for=3, votes_against=0, official_members=9,
    )  # fmt: skip
    # PROB-1: recognised official two days after admission.
    Member.objects.filter(pk=officials[1].pk).update(
        admitted_on=datetime.date(2024, 3, 1), official_on=datetime.date(2024, 3, 3)
    )
    # POST-1: a probationary member holding a post.
    probationary = Member.objects.filter(status=MemberStatus.PROBATIONARY).first()
    assert probationary is not None
    Post.objects.create(
        member=probationary, unit=probationary.unit, kind=PostKind.COMMITTEE_MEMBER,
        started_on=today,
    )  # fmt: skip
    # POST-2: a second secretary at once.
    other = Unit.objects.get(code="X002.01")
    second = Member.objects.filter(unit=other, status=MemberStatus.OFFICIAL).last()
    assert second is not None
    Post.objects.create(member=second, unit=other, kind=PostKind.SECRETARY, started_on=today)
    # POST-3: a member who left keeps the member's role.
    Member.objects.filter(user=cast["dangvien1"]).update(status=MemberStatus.LEFT)
    # PLAN-3: a planned visit by someone on no committee.
    Visit.objects.create(meeting=roles, user=cast["outsider"], source=VisitSource.PLAN)
    # PLAN-4: a working group's visit by someone outside the group.
    group = WorkingGroup.objects.create(
        unit=Unit.objects.get(code="LV"), name="Tổ", leader=cast["tocongtac1"],
        starts_on=datetime.date(2026, 1, 1), ends_on=datetime.date(2026, 12, 31),
    )  # fmt: skip
    group.units.add(roles.unit)
    Visit.objects.create(meeting=roles, user=cast["uyvien1"], source=VisitSource.PLAN, group=group)
    # ANNUAL-1 to ANNUAL-4, ANNUAL-10, ANNUAL-11: members' classifications.
    year = 2026
    Member.objects.filter(pk=officials[7].pk).update(status=MemberStatus.EXEMPTED)
    _rate(officials[7], officials[7].unit, year, Classification.COMPLETED)  # ANNUAL-1
    _rate(
        officials[2], officials[2].unit, year, Classification.GOOD, kem_criterion=True
    )  # ANNUAL-2
    _rate(
        officials[3], officials[3].unit, year, Classification.COMPLETED, targets_percent=10
    )  # ANNUAL-3
    _rate(
        officials[4], officials[4].unit, year, Classification.COMPLETED, disciplined=True
    )  # ANNUAL-4
    _rate(officials[5], officials[5].unit, year, Classification.EXCELLENT)  # ANNUAL-11 (1 of 1)
    absent = Attendance.objects.filter(
        member=officials[6], meeting__month__year=year, meeting__state=MeetingState.APPROVED
    ).order_by("meeting__month")[:3]
    Attendance.objects.filter(pk__in=[a.pk for a in absent]).update(
        status=AttendanceStatus.ABSENT_UNEXCUSED, reason=""
    )
    _rate(officials[6], officials[6].unit, year, Classification.GOOD)  # ANNUAL-10
    # ANNUAL-5: a cell whose year's meetings were Kém; ANNUAL-6: a year without meetings.
    poor = Unit.objects.get(code="X001.02")
    MeetingScore.objects.filter(meeting__unit=poor, meeting__month__year=year).update(
        upper_level="kem"
    )
    _rate(None, poor, year, Classification.COMPLETED)
    _rate(None, Unit.objects.get(code="T001.01"), year, Classification.COMPLETED)


def demo_history() -> None:
    """A year of the demo's meetings (held, approved, scored, visited) for the cells of
    X001 and X002.01; the other cells hold nothing."""
    from chibo.demo.history import seed_history
    from chibo.demo.seed import create_committees

    units = {u.code: u for u in Unit.objects.all()}
    seed_history(
        members=list(
            Member.objects.filter(
                Q(unit__code__startswith="X001.") | Q(unit__code="X002.01")
            ).order_by("pk")
        ),
        weak_cells={units["X001.02"].pk},
        visitors=create_committees(units, since=datetime.date(2025, 12, 1)),
        end_month=datetime.date(2026, 12, 1),
        months=12,
        rng=random.Random(3),
    )


@pytest.mark.parametrize("batch", [None, 1])
def test_a_database_breaking_each_rule_once_is_reported_rule_by_rule(
    cast, monkeypatch: pytest.MonkeyPatch, batch: int | None
) -> None:
    """The issue's "done when": on a database where each rule the audit checks is broken
    once, `chibo audit_records` exits 1 and names exactly those rules. With keys asked a
    few at a time (a province has more than one statement may carry), the same: one key a
    batch gives each check's batches their edges."""
    if batch:
        monkeypatch.setattr("chibo.lib.batches.BATCH", batch)
    demo_history()
    assert audit.violations(AuditScope()) == []
    break_each_audited_rule(cast)
    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("audit_records", stdout=out)
    assert error.value.returncode == 1
    reported = {line.split("\t")[0] for line in out.getvalue().splitlines()}
    assert reported == audit.audited_rules()


def test_keys_are_sent_in_batches_in_their_order() -> None:
    from chibo.lib.batches import batches

    assert list(batches(range(5), 2)) == [[0, 1], [2, 3], [4]]
    assert list(batches([], 2)) == []
    assert [len(b) for b in batches(range(25_001))] == [10_000, 10_000, 5_001]
