"""The member registry: records, statuses over time, posts and the search."""

from __future__ import annotations

import datetime
import unicodedata

import pytest
from django.core.exceptions import ValidationError

from chibo.members import services
from chibo.members.models import LeaveReason, Member, MemberStatus, PostEndReason, PostKind
from chibo.orgs.access import has_perm
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm

pytestmark = pytest.mark.django_db

D = datetime.date


def person(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "full_name": "Nguyễn Thị Ánh Tuyết",
        "gender": "female",
        "birth_date": D(1990, 4, 2),
        "admitted_on": D(2015, 5, 19),
        "card_number": "81234567",
        "citizen_id": "068190000123",
    }
    data.update(overrides)
    return data


def cell(code: str = "X001.01") -> Unit:
    unit: Unit = Unit.objects.select_related("kind").get(code=code)
    return unit


def test_a_new_member_gets_an_official_date_status_and_first_period(cast) -> None:
    member = services.create_member(
        unit=cell(), data=person(official_on=D(2016, 5, 19)), by=cast["bithu1"]
    )
    assert member.status == MemberStatus.OFFICIAL
    assert member.given_name == "Tuyết"
    assert member.middle_name == "Thị Ánh"
    period = member.periods.get()
    assert (period.unit, period.started_on, period.ended_on) == (cell(), D(2015, 5, 19), None)
    assert member.history.latest().history_user == cast["bithu1"]


def test_without_an_official_date_a_new_member_is_probationary(cast) -> None:
    member = services.create_member(unit=cell(), data=person(), by=cast["bithu1"])
    assert member.status == MemberStatus.PROBATIONARY
    assert member.official_due_on == D(2016, 5, 19)


