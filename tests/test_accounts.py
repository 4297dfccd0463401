"""Accounts from the roster, activation codes, slips, activation and recovery (issue 26)."""

from __future__ import annotations

import datetime
import io
import re

import pytest
import segno
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from chibo.members import accounts, services
from chibo.members.models import (
    AccountEvent,
    AccountEventKind,
    ActivationCode,
    Member,
    Post,
)
from chibo.members.slips import SLIPS_PER_PAGE, Slip, activation_url, slips_for, slips_pdf
from chibo.orgs.models import RoleGrant, Unit
from chibo.orgs.permissions import Role
from tests.qr import qr_codes_by_page

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.9"


def cell(code: str = "X001.01") -> Unit:
    found: Unit = Unit.objects.select_related("kind").get(code=code)
    return found


def without_account(code: str = "X001.01") -> list[Member]:
    return list(Member.objects.active().filter(unit__code=code, user__isnull=True))


def refusal(code: str, address: str = ADDRESS) -> str | None:
    """Why `code` is refused from `address` (the ValidationError's code)."""
    with pytest.raises(ValidationError) as refused:
        accounts.use_activation_code(code=code, address=address)
    return refused.value.code


def test_accounts_for_a_whole_cell_give_each_member_one_account_and_the_member_grant(cast):
    members = without_account()
    assert members
    result = accounts.create_member_accounts(
        members=Member.objects.active().filter(unit__code="X001.01"), by=cast["bithu1"]
    )
    assert {i.member.pk for i in result.created} == {m.pk for m in members}
    for member in Member.objects.filter(pk__in=[m.pk for m in members]).select_related("user"):
        assert member.user is not None
        assert member.user.username == accounts.username_for(member)
        assert not member.user.has_usable_password()
        assert (
            RoleGrant.objects.active()
            .filter(user=member.user, unit__code="X001.01", role=Role.MEMBER)
            .exists()
        )
    # A current post of a member who had no account now grants its role.
    for post in Post.objects.filter(member__in=members, ended_on__isnull=True):
        assert post.grant is not None
        assert post.grant.user_id == post.member.user_id
    assert AccountEvent.objects.filter(kind=AccountEventKind.CREATED).count() == len(members)


def test_the_username_is_the_given_name_the_initials_and_the_member_number():
    member = Member(pk=1234)
    member.set_name("Nguyễn Văn Đức")
    assert accounts.username_for(member) == "ducnv1234"


def test_a_second_run_makes_no_second_account_and_a_transferred_member_keeps_theirs(cast):
    first = accounts.create_member_accounts(members=without_account(), by=None)
    member = first.created[0].member
    user_id = member.user_id
    assert user_id is not None
    again = accounts.create_member_accounts(members=[member], by=None, reissue=False)
    assert again.created == []
    assert again.issued == []
    services.transfer_member(
        member=member, to_unit=cell("X002.01"), on=timezone.localdate(), reason="", by=None
    )
    member.refresh_from_db()
    third = accounts.create_member_accounts(members=[member], by=None, reissue=False)
    assert third.created == []
    assert member.user_id == user_id
    assert User.objects.filter(member=member).count() == 1
    assert (
        RoleGrant.objects.active()
        .filter(user_id=user_id, unit__code="X002.01", role=Role.MEMBER)
        .exists()
    )


def test_codes_are_stored_only_as_a_keyed_hash(cast):
    issued = accounts.create_member_accounts(members=without_account(), by=None).created[0]
    row = ActivationCode.objects.get(member=issued.member)
    assert issued.code not in row.digest
    assert row.digest == accounts.code_digest(issued.code)
    assert row.expires_at - row.issued_at == datetime.timedelta(days=14)


def test_a_code_serves_once(cast):
    issued = accounts.create_member_accounts(members=without_account(), by=None).created[0]
    user = accounts.use_activation_code(code=issued.printed.lower(), address=ADDRESS)
    assert user.pk == issued.member.user_id
    assert refusal(issued.code) == "used"


def test_an_expired_code_is_refused_with_its_date(cast):
    issued = accounts.create_member_accounts(members=without_account(), by=None).created[0]
    ActivationCode.objects.filter(member=issued.member).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert refusal(issued.code) == "expired"
    # The member reads why, with the day it ended.
    response = Client().post(reverse("activate"), {"code": issued.printed})
    day = timezone.localtime(timezone.now() - datetime.timedelta(minutes=1))
    assert day.strftime("%d/%m/%Y") in response.content.decode()


