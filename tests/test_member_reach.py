"""What a member record tells whom (issue 21: H1, M1, H3): an import names no member outside
the importer's reach, personal fields follow one rule on pages and exports, and access ends
with the membership or post that gave it."""

from __future__ import annotations

import datetime
import io
from pathlib import Path
from typing import Any

import pytest
import python_calamine
from django.core.management import CommandError, call_command
from django.utils import timezone

from chibo.meetings import services as meeting_services
from chibo.meetings.models import MeetingKind
from chibo.members import services
from chibo.members.access import PERSONAL_FIELDS, hidden_fields, sees_personal_fields
from chibo.members.models import LeaveReason, Member, RosterImport
from chibo.orgs.models import RoleGrant, Unit
from chibo.orgs.permissions import Role
from tests.factories import roster_row as row
from tests.factories import roster_xlsx as xlsx

pytestmark = pytest.mark.django_db

OUTSIDE = "số này đã được đăng ký ngoài phạm vi của bạn"


def _foreign() -> Member:
    """A member of X002.01, outside bithu1's reach, with both numbers."""
    member = (
        Member.objects.filter(
            unit__code="X002.01", card_number__isnull=False, citizen_id__isnull=False
        )
        .select_related("unit")
        .first()
    )
    assert member is not None
    return member


def _own() -> Member:
    member = (
        Member.objects.filter(unit__code="X001.01", card_number__isnull=False, user__isnull=True)
        .select_related("unit")
        .first()
    )
    assert member is not None
    return member


def _probe_rows(foreign: Member) -> list[list[Any]]:
    """A card number and a citizen ID number registered outside the importer's reach."""
    return [
        row(1, **{"Số thẻ đảng viên": foreign.card_number}),
        row(2, **{"Số CCCD": foreign.citizen_id}),
    ]


def _assert_tells_nothing(messages: list[str], foreign: Member) -> None:
    text = "\n".join(messages)
    assert text.count(OUTSIDE) == 2, text
    assert foreign.full_name not in text
    assert foreign.unit.code not in text
    assert foreign.unit.name not in text


def test_the_web_import_names_no_member_outside_the_importers_reach(
    client_for, tmp_path: Path, django_capture_on_commit_callbacks
) -> None:
    foreign = _foreign()
    path = xlsx(tmp_path / "probe.xlsx", _probe_rows(foreign))
    client = client_for("bithu1")
    for update in (False, True):
        data: dict[str, Any] = {"update": "on"} if update else {}
        with django_capture_on_commit_callbacks(execute=True), path.open("rb") as upload:
            response = client.post("/units/X001.01/members/import/", {"file": upload, **data})
        job = RosterImport.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])
        assert job.state == "rejected"
        _assert_tells_nothing(job.summary["errors"], foreign)
        page = client.get(response["Location"]).content.decode()
        assert foreign.full_name not in page


@pytest.mark.parametrize("update", [False, True])
def test_the_import_command_as_a_secretary_names_no_member_outside_reach(
    tmp_path: Path, update: bool
) -> None:
    foreign = _foreign()
    path = xlsx(tmp_path / "probe.xlsx", _probe_rows(foreign))
    err = io.StringIO()
    args = ["--update"] if update else []
    with pytest.raises(CommandError):
        call_command(
            "import_members", str(path), "--unit", "X001.01", "--as", "bithu1", *args, stderr=err
        )
    _assert_tells_nothing(err.getvalue().splitlines(), foreign)


def test_inside_the_importers_reach_the_message_still_names_the_member(tmp_path: Path) -> None:
    own = _own()
    path = xlsx(tmp_path / "own.xlsx", [row(1, **{"Số thẻ đảng viên": own.card_number})])
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_members", str(path), "--unit", "X001.01", "--as", "bithu1", stderr=err)
    assert own.full_name in err.getvalue()
    # The operator of the machine (no --as) reaches everyone.
    foreign = _foreign()
    path = xlsx(tmp_path / "op.xlsx", _probe_rows(foreign))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_members", str(path), "--unit", "X001.01", stderr=err)
    assert foreign.full_name in err.getvalue()


# --- M1: personal fields -------------------------------------------------------------------


def _sheet(data: bytes) -> list[list[Any]]:
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    rows: list[list[Any]] = book.get_sheet_by_index(0).to_python()
    header = next(i for i, r in enumerate(rows) if r and r[0] == "Họ và tên")
    return [rows[header], *rows[header + 1 :]]


def _personal_columns(rows: list[list[Any]]) -> dict[str, tuple[str, str]]:
    """Full name → (citizen ID, phone) as the file shows them."""
    header = rows[0]
    cid, phone = header.index("Số CCCD"), header.index("Điện thoại")
    return {r[0]: (str(r[cid] or ""), str(r[phone] or "")) for r in rows[1:]}


