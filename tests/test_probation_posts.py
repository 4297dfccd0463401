"""Probation and posts (issue 20, item 7; docs/rules.md PROB-1, POST-1 to POST-3): official
only after 12 months, posts for official members within the committee's size, and the
record audit's checks of both."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from chibo.development import rules as development_rules
from chibo.lib.audit import AuditScope
from chibo.members import audit, rules, services
from chibo.members.models import Member, MemberStatus, Post, PostKind
from chibo.orgs.models import Unit
from tests.factories import import_roster as run
from tests.factories import roster_row as row
from tests.factories import roster_xlsx as xlsx

pytestmark = pytest.mark.django_db

D = datetime.date
_serial = iter(range(1, 10_000))


def cell(code: str) -> Unit:
    unit: Unit = Unit.objects.select_related("kind").get(code=code)
    return unit


def new_member(code: str, **data: object) -> Member:
    n = next(_serial)
    fields: dict[str, object] = {
        "full_name": f"Hoàng Văn Thử{chr(65 + n % 26)}",
        "gender": "male",
        "birth_date": D(1980, 1, 1),
        "admitted_on": D(2005, 3, 1),
        "official_on": D(2006, 3, 1),
        "card_number": f"8{n:07d}",
        "citizen_id": f"06818{n:07d}",
    }
    fields.update(data)
    return services.create_member(unit=cell(code), data=fields, by=None)


def officials(code: str) -> int:
    return Member.objects.filter(unit__code=code, status=MemberStatus.OFFICIAL).count()


# --- PROB-1 ----------------------------------------------------------------------------------


def test_probation_is_twelve_calendar_months_tet_and_holidays_included() -> None:
    # Admitted on the first day of Tết 2025: the months run through Tết 2026 and every
    # holiday like any other day.
    assert rules.probation_ends_on(D(2025, 1, 29)) == D(2026, 1, 29)
    assert rules.probation_ends_on(D(2024, 2, 29)) == D(2025, 2, 28)
    assert rules.recognition_problem(admitted_on=D(2025, 1, 29), official_on=D(2026, 1, 28))
    assert rules.recognition_problem(admitted_on=D(2025, 1, 29), official_on=D(2026, 1, 29)) == ""
    # The development pipeline's clock is the same rule: holidays move only the deadline of
    # the cell's review (working days), never the end of probation.
    tet = frozenset({D(2026, 2, 16), D(2026, 2, 17), D(2026, 2, 18)})
    clock = development_rules.probation_clock(D(2025, 2, 13), development_rules.Rules(holidays=tet))
    assert clock.due_from == rules.probation_ends_on(D(2025, 2, 13)) == D(2026, 2, 13)


def test_recognition_two_days_after_admission_is_refused(cast) -> None:
    member = new_member("X001.01", admitted_on=D(2025, 6, 2), official_on=None, card_number=None)
    assert member.status == MemberStatus.PROBATIONARY
    with pytest.raises(ValidationError) as error:
        services.make_official(member=member, on=D(2025, 6, 4), by=None, votes_for=99)
    assert "02/06/2026" in error.value.message_dict["on"][0]
    member.refresh_from_db()
    assert member.status == MemberStatus.PROBATIONARY
    roll = services.personnel_roll_on(member.unit, D(2026, 6, 2))
    services.make_official(member=member, on=D(2026, 6, 2), by=None, votes_for=roll)
    assert member.status == MemberStatus.OFFICIAL


def test_the_recognition_form_shows_the_refusal(client_for) -> None:
    member = new_member("X001.01", admitted_on=D(2026, 3, 2), official_on=None, card_number=None)
    response = client_for("bithu1").post(
        f"/members/{member.pk}/official/", {"on": "2026-03-04", "votes_for": "9"}
    )
    assert response.status_code == 200
    assert "Thời kỳ dự bị là 12 tháng" in response.content.decode()
    member.refresh_from_db()
    assert member.status == MemberStatus.PROBATIONARY


def test_a_record_official_inside_its_probation_is_refused_by_the_form(client_for) -> None:
    response = client_for("bithu1").post(
        "/units/X001.01/members/new/",
        {
            "full_name": "Lê Thị Sớm",
            "gender": "female",
            "birth_date": "1995-01-02",
            "admitted_on": "2025-03-03",
            "official_on": "2025-03-05",
            "card_number": "81239999",
            "religion": "Không",
            "ethnicity": "Kinh",
        },
    )
    assert response.status_code == 200
    assert "Thời kỳ dự bị là 12 tháng" in response.content.decode()
    assert not Member.objects.filter(card_number="81239999").exists()


def test_the_import_refuses_an_official_date_inside_probation(tmp_path: Path) -> None:
    today = timezone.localdate()
    rows = [
        row(1, **{"Ngày vào Đảng": D(2025, 2, 3), "Ngày chính thức": D(2025, 2, 5)}),
        # "Chính thức" with no date, admitted less than 12 months ago.
        row(2, **{"Ngày vào Đảng": today - datetime.timedelta(days=30), "Ngày chính thức": None}),
    ]
    result = run(xlsx(tmp_path / "early.xlsx", rows))
    assert [(e.row, e.column) for e in result.errors] == [
        (4, "Ngày chính thức"),
        (5, "Trạng thái"),
    ]
    assert not Member.objects.filter(card_number__in=["90000001", "90000002"]).exists()


# --- POST-1 and POST-2 ---------------------------------------------------------------------


def test_a_probationary_member_cannot_hold_a_post(client_for, cast) -> None:
    member = Member.objects.get(user=cast["dangvien1"])
    assert member.status == MemberStatus.PROBATIONARY
    with pytest.raises(ValidationError) as error:
        services.appoint_post(
            member=member, kind=PostKind.DEPUTY_SECRETARY, on=timezone.localdate(), by=None
        )
    assert "dự bị" in error.value.message_dict["member"][0]
    assert not member.posts.exists()
    # The page does not offer it.
    assert client_for("bithu1").get(f"/members/{member.pk}/post/").status_code == 404


def test_a_small_cell_has_a_secretary_and_at_most_one_deputy(cast) -> None:
    assert officials("X001.01") < rules.COMMITTEE_MIN_OFFICIAL
    candidates = list(
        Member.objects.filter(unit__code="X001.01", status=MemberStatus.OFFICIAL)
        .exclude(posts__isnull=False)
        .order_by("pk")
    )
    today = timezone.localdate()
    with pytest.raises(ValidationError) as error:
        services.appoint_post(
            member=candidates[0], kind=PostKind.COMMITTEE_MEMBER, on=today, by=None
        )
    assert "không bầu chi ủy" in error.value.message_dict["kind"][0]
    with pytest.raises(ValidationError, match="một bí thư"):
        services.appoint_post(member=candidates[0], kind=PostKind.SECRETARY, on=today, by=None)
    services.appoint_post(member=candidates[0], kind=PostKind.DEPUTY_SECRETARY, on=today, by=None)
    with pytest.raises(ValidationError, match="một phó bí thư"):
        services.appoint_post(
            member=candidates[1], kind=PostKind.DEPUTY_SECRETARY, on=today, by=None
        )


def test_a_cell_of_nine_official_members_elects_at_most_seven(cast) -> None:
    while officials("X001.02") < rules.COMMITTEE_MIN_OFFICIAL:
        new_member("X001.02")
    today = timezone.localdate()
    held = Post.objects.filter(unit__code="X001.02", ended_on__isnull=True).count()
    free = list(
        Member.objects.filter(unit__code="X001.02", status=MemberStatus.OFFICIAL)
        .exclude(posts__isnull=False)
        .order_by("pk")
    )
    for member in free[: rules.MAX_COMMITTEE - held]:
        services.appoint_post(member=member, kind=PostKind.COMMITTEE_MEMBER, on=today, by=None)
    assert Post.objects.filter(unit__code="X001.02", ended_on__isnull=True).count() == 7
    with pytest.raises(ValidationError, match="nhiều nhất 7"):
        services.appoint_post(
            member=free[rules.MAX_COMMITTEE - held],
            kind=PostKind.COMMITTEE_MEMBER,
            on=today,
            by=None,
        )


def test_the_post_form_shows_the_refusal(client_for) -> None:
    member = (
        Member.objects.filter(unit__code="X001.01", status=MemberStatus.OFFICIAL)
        .exclude(posts__isnull=False)
        .first()
    )
    assert member is not None
    response = client_for("bithu1").post(
        f"/members/{member.pk}/post/",
        {"kind": PostKind.COMMITTEE_MEMBER, "on": timezone.localdate().isoformat()},
    )
    assert response.status_code == 200
    assert "không bầu chi ủy" in response.content.decode()
    assert not member.posts.exists()


# --- the record audit ----------------------------------------------------------------------


def _ids(check: object, scope: AuditScope | None = None) -> list[tuple[str, str]]:
    return [(v.rule, v.url) for v in check(scope or AuditScope())]  # type: ignore[operator]


def test_the_audit_lists_a_recognition_inside_probation(cast) -> None:
    bad = new_member("X001.01")
    good = new_member("X001.01")
    Member.objects.filter(pk=bad.pk).update(official_on=D(2005, 3, 3))
    found = _ids(audit.recognised_before_probation_ended)
    assert ("PROB-1", f"/members/{bad.pk}/") in found
    assert ("PROB-1", f"/members/{good.pk}/") not in found
    x002 = AuditScope(path=cell("X002.01").path)
    assert _ids(audit.recognised_before_probation_ended, x002) == []
    assert _ids(audit.recognised_before_probation_ended, AuditScope(year=2004)) == []


def test_the_audit_lists_posts_held_by_probationary_members(cast) -> None:
    member = Member.objects.get(user=cast["dangvien1"])
    Post.objects.create(
        member=member, unit=member.unit, kind=PostKind.DEPUTY_SECRETARY, started_on=D(2026, 1, 1)
    )
    secretary = Member.objects.get(user=cast["bithu1"])
    found = _ids(audit.posts_held_by_non_official_members)
    assert found == [("POST-1", f"/members/{member.pk}/")]
    assert ("POST-1", f"/members/{secretary.pk}/") not in found


def test_a_post_is_judged_on_the_status_of_its_day_and_refuses_the_suspended(cast) -> None:
    """POST-1 reads the member's status on the post's first day, not today's: a secretary
    suspended later held the post rightly; a member suspended or detained on the day is
    refused, saying why."""
    secretary = Member.objects.get(user=cast["bithu1"])
    services.record_away_status(
        member=secretary, status=MemberStatus.SUSPENDED, on=D(2026, 9, 1),
        decision="3-QĐ/ĐU", decision_on=D(2026, 8, 28), by=None,
    )  # fmt: skip
    assert _ids(audit.posts_held_by_non_official_members) == []
    for status in (MemberStatus.SUSPENDED, MemberStatus.DETAINED):
        member = (
            Member.objects.filter(unit__code="X001.02", status=MemberStatus.OFFICIAL)
            .exclude(posts__isnull=False)
            .first()
        )
        assert member is not None
        services.record_away_status(
            member=member, status=status, on=D(2026, 9, 1),
            decision="4-QĐ/ĐU", decision_on=D(2026, 9, 1), by=None,
        )  # fmt: skip
        with pytest.raises(ValidationError) as error:
            services.appoint_post(
                member=member, kind=PostKind.DEPUTY_SECRETARY, on=D(2026, 9, 10), by=None
            )
        assert "đình chỉ sinh hoạt đảng hoặc bị tạm giam" in error.value.message_dict["member"][0]
        # Stored past the service, the audit lists it.
        post = Post.objects.create(
            member=member, unit=member.unit, kind=PostKind.DEPUTY_SECRETARY,
            started_on=D(2026, 9, 10),
        )  # fmt: skip
        assert ("POST-1", f"/members/{member.pk}/") in _ids(
            audit.posts_held_by_non_official_members
        )
        post.delete()


def test_the_audit_lists_cells_with_too_many_posts(cast) -> None:
    members = Member.objects.filter(unit__code="X001.01", status=MemberStatus.OFFICIAL)
    Post.objects.bulk_create(
        Post(member=m, unit=m.unit, kind=PostKind.COMMITTEE_MEMBER, started_on=D(2026, 1, 1))
        for m in members[:3]
    )
    assert _ids(audit.cells_with_too_many_posts) == [("POST-2", "/units/X001.01/members/")]


def test_the_audit_lists_grants_that_outlived_the_membership(cast) -> None:
    member = Member.objects.get(user=cast["dangvien1"])
    Member.objects.filter(pk=member.pk).update(status=MemberStatus.LEFT)
    found = _ids(audit.grants_outliving_membership)
    assert found == [("POST-3", f"/members/{member.pk}/")]


def test_the_seed_passes_the_probation_and_post_checks(cast) -> None:
    # The test database is the seed (small size, same code as the demo seed).
    violations = [v for check in audit.CHECKS for v in check(AuditScope())]
    assert violations == []
    assert Post.objects.filter(kind=PostKind.SECRETARY).exists()


def test_the_audit_reads_in_a_fixed_number_of_queries(django_assert_max_num_queries) -> None:
    for check in audit.CHECKS:
        with django_assert_max_num_queries(3):
            list(check(AuditScope()))