def test_a_guessed_code_is_refused(cast):
    accounts.create_member_accounts(members=without_account(), by=None)
    assert refusal("ABCDE-FGHJK") == "unknown"
    assert refusal("short") == "unknown"


def test_a_reissued_code_replaces_the_earlier_one_and_says_who_issued_it(cast):
    first = accounts.create_member_accounts(members=without_account(), by=None).created[0]
    new = accounts.create_member_accounts(members=[first.member], by=cast["bithu1"]).reissued[0]
    assert refusal(first.code) == "withdrawn"
    row = accounts.find_activation_code(code=new.code, address=ADDRESS)
    assert row.issued_by == cast["bithu1"]
    assert AccountEvent.objects.filter(
        member=first.member, kind=AccountEventKind.CODE_ISSUED, by=cast["bithu1"]
    ).exists()


@override_settings(ACTIVATION_FAILURE_LIMIT=3)
def test_wrong_codes_are_rate_limited_per_address_even_the_right_one_after(cast):
    issued = accounts.create_member_accounts(members=without_account(), by=None).created[0]
    for _i in range(3):
        assert refusal("ZZZZZ-ZZZZZ") == "unknown"
    assert refusal(issued.code) == "rate_limited"
    # Another address is not held back.
    assert accounts.use_activation_code(code=issued.code, address="198.51.100.1")


def test_the_activation_page_takes_the_code_then_a_password(cast):
    issued = accounts.create_member_accounts(members=without_account(), by=None).created[0]
    client = Client()
    page = client.get(reverse("activate"), {"code": issued.printed})
    assert issued.printed in page.content.decode()
    response = client.post(reverse("activate"), {"code": issued.printed})
    assert response.status_code == 302
    assert response["Location"] == reverse("activate_setup")
    setup = client.get(reverse("activate_setup"))
    assert "passkey-register-button" in setup.content.decode()
    done = client.post(
        reverse("activate_setup"),
        {"new_password1": "Ruộng-lúa-chín-2026", "new_password2": "Ruộng-lúa-chín-2026"},
    )
    assert done.status_code == 302
    member = Member.objects.select_related("user").get(pk=issued.member.pk)
    assert member.user is not None
    assert member.account_events.filter(kind=AccountEventKind.ACTIVATED).exists()
    login = Client().post(
        reverse("login"), {"username": member.user.username, "password": "Ruộng-lúa-chín-2026"}
    )
    assert login.status_code == 302


