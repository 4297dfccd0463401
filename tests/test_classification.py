"""The annual classification: the rules of domain §6 on their boundaries, the three steps
with who may take each, the quota, the evidence, the board and the XLSX."""

from __future__ import annotations

import io

import pytest
import python_calamine
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from chibo.members.models import Member, MemberStatus
from chibo.orgs.models import Unit
from chibo.scoring.annual import AnnualQuality
from chibo.scoring.classification import Evidence, MemberRecord, check_rating, rate
from chibo.scoring.models import AnnualRating, ScoringRules
from tests.factories import complete, grow_cell, planned

pytestmark = pytest.mark.django_db

YEAR = 2026


def rules(**values: object) -> ScoringRules:
    return ScoringRules(**values)


def blocking(level: str, evidence: Evidence, step: str = "decide", **values: object) -> list[str]:
    return [
        f.message for f in check_rating(level, evidence, rules(**values), step=step) if f.blocking
    ]


def warnings(level: str, evidence: Evidence, step: str = "decide", **values: object) -> list[str]:
    return [
        f.message
        for f in check_rating(level, evidence, rules(**values), step=step)
        if not f.blocking
    ]


# --- the rules, without a database -------------------------------------------------------


@pytest.mark.parametrize("level", ["excellent", "good", "completed", "failed"])
def test_exempted_members_are_not_rated(level: str) -> None:
    assert blocking(level, Evidence(exempted=True))


@pytest.mark.parametrize(
    "evidence",
    [Evidence(kem_criterion=True), Evidence(targets_percent=49), Evidence(disciplined=True)],
)
def test_a_kem_criterion_missed_targets_or_discipline_force_not_completed(
    evidence: Evidence,
) -> None:
    for level in ("excellent", "good", "completed"):
        assert len(blocking(level, evidence)) == 1
    assert blocking("failed", evidence) == []


def test_half_the_targets_is_enough_to_complete() -> None:
    assert blocking("completed", Evidence(targets_percent=50)) == []
    assert blocking("completed", Evidence(targets_percent=None)) == []


def quality(level: str | None, *, unscored: int = 0, missing: int = 0) -> AnnualQuality:
    return AnnualQuality(level, 12, 7, unscored, missing)


def test_a_cell_whose_meetings_were_kem_cannot_complete_its_tasks() -> None:
    evidence = Evidence(is_cell=True, meeting_quality=quality("kem"))
    assert blocking("completed", evidence)
    assert blocking("failed", evidence) == []


def test_the_quality_of_the_meetings_is_evidence_for_a_cell() -> None:
    average = Evidence(is_cell=True, meeting_quality=quality("trung_binh"))
    assert warnings("good", average)
    assert warnings("completed", average) == []
    fair = Evidence(is_cell=True, meeting_quality=quality("kha"))
    assert warnings("excellent", fair)
    assert warnings("good", fair) == []
    undecided = Evidence(is_cell=True, meeting_quality=quality(None, unscored=2))
    assert "2" in warnings("good", undecided)[0]
    gaps = Evidence(is_cell=True, meeting_quality=quality("trung_binh", missing=1))
    assert len(warnings("good", gaps)) == 2


def test_an_excellent_cell_needs_80_percent_of_its_members_rated_well() -> None:
    eight = ["good"] * 8 + ["completed"] * 2
    base = {"is_cell": True, "meeting_quality": quality("tot"), "others_good": 4}
    assert warnings("excellent", Evidence(member_levels=eight, **base)) == []  # type: ignore[arg-type]
    seven = ["good"] * 7 + ["completed"] * 3
    assert warnings("excellent", Evidence(member_levels=seven, **base))  # type: ignore[arg-type]
    failed = ["excellent"] * 9 + ["failed"]
    assert warnings("excellent", Evidence(member_levels=failed, **base))  # type: ignore[arg-type]
    unrated = ["good"] * 9 + [""]
    assert warnings("excellent", Evidence(member_levels=unrated, **base))  # type: ignore[arg-type]