def test_the_roster_export_hides_personal_fields_from_an_ordinary_member(client_for, cast) -> None:
    response = client_for("dangvien1").get("/units/X001.01/members/export.xlsx")
    assert response.status_code == 200
    shown = _personal_columns(_sheet(b"".join(response.streaming_content)))
    me = Member.objects.get(user=cast["dangvien1"])
    others = Member.objects.active().filter(unit__code="X001.01").exclude(pk=me.pk)
    assert len(shown) == others.count() + 1
    assert all(shown[m.full_name] == ("", "") for m in others)
    assert shown[me.full_name] == (me.citizen_id or "", me.phone)  # their own record
    assert any(m.citizen_id for m in others)


def test_the_roster_export_shows_personal_fields_to_the_secretary(client_for) -> None:
    response = client_for("bithu1").get("/units/X001.01/members/export.xlsx")
    shown = _personal_columns(_sheet(b"".join(response.streaming_content)))
    for member in Member.objects.active().filter(unit__code="X001.01"):
        assert shown[member.full_name] == (member.citizen_id or "", member.phone)


def test_the_export_command_as_a_user_follows_the_same_rule(tmp_path: Path, cast) -> None:
    for username, sees in (("dangvien1", False), ("bithu1", True)):
        path = tmp_path / f"{username}.xlsx"
        call_command(
            "export_members", "--unit", "X001.01", "-o", str(path), "--as", username,
            stdout=io.StringIO(),
        )  # fmt: skip
        shown = _personal_columns(_sheet(path.read_bytes()))
        other = Member.objects.active().filter(unit__code="X001.01", user__isnull=True).first()
        assert other is not None
        assert (shown[other.full_name] == (other.citizen_id or "", other.phone)) is sees


def test_the_member_page_history_and_search_hide_what_the_rule_hides(client_for, cast) -> None:
    other = _own()
    # The history shows changes: two of them, so that the phone appears as old and new.
    services.update_member(member=other, data={"phone": "0911222000"}, by=None)
    services.update_member(member=other, data={"phone": "0911222333"}, by=None)
    assert other.citizen_id
    member_client, secretary = client_for("dangvien1"), client_for("bithu1")
    for path in (f"/members/{other.pk}/", f"/members/{other.pk}/history/"):
        assert "0911222333" not in member_client.get(path).content.decode()
        assert "0911222333" in secretary.get(path).content.decode()
    assert other.citizen_id not in member_client.get(f"/members/{other.pk}/").content.decode()
    # Finding a member by a guessed citizen ID number is finding out whose it is.
    for path in ("/members/search/", "/units/X001.01/members/"):
        found = member_client.get(path, {"q": other.citizen_id}).content.decode()
        assert other.full_name not in found, path
        assert other.full_name in secretary.get(path, {"q": other.citizen_id}).content.decode()
    me = Member.objects.get(user=cast["dangvien1"])
    assert me.citizen_id
    found = member_client.get("/members/search/", {"q": me.citizen_id}).content.decode()
    assert me.full_name in found


def test_the_field_rule_is_one_function(cast) -> None:
    other = _own()
    assert not sees_personal_fields(cast["dangvien1"], other)
    assert hidden_fields(cast["dangvien1"], other) == PERSONAL_FIELDS
    assert sees_personal_fields(cast["bithu1"], other)
    assert sees_personal_fields(cast["bantochuc"], other)  # keeps the province's records
    assert not sees_personal_fields(cast["uyvien1"], other)  # reads, does not keep them
    assert sees_personal_fields(None, other)  # the machine's operator


# --- H3: access ends with the membership -----------------------------------------------------


def _cell_pages(code: str) -> list[str]:
    """The cell's roster, its export, a meeting and its minutes."""
    meeting = meeting_services.plan_meeting(
        unit=Unit.objects.select_related("kind").get(code=code),
        kind=MeetingKind.REGULAR,
        scheduled_at=datetime.datetime(2026, 3, 5, 12, 0, tzinfo=datetime.UTC),
        place="Nhà văn hóa",
        by=None,
    )
    return [
        f"/units/{code}/members/",
        f"/units/{code}/members/export.xlsx",
        f"/meetings/{meeting.pk}/",
        f"/meetings/{meeting.pk}/minutes.docx",
    ]


def _status(client: Any, path: str) -> int:
    return int(client.get(path).status_code)