def test_a_refused_code_on_the_page_says_why_and_logs_nobody_in(cast):
    client = Client()
    response = client.post(reverse("activate"), {"code": "ABCDE-FGHJK"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_the_slips_pdf_has_eight_slips_a_page_whose_qr_codes_hold_the_activation_url(cast):
    from weasyprint import HTML

    from chibo.members.slips import render_slips_html

    members = list(
        Member.objects.active().filter(unit__code__startswith="X00", user__isnull=True)[:9]
    )
    result = accounts.create_member_accounts(members=members, by=None)
    slips = slips_for(result.issued, site="https://chibo.example/")
    assert len(slips) == 9
    document = HTML(string=render_slips_html(slips)).render()
    assert len(document.pages) == 2
    per_page = [len(re.findall(r"<svg", html)) for html in _page_svgs(slips)]
    assert per_page == [8, 1]
    for slip in slips:
        assert slip.url == activation_url("https://chibo.example", slip.code)
        assert slip.url.endswith(f"/accounts/activate/?code={slip.code}")
        # The QR code drawn holds that very address: segno's matrix of it, module for module.
        assert slip.qr_svg == segno.make(slip.url, error="m").svg_inline(scale=3, omitsize=False)
        assert segno.make(slip.url, error="m").matrix == slip.qr_matrix()
    pdf = slips_pdf(slips)
    assert pdf.startswith(b"%PDF")
    assert SLIPS_PER_PAGE == 8
    # Read as a phone's camera reads them: every QR code of the PDF decodes to its slip's
    # activation address, eight on the first page.
    decoded = qr_codes_by_page(pdf)
    assert [len(page) for page in decoded] == [8, 1]
    assert sorted(url for page in decoded for url in page) == sorted(s.url for s in slips)


def _page_svgs(slips: list[Slip]) -> list[str]:
    from chibo.members.slips import render_slips_html

    html = render_slips_html(slips)
    return html.split('class="page"')[1:]


def test_revoking_removes_passkeys_and_ends_every_session(cast, client_for):
    member = Member.objects.get(user=cast["dangvien1"])
    client = client_for("dangvien1")
    assert client.get(reverse("portal:home")).status_code == 200
    removed = accounts.revoke_member_access(member=member, by=cast["bithu1"])
    assert removed == 0
    assert client.get(reverse("portal:home")).status_code == 302
    assert (
        AccountEvent.objects.get(member=member, kind=AccountEventKind.REVOKED).by == cast["bithu1"]
    )


def test_the_accounts_page_creates_accounts_and_answers_the_slips(cast, client_for):
    members = without_account()
    client = client_for("bithu1")
    response = client.post(
        reverse("members:account_codes", args=["X001.01"]),
        {"everyone": "1", "delivery": "slips"},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert Member.objects.filter(pk__in=[m.pk for m in members], user__isnull=True).count() == 0
    page = client.get(reverse("members:accounts", args=["X001.01"]))
    rows = page.context["rows"]
    on_roll = Member.objects.active().filter(unit__code="X001.01")
    signed_in = on_roll.filter(accounts.can_sign_in()).count()
    assert f"{signed_in} / {on_roll.count()}" in page.content.decode()
    assert page.context["counts"]["pending"] == len(members)
    assert page.context["counts"]["none"] == 0
    assert len(rows) == on_roll.count()


def test_codes_can_be_sent_by_text_message(cast, client_for):
    from chibo.lib.sms import MemoryBackend

    MemoryBackend.outbox.clear()
    member = without_account()[0]
    Member.objects.filter(pk=member.pk).update(phone="0912345678")
    with override_settings(SMS_BACKEND="chibo.lib.sms.MemoryBackend"):
        response = client_for("bithu1").post(
            reverse("members:account_codes", args=["X001.01"]),
            {"members": [member.pk], "delivery": "send"},
        )
    assert response.status_code == 302
    assert [to for to, _text in MemoryBackend.outbox] == ["0912345678"]
    assert "/accounts/activate/?code=" in MemoryBackend.outbox[0][1]


def test_the_command_creates_accounts_and_a_dry_run_changes_nothing(cast):
    before = User.objects.count()
    out = io.StringIO()
    call_command("accounts", "create", unit="X001.01", dry_run=True, stdout=out)
    assert User.objects.count() == before
    assert "Would create" in out.getvalue()
    out = io.StringIO()
    call_command("accounts", "create", unit="X001.01", username="bithu1", stdout=out)
    assert User.objects.count() == before + len(re.findall(r"\t\w{5}-\w{5}\t", out.getvalue()))
    assert without_account() == []


def test_the_command_acts_only_within_the_users_reach(cast):
    with pytest.raises(CommandError):
        call_command("accounts", "create", unit="X001.01", username="bithu2", stdout=io.StringIO())


def test_the_accounts_page_makes_the_same_number_of_queries_however_many_members(cast, client_for):
    client = client_for("bithu1")
    url = reverse("members:accounts", args=["X001.01"])
    accounts.create_member_accounts(members=without_account()[:1], by=None)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    accounts.create_member_accounts(members=without_account(), by=None)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_the_dashboard_counts_the_share_of_members_who_can_sign_in_per_unit(cast):
    from chibo.reports import figures
    from chibo.reports.periods import parse

    result = accounts.create_member_accounts(members=without_account(), by=None)
    user = result.created[0].member.user
    assert user is not None
    accounts.set_account_password(user=user, password="Ruộng-lúa-chín-2026")
    on_roll = Member.objects.active().filter(unit__code="X001.01")
    signed_in = on_roll.filter(accounts.can_sign_in()).count()
    board = figures.build(cast["bantochuc"], Unit.objects.get(code="X001"), parse("2026"))
    cell_name = Unit.objects.get(code="X001.01").name
    assert (cell_name, on_roll.count(), signed_in) in board.accounts_by_child
    # The members with an account from the seed (a password) and the one just activated.
    assert signed_in == on_roll.filter(user__isnull=False).count() - len(result.created) + 1
    # A revocation takes the account out of the count.
    accounts.revoke_member_access(member=result.created[0].member, by=None)
    assert on_roll.filter(accounts.can_sign_in()).count() == signed_in - 1


def test_a_member_who_can_already_sign_in_gets_no_new_code(cast):
    member = Member.objects.get(user=cast["dangvien1"])
    result = accounts.create_member_accounts(members=[member], by=cast["bithu1"])
    assert result.issued == []
    assert ActivationCode.objects.filter(member=member).count() == 0