def test_a_fourth_absence_in_a_row_is_shown_against_a_good_level() -> None:
    three = Evidence(record=MemberRecord(expected=12, present=9, excused=3, longest_absence=3))
    assert warnings("good", three) == []
    four = Evidence(record=MemberRecord(expected=12, present=8, excused=4, longest_absence=4))
    assert warnings("good", four)
    assert warnings("completed", four) == []


def test_the_excellent_quota_is_20_percent_of_those_rated_well() -> None:
    # One excellent among five rated well or better: exactly 20 %.
    assert warnings("excellent", Evidence(others_good=4)) == []
    over = Evidence(others_good=3)  # one of four: 25 %
    assert warnings("excellent", over)
    assert blocking("excellent", over) == []
    assert blocking("excellent", over, quota_blocks=True)
    assert warnings("excellent", over, excellent_quota_percent=25) == []
    # Self-assessments are not held to the quota: the advisory body applies it.
    assert warnings("excellent", over, step="self") == []


# --- the steps, in the database ----------------------------------------------------------


def cell(code: str = "X001.01") -> Unit:
    unit: Unit = Unit.objects.get(code=code)
    return unit


def met(code: str = "X001.01") -> Unit:
    """The cell, having held a meeting this year (a cell that held none can only be rated
    "did not complete tasks", ANNUAL-6)."""
    complete(planned(code))
    return cell(code)


def test_the_three_steps_are_recorded_with_who_and_when(cast: dict[str, User]) -> None:
    unit = met()
    rating, _warnings = rate(
        unit=unit, year=YEAR, step="self", level="good", note="Tự đánh giá", by=cast["bithu1"]
    )
    with pytest.raises(ValidationError):  # the decision waits for the verification
        rate(unit=unit, year=YEAR, step="decide", level="good", by=cast["uyvien1"])
    rate(unit=unit, year=YEAR, step="verify", level="completed", by=cast["bantochuc"])
    rating, _warnings = rate(
        unit=unit, year=YEAR, step="decide", level="completed", by=cast["uyvien1"]
    )
    assert (rating.self_level, rating.verified_level, rating.decided_level) == (
        "good",
        "completed",
        "completed",
    )
    assert rating.decided_by == cast["uyvien1"]
    assert rating.decided_at is not None
    assert [h.history_user for h in rating.history.order_by("history_date")] == [
        cast["bithu1"],
        cast["bantochuc"],
        cast["uyvien1"],
    ]
    with pytest.raises(ValidationError):  # decided: the cell cannot change it any more
        rate(unit=unit, year=YEAR, step="self", level="excellent", by=cast["bithu1"])


def test_a_save_over_a_newer_one_is_refused_and_changes_nothing(cast: dict[str, User]) -> None:
    unit = met()
    rate(unit=unit, year=YEAR, step="self", level="good", by=cast["bithu1"], version=0)
    with translation.override("en"), pytest.raises(ValidationError, match="meanwhile"):
        rate(unit=unit, year=YEAR, step="self", level="failed", by=cast["bithu1"], version=0)
    assert AnnualRating.objects.get(unit=unit, member=None).self_level == "good"


def test_a_refused_level_writes_nothing(cast: dict[str, User]) -> None:
    member = Member.objects.filter(unit__code="X001.01", status=MemberStatus.OFFICIAL).first()
    assert member is not None
    with pytest.raises(ValidationError):
        rate(
            unit=member.unit,
            member=member,
            year=YEAR,
            step="self",
            level="good",
            disciplined=True,
            by=cast["bithu1"],
        )
    assert not AnnualRating.objects.filter(member=member).exists()
    exempted = Member.objects.filter(unit__code="X001.01").first()
    assert exempted is not None
    Member.objects.filter(pk=exempted.pk).update(status=MemberStatus.EXEMPTED)
    exempted.refresh_from_db()
    with translation.override("en"), pytest.raises(ValidationError, match="not rated"):
        rate(
            unit=exempted.unit, member=exempted, year=YEAR, step="self", level="completed", by=None
        )