@pytest.mark.parametrize("reason", list(LeaveReason))
def test_leaving_ends_the_member_and_post_grants_the_same_day(
    client_for, cast, reason: LeaveReason
) -> None:
    # bithu1 holds the member grant of X001.01 and the secretary grant of the post.
    member = Member.objects.select_related("unit").get(user=cast["bithu1"])
    roles = set(
        RoleGrant.objects.active().filter(user=cast["bithu1"]).values_list("role", flat=True)
    )
    assert roles == {Role.MEMBER, Role.SECRETARY}
    client = client_for("bithu1")
    pages = _cell_pages("X001.01")
    assert [_status(client, p) for p in pages] == [200] * len(pages)
    today = timezone.localdate()
    services.record_leaving(member=member, on=today, reason=reason, note="", by=cast["bantochuc"])
    assert not RoleGrant.objects.active(today).filter(user=cast["bithu1"]).exists()
    assert (
        RoleGrant.objects.active(today - datetime.timedelta(days=1))
        .filter(user=cast["bithu1"])
        .count()
        == 2
    )  # up to the day before: the history of what they did stays true
    assert [_status(client, p) for p in pages] == [404] * len(pages)


def test_leaving_ends_every_role_of_the_person_in_the_province(cast) -> None:
    # uyvien1 is a member of an agency cell and an upper-level committee member.
    member = Member.objects.select_related("unit").get(user=cast["uyvien1"])
    today = timezone.localdate()
    services.record_leaving(
        member=member, on=today, reason=LeaveReason.EXPELLED, note="", by=cast["bantochuc"]
    )
    assert not RoleGrant.objects.active(today).filter(user=cast["uyvien1"]).exists()


def test_a_transfer_between_cells_moves_the_member_grant(client_for, cast) -> None:
    member = Member.objects.select_related("unit").get(user=cast["dangvien1"])
    new_cell = Unit.objects.select_related("kind").get(code="X001.02")
    client = client_for("dangvien1")
    old_pages, new_pages = _cell_pages("X001.01"), _cell_pages("X001.02")
    assert [_status(client, p) for p in old_pages] == [200] * len(old_pages)
    assert [_status(client, p) for p in new_pages] == [404] * len(new_pages)
    today = timezone.localdate()
    services.transfer_member(member=member, to_unit=new_cell, on=today, reason="", by=None)
    grants = RoleGrant.objects.active(today).filter(user=cast["dangvien1"])
    assert list(grants.values_list("role", "unit__code")) == [(Role.MEMBER, "X001.02")]
    assert [_status(client, p) for p in old_pages] == [404] * len(old_pages)
    assert [_status(client, p) for p in new_pages] == [200] * len(new_pages)


def test_a_transfer_ends_the_post_and_its_grant_in_the_old_cell(cast) -> None:
    member = Member.objects.select_related("unit").get(user=cast["bithu1"])
    today = timezone.localdate()
    services.transfer_member(
        member=member,
        to_unit=Unit.objects.select_related("kind").get(code="X001.02"),
        on=today,
        reason="",
        by=None,
    )
    assert not member.posts.filter(ended_on__isnull=True).exists()
    grants = RoleGrant.objects.active(today).filter(user=cast["bithu1"])
    assert list(grants.values_list("role", "unit__code")) == [(Role.MEMBER, "X001.02")]


def test_a_future_leaving_keeps_access_until_the_day_before(cast) -> None:
    member = Member.objects.select_related("unit").get(user=cast["dangvien1"])
    on = timezone.localdate() + datetime.timedelta(days=10)
    services.record_leaving(member=member, on=on, reason=LeaveReason.DECEASED, note="", by=None)
    assert RoleGrant.objects.active().filter(user=cast["dangvien1"]).exists()
    assert not RoleGrant.objects.active(on).filter(user=cast["dangvien1"]).exists()


def test_a_member_who_left_gets_no_cell_meetings_in_their_calendar(cast) -> None:
    from django.test import Client

    from chibo.meetings.models import CalendarFeed

    feed, _created = CalendarFeed.objects.get_or_create(user=cast["dangvien1"])
    meeting = meeting_services.plan_meeting(
        unit=Unit.objects.select_related("kind").get(code="X001.01"),
        kind=MeetingKind.REGULAR,
        scheduled_at=timezone.now() + datetime.timedelta(days=7),
        place="Nhà văn hóa",
        by=None,
    )
    uid = f"meeting-{meeting.pk}@chibo"
    url = f"/calendar/{feed.token}/me.ics"
    assert uid in Client().get(url).content.decode()
    member = Member.objects.get(user=cast["dangvien1"])
    services.record_leaving(
        member=member, on=timezone.localdate(), reason=LeaveReason.EXPELLED, note="", by=None
    )
    assert uid not in Client().get(url).content.decode()
