"""Party development: eligibility, the probation clock (30 working days after 12 months),
the pipeline ending in a member record, targets and progress by group."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from chibo.development import services
from chibo.development.models import Candidate, Stage
from chibo.development.rules import Rules, eligibility_problems, probation_clock
from chibo.development.views import progress
from chibo.members.models import Member, MemberStatus
from chibo.orgs.models import Unit

D = datetime.date
RULES = Rules()


def problems(**overrides: object) -> list[str]:
    values: dict[str, Any] = {
        "birth_date": D(2000, 1, 1),
        "certificate_on": D(2025, 1, 1),
        "introducer_official": True,
        "introducer_known_since": D(2024, 1, 1),
        "on": D(2026, 1, 1),
        "rules": RULES,
    }
    values.update(overrides)
    return eligibility_problems(**values)


def test_age_is_18_to_60_on_the_day_the_cell_considers() -> None:
    assert problems() == []
    assert problems(birth_date=D(2008, 1, 1)) == []  # 18 that very day
    assert len(problems(birth_date=D(2008, 1, 2))) == 1  # 17 for one more day
    assert problems(birth_date=D(1965, 1, 2)) == []  # 60
    assert len(problems(birth_date=D(1965, 1, 1))) == 1  # 61 that day


def test_the_certificate_must_be_valid_and_the_introducer_official_for_a_year() -> None:
    assert problems(certificate_on=D(2021, 1, 1)) == []  # 60 months exactly
    assert len(problems(certificate_on=D(2020, 12, 31))) == 1
    assert len(problems(certificate_on=None)) == 1
    assert len(problems(certificate_on=D(2025, 6, 1), rules=Rules(certificate_valid_months=6))) == 1
    assert len(problems(introducer_official=None)) == 1
    assert len(problems(introducer_official=False)) == 1
    assert len(problems(introducer_known_since=D(2025, 1, 2))) == 1  # not a full year
    assert problems(introducer_known_since=D(2025, 1, 1)) == []


def test_the_probation_clock_counts_30_working_days_after_12_months() -> None:
    clock = probation_clock(D(2025, 3, 2), RULES)
    assert clock.due_from == D(2026, 3, 2)  # a Monday
    # Six weeks of five working days: Monday 2/3 + 30 working days = Monday 13/4.
    assert clock.due_by == D(2026, 4, 13)
    assert not clock.overdue(D(2026, 4, 13))
    assert clock.overdue(D(2026, 4, 14))
    # Holidays do not count.
    holidays = frozenset({D(2026, 3, 3), D(2026, 4, 13)})
    assert probation_clock(D(2025, 3, 2), Rules(holidays=holidays)).due_by == D(2026, 4, 15)


@pytest.mark.django_db
def test_the_pipeline_ends_in_a_member_record(cast) -> None:
    cell = Unit.objects.get(code="X001.01")
    candidate = services.add_candidate(
        unit=cell,
        data={"full_name": "Lò Thị Mai", "gender": "female", "birth_date": D(2000, 5, 1),
              "ethnicity": "Thái", "religion": "Không", "rural": True},
        listed_on=D(2025, 1, 10),
        by=cast["bithu1"],
    )  # fmt: skip
    introducer = Member.objects.filter(unit=cell, status=MemberStatus.OFFICIAL).first()
    assert introducer is not None
    steps = [
        {"on": D(2025, 2, 1), "certificate_on": D(2025, 1, 28)},
        {"on": D(2025, 3, 1)},
        {"on": D(2025, 4, 1)},
        {"on": D(2025, 4, 15), "introducer": introducer, "introducer_known_since": D(2023, 1, 1)},
        {"on": D(2025, 5, 1)},
        # The cell's resolution: the rules are checked, two thirds of the officials for.
        {"on": D(2025, 5, 10), "votes_for": services.personnel_roll_on(cell, D(2025, 5, 10))},
        {"on": D(2025, 5, 20)},
        {"on": D(2025, 6, 1), "decision": "15-QĐ/ĐU"},
        {"on": D(2025, 6, 10), "mentor": introducer},  # the ceremony
    ]
    for step in steps:
        candidate = services.advance(candidate=candidate, by=cast["bithu1"], **step)  # type: ignore[arg-type]
    assert candidate.stage == Stage.ADMITTED
    member = candidate.member
    assert member is not None
    assert (member.status, member.admitted_on, member.unit_id) == (
        MemberStatus.PROBATIONARY, D(2025, 6, 10), cell.pk,
    )  # fmt: skip
    assert member.history.count() >= 1
    clock = services.clock(candidate)
    assert clock is not None
    assert clock.due_from == D(2026, 6, 10)
    candidate = services.advance(
        candidate=candidate,
        on=D(2026, 6, 20),
        votes_for=services.personnel_roll_on(cell, D(2026, 6, 20)),
        by=cast["bithu1"],
    )
    member.refresh_from_db()
    assert (candidate.stage, member.status) == (Stage.OFFICIAL, MemberStatus.OFFICIAL)
    with pytest.raises(ValidationError):
        services.advance(candidate=candidate, on=D(2026, 7, 1), by=None)


@pytest.mark.django_db
def test_the_cell_cannot_resolve_on_an_ineligible_candidate(cast) -> None:
    cell = Unit.objects.get(code="X001.01")
    candidate = services.add_candidate(
        unit=cell,
        data={"full_name": "Trần Văn An", "gender": "male", "birth_date": D(2009, 1, 1)},
        listed_on=D(2025, 1, 1),
        by=None,
    )
    introducer = Member.objects.filter(unit=cell, status=MemberStatus.OFFICIAL).first()
    for step in (
        {"on": D(2025, 2, 1)},
        {"on": D(2025, 3, 1)},
        {"on": D(2025, 4, 1)},
        {"on": D(2025, 4, 2), "introducer": introducer, "introducer_known_since": D(2020, 1, 1)},
        {"on": D(2025, 5, 1)},
    ):
        candidate = services.advance(candidate=candidate, by=None, **step)
    with pytest.raises(ValidationError, match="17"):
        services.advance(candidate=candidate, on=D(2026, 5, 1), by=None)  # 17 years old
    candidate.refresh_from_db()
    assert candidate.stage == Stage.COMMENTED  # nothing written
    with pytest.raises(ValidationError):  # a stage cannot go back in time
        services.advance(candidate=candidate, on=D(2025, 4, 30), by=None)


@pytest.mark.django_db
def test_targets_and_progress_by_group(cast) -> None:
    commune = Unit.objects.get(code="X001")
    services.set_target(unit=commune, year=2026, admissions=3, by=None)
    for name, gender, ethnicity in (("A", "female", "Kinh"), ("B", "male", "Tày")):
        Candidate.objects.create(
            unit=Unit.objects.get(code="X001.01"), full_name=name, gender=gender,
            birth_date=D(1995, 1, 1), ethnicity=ethnicity, listed_on=D(2025, 1, 1),
            stage=Stage.ADMITTED, dates={"admitted": "2026-03-01"}, admitted_on=D(2026, 3, 1),
        )  # fmt: skip
    Candidate.objects.create(
        unit=Unit.objects.get(code="X001.01"), full_name="C", gender="female",
        birth_date=D(1995, 1, 1), listed_on=D(2025, 1, 1), stage=Stage.ADMITTED,
        dates={"admitted": "2025-03-01"}, admitted_on=D(2025, 3, 1),
    )  # fmt: skip
    figures = progress(cast["uyvien1"], commune, 2026)
    assert figures["target"].admissions == 3
    assert figures["counts"]["total"] == 2
    assert figures["counts"]["women"] == 1
    assert figures["counts"]["ethnic_minority"] == 1
    # Another commune's secretary sees nothing of it.
    assert progress(cast["bithu2"], commune, 2026)["counts"]["total"] == 0


@pytest.mark.django_db
def test_the_secretary_lists_and_advances_a_candidate_on_the_web(client_for) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for("bithu1")
    response = client.post(
        "/units/X001.01/candidates/",
        {"full_name": "Hà Thị Lan", "gender": "female", "birth_date": "2001-02-03",
         "ethnicity": "Kinh", "religion": "Không", "listed_on": "2026-01-05"},
    )  # fmt: skip
    assert response.status_code == 302
    candidate = Candidate.objects.get(full_name="Hà Thị Lan")
    page = client.get(candidate.get_absolute_url())
    assert page.status_code == 200
    response = client.post(
        candidate.get_absolute_url(),
        {"on": "2026-02-01", "certificate_on": "2026-01-30", "version": candidate.version},
    )
    assert response.status_code == 302
    candidate.refresh_from_db()
    assert candidate.stage == Stage.CLASS
    # A stale form is refused.
    response = client.post(candidate.get_absolute_url(), {"on": "2026-03-01", "version": 0})
    assert response.status_code == 200
    # Another commune's secretary cannot see or list here.
    assert client_for("bithu2").get(candidate.get_absolute_url()).status_code == 404
    assert client_for("bithu2").post("/units/X001.01/candidates/", {}).status_code == 404
    # The lists keep their query count as candidates grow.

    def counts() -> list[int]:
        out = []
        for url in ("/units/X001/candidates/", "/units/X001/development/"):
            with CaptureQueriesContext(connection) as queries:
                assert client_for("uyvien1").get(url).status_code == 200
            out.append(len(queries))
        return out

    before = counts()
    for n in range(5):
        Candidate.objects.create(
            unit=candidate.unit, full_name=f"Người {n}", gender="male", birth_date=D(1990, 1, 1),
            listed_on=D(2025, 1, 1), stage=Stage.ADMITTED, dates={"admitted": "2026-01-01"},
        )  # fmt: skip
    assert counts() == before


@pytest.mark.django_db
def test_new_members_join_the_dashboard_and_the_periodic_report(cast) -> None:
    import io as _io

    import docx

    from chibo.reports import figures
    from chibo.reports.periodic import periodic_docx
    from chibo.reports.periods import parse

    Candidate.objects.create(
        unit=Unit.objects.get(code="X001.01"), full_name="Lò Văn Pọm", gender="female",
        birth_date=D(1998, 1, 1), ethnicity="Tày", business_owner=True, listed_on=D(2025, 1, 1),
        stage=Stage.ADMITTED, dates={"admitted": "2026-03-01"}, admitted_on=D(2026, 3, 1),
    )  # fmt: skip
    services.set_target(unit=Unit.objects.get(code="X001"), year=2026, admissions=4, by=None)
    board = figures.build(cast["uyvien1"], Unit.objects.get(code="X001"), parse("2026"))
    assert board.development["total"] == 1
    assert board.development["women"] == board.development["ethnic_minority"] == 1
    assert board.development["target"] == 4
    from django.utils import translation

    with translation.override("en"):
        summary = {str(k): v for k, v in board.tables()["summary"][2]}
    assert summary["New members admitted"] == 1
    # Another commune sees none of it; the first half of the year counts it, 2025 does not.
    assert (
        figures.build(cast["bithu2"], Unit.objects.get(code="X002"), parse("2026")).development[
            "total"
        ]
        == 0
    )
    assert (
        figures.build(cast["uyvien1"], Unit.objects.get(code="X001"), parse("2025")).development[
            "total"
        ]
        == 0
    )
    content = periodic_docx(board, number="Số 1-BC/ĐU", date=D(2026, 12, 31), place="Lâm Viên")
    text = "\n".join(p.text for p in docx.Document(_io.BytesIO(content)).paragraphs)
    # Beside the same period last year (none admitted then).
    assert "Kết nạp 1 đảng viên mới (cùng kỳ 0, +1), trong đó: nữ 1, dân tộc thiểu số 1" in text
    assert "chỉ tiêu năm 2026: 4" in text


def test_stages_above_the_cell_are_recorded_by_the_upper_level_staff(client_for) -> None:
    candidate = Candidate.objects.create(
        unit=Unit.objects.get(code="X001.01"), full_name="Hà Văn Trên", gender="male",
        birth_date=D(1995, 1, 1), listed_on=D(2025, 1, 1), stage=Stage.CELL_RESOLUTION,
        dates={"cell_resolution": "2026-03-01"},
    )  # fmt: skip
    url = candidate.get_absolute_url()
    data = {"on": "2026-03-20", "version": candidate.version}
    secretary = client_for("bithu1")
    page = secretary.get(url)
    assert page.context["form"] is None
    assert page.context["upper_stage"]
    assert secretary.post(url, data).status_code == 404
    candidate.refresh_from_db()
    assert candidate.stage == Stage.CELL_RESOLUTION
    # The province's organisation commission records the basic committee's resolution.
    staff = client_for("bantochuc")
    assert staff.get(url).context["form"] is not None
    assert staff.post(url, data).status_code == 302
    candidate.refresh_from_db()
    assert candidate.stage == Stage.BASIC_RESOLUTION
    # The stages up to the cell's resolution stay with the secretary.
    early = Candidate.objects.create(
        unit=candidate.unit, full_name="Hà Văn Dưới", gender="male", birth_date=D(1995, 1, 1),
        listed_on=D(2025, 1, 1),
    )  # fmt: skip
    assert secretary.get(early.get_absolute_url()).context["form"] is not None