def test_the_quota_blocks_when_the_province_says_so(cast: dict[str, User]) -> None:
    unit = cell()
    members = list(Member.objects.filter(unit=unit, status=MemberStatus.OFFICIAL)[:3])
    for member in members:
        for step in ("self", "verify"):
            rate(unit=unit, member=member, year=YEAR, step=step, level="good", by=None)
    root = Unit.objects.get(code="LV")
    ScoringRules.objects.create(unit=root, quota_blocks=True)
    first = members[0]
    # One excellent among three rated well or better is 33 %: refused.
    with translation.override("en"), pytest.raises(ValidationError, match="quota"):
        rate(unit=unit, member=first, year=YEAR, step="verify", level="excellent", by=None)
    ScoringRules.objects.filter(unit=root).update(excellent_quota_percent=34)
    rate(unit=unit, member=first, year=YEAR, step="verify", level="excellent", by=None)


def form(level: str, step: str, version: int = 0, **extra: object) -> dict[str, object]:
    return {"level": level, "step": step, "version": version, "year": YEAR, "note": "", **extra}


def test_the_secretary_assesses_and_the_upper_level_decides_on_the_page(client_for) -> None:
    met()
    url = f"/units/X001.01/classification/cell/?year={YEAR}"
    secretary = client_for("bithu1")
    assert "Hoàn thành tốt nhiệm vụ" in secretary.get(url).content.decode()
    response = secretary.post(url, form("good", "self"))
    assert response.status_code == 302
    # The secretary may not verify or decide: the step is not offered to her.
    response = secretary.post(url, form("excellent", "verify", 1))
    assert response.status_code == 200
    assert "verify" in response.context["form"].errors["step"][0]
    upper = client_for("uyvien1")
    assert upper.post(url, form("good", "verify", 1)).status_code == 302
    assert upper.post(url, form("good", "decide", 2)).status_code == 302
    rating = AnnualRating.objects.get(unit__code="X001.01", member=None, year=YEAR)
    assert rating.decided_level == "good"
    # Decided: the secretary has nothing left to do here.
    assert secretary.post(url, form("excellent", "self", 3)).status_code == 404
    # Another secretary's cell is out of reach.
    assert client_for("bithu2").get(url).status_code == 404


def test_a_member_assesses_herself(client_for, cast: dict[str, User]) -> None:
    member = Member.objects.get(user__username="dangvien1")
    url = f"/classification/members/{member.pk}/?year={YEAR}"
    response = client_for("dangvien1").post(url, form("good", "self", note="Hoàn thành"))
    assert response.status_code == 302
    assert AnnualRating.objects.get(member=member).self_by == cast["dangvien1"]
    # ...but not a colleague.
    other = Member.objects.filter(unit=member.unit).exclude(pk=member.pk).first()
    assert other is not None
    url = f"/classification/members/{other.pk}/?year={YEAR}"
    assert client_for("dangvien1").get(url).status_code == 200
    assert client_for("dangvien1").post(url, form("good", "self")).status_code == 404


def test_the_member_page_shows_the_years_attendance(client_for) -> None:
    member = Member.objects.get(user__username="dangvien1")
    response = client_for("bithu1").get(f"/classification/members/{member.pk}/?year={YEAR}")
    assert response.status_code == 200
    record = response.context["evidence"].record
    assert record.expected >= record.present >= 0