def test_nfd_names_are_stored_in_nfc(cast) -> None:
    member = services.create_member(
        unit=cell(), data=person(full_name=unicodedata.normalize("NFD", "Trần Văn Đức")), by=None
    )
    assert member.full_name == unicodedata.normalize("NFC", "Trần Văn Đức")
    assert member.search_name == "tran van duc"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"admitted_on": D(1989, 1, 1)}, "admitted_on"),  # before birth
        ({"admitted_on": D(2007, 1, 1)}, "admitted_on"),  # aged 16
        ({"official_on": D(2014, 1, 1)}, "official_on"),  # before admission
        ({"birth_date": D(2090, 1, 1)}, "birth_date"),
        ({"citizen_id": "12345"}, "citizen_id"),
        ({"citizen_id": "06819000012X"}, "citizen_id"),
    ],
)
def test_inconsistent_records_are_refused(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        services.create_member(unit=cell(), data=person(**overrides), by=None)
    assert field in error.value.message_dict
    assert not Member.objects.filter(card_number="81234567").exists()


def test_card_and_citizen_numbers_are_unique() -> None:
    services.create_member(unit=cell(), data=person(), by=None)
    with pytest.raises(ValidationError):
        services.create_member(unit=cell(), data=person(citizen_id="068190000999"), by=None)
    with pytest.raises(ValidationError):
        services.create_member(unit=cell(), data=person(card_number="8000"), by=None)


def test_members_belong_to_cells_only() -> None:
    with pytest.raises(ValidationError):
        services.create_member(unit=cell("X001"), data=person(), by=None)


def test_the_cell_on_a_date_is_kept_through_transfers(cast) -> None:
    member = services.create_member(unit=cell(), data=person(official_on=D(2016, 5, 19)), by=None)
    services.transfer_member(
        member=member, to_unit=cell("X002.01"), on=D(2026, 3, 1), reason="chuyển nơi ở", by=None
    )
    assert Member.objects.in_unit_on(cell(), D(2026, 2, 28)).filter(pk=member.pk).exists()
    assert not Member.objects.in_unit_on(cell(), D(2026, 3, 1)).filter(pk=member.pk).exists()
    assert Member.objects.in_unit_on(cell("X002.01"), D(2026, 3, 1)).filter(pk=member.pk).exists()
    with pytest.raises(ValidationError):  # a change dated before the present situation began
        services.transfer_member(
            member=member, to_unit=cell(), on=D(2026, 2, 1), reason="", by=None
        )


def test_exemption_and_restoration_are_dated_and_need_a_reason() -> None:
    member = services.create_member(unit=cell(), data=person(official_on=D(2016, 5, 19)), by=None)
    with pytest.raises(ValidationError):
        services.exempt_member(member=member, on=D(2026, 1, 10), reason=" ", decision="", by=None)
    services.exempt_member(
        member=member, on=D(2026, 1, 10), reason="Tuổi cao, sức yếu", decision="NQ 03", by=None
    )
    assert member.status == MemberStatus.EXEMPTED
    services.restore_member(member=member, on=D(2026, 6, 1), by=None)
    assert member.status == MemberStatus.OFFICIAL
    statuses = list(member.periods.order_by("started_on").values_list("status", "ended_on"))
    assert statuses == [
        ("official", D(2026, 1, 10)),
        ("exempted", D(2026, 6, 1)),
        ("official", None),
    ]


def test_temporary_attachment_keeps_the_home_cell(cast) -> None:
    member = services.create_member(unit=cell(), data=person(official_on=D(2016, 5, 19)), by=None)
    services.attach_member(
        member=member, host=cell("X001.02"), on=D(2026, 2, 1), reason="làm việc xa", by=None
    )
    on = D(2026, 2, 15)
    assert Member.objects.in_unit_on(cell(), on).filter(pk=member.pk).exists()
    assert Member.objects.attached_to_unit_on(cell("X001.02"), on).filter(pk=member.pk).exists()
    services.end_attachment(member=member, on=D(2026, 5, 1), by=None)
    assert not Member.objects.attached_to_unit_on(cell("X001.02"), D(2026, 5, 1)).exists()


def test_a_member_who_leaves_drops_off_the_roll_but_keeps_the_past() -> None:
    member = services.create_member(unit=cell(), data=person(official_on=D(2016, 5, 19)), by=None)
    services.record_leaving(
        member=member, on=D(2026, 4, 1), reason=LeaveReason.DECEASED, note="", by=None
    )
    assert member.status == MemberStatus.LEFT
    assert not Member.objects.active().filter(pk=member.pk).exists()
    assert Member.objects.in_unit_on(cell(), D(2026, 3, 31)).filter(pk=member.pk).exists()
    assert not member.periods.filter(ended_on__isnull=True).exists()
    with pytest.raises(ValidationError):
        services.exempt_member(member=member, on=D(2026, 5, 1), reason="x", decision="", by=None)


def test_a_cell_post_grants_its_role_for_its_term(cast) -> None:
    member = Member.objects.get(user=cast["dangvien1"])
    # dangvien1 was admitted on 04/06/2025: official after the 12 months, then eligible.
    roll = services.personnel_roll_on(member.unit, D(2026, 6, 4))
    services.make_official(member=member, on=D(2026, 6, 4), by=None, votes_for=roll)
    cell_ = member.unit
    assert not has_perm(cast["dangvien1"], Perm.MANAGE_MEMBERS, cell_)
    post = services.appoint_post(
        member=member,
        kind=PostKind.DEPUTY_SECRETARY,
        on=D(2026, 8, 1),
        by=None,
        also_village_head=True,
    )
    user = type(cast["dangvien1"]).objects.get(pk=cast["dangvien1"].pk)
    assert has_perm(user, Perm.MANAGE_MEMBERS, cell_)
    other = (
        cell_.members.filter(status=MemberStatus.OFFICIAL)
        .exclude(pk=member.pk)
        .exclude(user__isnull=False)
        .first()
    )
    assert other is not None
    with pytest.raises(ValidationError):  # one deputy at a time
        services.appoint_post(
            member=other, kind=PostKind.DEPUTY_SECRETARY, on=D(2026, 9, 1), by=None
        )
    services.end_post(post=post, on=D(2026, 11, 1), reason=PostEndReason.REMOVED, by=None)
    assert post.grant is not None
    post.grant.refresh_from_db()
    assert post.grant.valid_until == D(2026, 10, 31)
    user = type(cast["dangvien1"]).objects.get(pk=cast["dangvien1"].pk)
    assert not has_perm(user, Perm.MANAGE_MEMBERS, cell_)


def test_search_matches_with_or_without_diacritics_within_reach(cast) -> None:
    services.create_member(unit=cell(), data=person(full_name="Nguyễn Văn Ân"), by=None)
    services.create_member(
        unit=cell("X002.01"),
        data=person(full_name="Nguyễn Văn Ân", card_number="81234568", citizen_id="068190000124"),
        by=None,
    )
    for text in ["nguyen van an", "Nguyễn Văn Ân", unicodedata.normalize("NFD", "nguyễn văn ân")]:
        found = list(Member.objects.visible_to(cast["bithu1"]).search(text))
        assert found[0].full_name == "Nguyễn Văn Ân", text  # the exact name first
        assert {m.unit.code for m in found} == {"X001.01"}
        assert all(m.search_name.startswith("nguyen van an") for m in found)
    assert "Nguyễn Văn Ân" in {m.full_name for m in Member.objects.search("văn ân")}
    assert not Member.objects.search("guyen").exists()  # words match from their start
    exact = Member.objects.visible_to(cast["bantochuc"]).search("nguyen van an")
    assert [m.unit.code for m in exact[:2]] == ["X001.01", "X002.01"]
    assert Member.objects.visible_to(cast["outsider"]).search("nguyen").count() == 0
    assert Member.objects.visible_to(cast["bithu1"]).search("81234567").count() == 1


def test_member_pages_change_records_through_the_actions(client_for, cast) -> None:
    client = client_for("bithu1")
    response = client.post(
        "/units/X001.01/members/new/",
        {
            "full_name": "Lê Thị Mới",
            "gender": "female",
            "birth_date": "1995-01-02",
            "admitted_on": "2020-03-03",
            "card_number": "81230000",
            "religion": "Không",
            "ethnicity": "Kinh",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    member = Member.objects.get(card_number="81230000")
    assert member.status == MemberStatus.PROBATIONARY
    roll = services.personnel_roll_on(member.unit, D(2021, 3, 3))
    response = client.post(
        f"/members/{member.pk}/official/",
        {"on": "2021-03-03", "decision": "QĐ 12-QĐ/ĐU", "votes_for": str(roll)},
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.status == MemberStatus.OFFICIAL
    # A transfer to a cell outside bithu1's reach is refused with a message, not a 404.
    response = client.post(
        f"/members/{member.pk}/transfer/", {"on": "2026-01-01", "to_unit": "X002.01"}
    )
    assert response.status_code == 200
    assert "X002.01" not in Member.objects.filter(pk=member.pk).values_list("unit__code", flat=True)
    response = client.post(
        f"/members/{member.pk}/edit/", {**_form(member), "birth_date": "2019-01-01"}
    )
    assert response.status_code == 200  # too young when admitted
    member.refresh_from_db()
    assert member.birth_date == D(1995, 1, 2)
    html = client.get(f"/members/{member.pk}/").content.decode()
    assert "QĐ 12-QĐ/ĐU" in html


def _form(member: Member) -> dict[str, object]:
    return {
        "full_name": member.full_name,
        "gender": member.gender,
        "birth_date": member.birth_date.isoformat() if member.birth_date else "",
        "admitted_on": member.admitted_on.isoformat() if member.admitted_on else "",
        "official_on": member.official_on.isoformat() if member.official_on else "",
        "card_number": member.card_number or "",
        "ethnicity": member.ethnicity,
        "religion": member.religion,
        "version": member.version,
    }


def test_a_member_transferred_in_starts_on_the_day_of_the_transfer(client_for) -> None:
    data = {**_form_data(), "arrival": "transferred_in", "arrived_on": "2026-02-01"}
    response = client_for("bithu1").post("/units/X001.01/members/new/", data)
    assert response.status_code == 302
    period = Member.objects.get(card_number="81239999").periods.get()
    assert (period.change, period.started_on) == ("transferred_in", D(2026, 2, 1))
    # Without the day, the form says what is missing and writes nothing.
    data = {**_form_data(card_number="81239998"), "arrival": "transferred_in"}
    response = client_for("bithu1").post("/units/X001.01/members/new/", data)
    assert response.status_code == 200
    assert not Member.objects.filter(card_number="81239998").exists()


def _form_data(card_number: str = "81239999") -> dict[str, str]:
    return {
        "full_name": "Võ Văn Chuyển",
        "gender": "male",
        "birth_date": "1980-01-02",
        "admitted_on": "2004-03-03",
        "official_on": "2005-03-03",
        "card_number": card_number,
        "religion": "Không",
        "ethnicity": "Kinh",
    }


def test_the_roster_pages_through_the_members_its_counts_announce(client_for) -> None:
    from tests.factories import grow_cell

    grow_cell("X001.01", 105)
    gone = Member.objects.filter(unit__code="X001.01").first()
    assert gone is not None
    services.record_leaving(
        member=gone, on=D(2026, 4, 1), reason=LeaveReason.DECEASED, note="", by=None
    )
    commune = Unit.objects.get(code="X001")
    in_commune = Member.objects.filter(unit__path__startswith=commune.path)
    client = client_for("uyvien1")
    for query, expected in (("", in_commune.active()), ("?all=1", in_commune)):
        first = client.get(f"/units/X001/members/{query}")
        assert first.context["page"].paginator.count == expected.count() > 100
        separator = "&" if query else "?"
        second = client.get(f"/units/X001/members/{query}{separator}page=2")
        shown = [member.pk for member, _posts in first.context["rows"] + second.context["rows"]]
        assert len(first.context["rows"]) == 100
        assert sorted(shown) == sorted(expected.values_list("pk", flat=True))
    # A search counts its own matches.
    found = client.get("/units/X001/members/?q=Thêm")
    assert (
        found.context["page"].paginator.count
        == in_commune.active().filter(full_name__contains="Thêm").count()
    )


def test_a_card_number_or_citizen_id_already_held_is_refused_on_its_field(client_for) -> None:
    """The two numbers are unique by constraints (no pattern-ops index): the form names the
    field, as it did when they were unique fields, and writes nothing."""
    holder = Member.objects.exclude(card_number=None).exclude(citizen_id=None).first()
    assert holder is not None
    members = Member.objects.count()
    client = client_for("bithu1")
    for field, value in (("card_number", holder.card_number), ("citizen_id", holder.citizen_id)):
        data = {**_form_data(card_number="81239997"), field: value}
        response = client.post("/units/X001.01/members/new/", data)
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert list(errors) == [field], errors
        assert "đã tồn tại" in errors[field][0] or "already exists" in errors[field][0]
    assert Member.objects.count() == members