def board_queries(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_the_boards_use_the_same_queries_whatever_the_size(client_for) -> None:
    client = client_for("bantochuc")
    rate(unit=met(), year=YEAR, step="self", level="good", by=None)
    province, _html = board_queries(client, f"/units/LV/classification/?year={YEAR}")
    cell_board, _html = board_queries(client, f"/units/X001.01/classification/?year={YEAR}")
    grow_cell("X001.01", 5)
    parent = Unit.objects.get(code="X002")
    Unit.objects.add_child(
        parent, instance=Unit(code="X002.77", name="Chi bộ thôn Mới", kind=cell("X002.01").kind)
    )
    for member in Member.objects.filter(unit__code="X001.01", status=MemberStatus.OFFICIAL)[:3]:
        rate(unit=member.unit, member=member, year=YEAR, step="self", level="good", by=None)
    assert board_queries(client, f"/units/LV/classification/?year={YEAR}")[0] == province
    after, html = board_queries(client, f"/units/X001.01/classification/?year={YEAR}")
    assert after == cell_board
    assert "Đinh Văn Thêm" in html


def test_the_export_holds_every_cell_and_member_in_reach(client_for) -> None:
    member = Member.objects.get(user__username="dangvien1")
    rate(unit=member.unit, member=member, year=YEAR, step="self", level="good", by=None)
    response = client_for("uyvien1").get(f"/units/X001/classification/export/?year={YEAR}")
    assert response.status_code == 200
    book = python_calamine.CalamineWorkbook.from_filelike(
        io.BytesIO(b"".join(response.streaming_content))
    )
    cells = book.get_sheet_by_index(0).to_python()
    members = book.get_sheet_by_index(1).to_python()
    codes = {row[0] for row in cells[3:]}
    assert "X001.01" in codes
    assert "X002.01" not in codes
    row = next(r for r in members[3:] if r[1] == member.full_name)
    assert row[4] == "Hoàn thành tốt nhiệm vụ"
    assert all(str(r[0]).startswith("X001.") for r in members[3:])


def test_the_notes_of_a_classification_follow_the_discipline_rule(
    cast: dict[str, User], client_for
) -> None:
    """The notes of each step, and of an amendment, are free text in which a discipline or
    an inspection's conclusion may be the reason given: a fellow member who may open the
    classification reads its levels, not its notes, on the page and in the export; the
    cell's leaders and the supervision staff read them all."""
    unit = met()
    fellow = (
        Member.objects.filter(unit=unit, status=MemberStatus.OFFICIAL)
        .exclude(user=cast["dangvien1"])
        .first()
    )
    assert fellow is not None
    steps = (
        ("self", "Kanariatu", "bithu1"),
        ("verify", "Kanariaxacminh", "bantochuc"),
        ("decide", "Kanariaquyetdinh", "uyvien1"),
    )
    for step, note, username in steps:
        rate(
            unit=unit, year=YEAR, member=fellow, step=step, level="completed", note=note,
            by=cast[username],
        )  # fmt: skip
    rate(
        unit=unit, year=YEAR, member=fellow, step="decide", level="completed",
        note="Kanariasua", reason="Đính chính", by=cast["uyvien1"],
    )  # fmt: skip
    notes = {"Kanariatu", "Kanariaxacminh", "Kanariaquyetdinh", "Kanariasua"}

    def read(username: str) -> set[str]:
        client = client_for(username)
        page = client.get(f"/classification/members/{fellow.pk}/?year={YEAR}")
        assert page.status_code == 200
        response = client.get(f"/units/{unit.code}/classification/export/?year={YEAR}")
        book = python_calamine.CalamineWorkbook.from_filelike(
            io.BytesIO(b"".join(response.streaming_content))
        )
        cells = [str(v) for sheet in (0, 1) for row in book.get_sheet_by_index(sheet).to_python()
                 for v in row]  # fmt: skip
        text = page.content.decode() + " ".join(cells)
        return {note for note in notes if note in text}

    assert read("dangvien1") == set()
    for username in ("bithu1", "kiemtra", "uyvien1"):
        # The export gives the latest step's note; the page every step's and amendment's.
        assert read(username) == notes, username
