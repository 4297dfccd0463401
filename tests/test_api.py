"""The integration API (/api/v1/): tokens, the access of the token's user, errors, the
changes feed, the national export, and the contract tests (schemathesis) as three users."""

from __future__ import annotations

import datetime
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.contrib.auth.models import User
from django.core import signals
from django.core.management import CommandError, call_command
from django.db import close_old_connections
from django.test import Client
from django.test.utils import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from chibo.api.models import ApiToken
from chibo.api.tokens import create_token, find_token, revoke_token
from chibo.meetings.models import Meeting, MeetingState
from chibo.members.models import Member
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm


def bearer(user: User, **kw: Any) -> dict[str, str]:
    _token, text = create_token(user=user, name="test", **kw)
    return {"Authorization": f"Bearer {text}"}


def get(path: str, headers: dict[str, str], **extra: Any) -> Any:
    return Client().get(f"/api/v1{path}", headers=headers, **extra)


# --- Tokens --------------------------------------------------------------------------------


def test_command_prints_a_token_once_and_stores_its_digest(cast) -> None:
    out = io.StringIO()
    call_command("api_token", "create", "--user", "bithu1", stdout=out)
    text = out.getvalue().strip()
    assert text.startswith("chibo_")
    token = ApiToken.objects.get(user__username="bithu1")
    secret = text[len("chibo_") + 9 :]
    assert len(secret) > 40
    assert secret not in token.digest
    assert len(token.digest) == 64
    assert find_token(text) == token
    listing = io.StringIO()
    call_command("api_token", "list", "--user", "bithu1", stdout=listing)
    assert f"chibo_{token.prefix}_…" in listing.getvalue()
    assert text not in listing.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nobody"], "No user is called"),
        (["--user", "bithu1", "--expires", "2026-13-01"], "--expires"),
        (["--user", "bithu1", "--expires", "2000-01-01"], "^--expires: "),
    ],
)
def test_command_refuses_bad_input(cast, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("api_token", "create", *args, stdout=io.StringIO())
    assert not ApiToken.objects.exists()


def test_the_done_when_of_the_issue(cast) -> None:
    """bithu1's token: another commune's cell is 404, their own cell's meetings listed."""
    _meeting("X001.01")
    _meeting("X001.01", started=False)
    _meeting("X002.01")
    out = io.StringIO()
    call_command("api_token", "create", "--user", "bithu1", stdout=out)
    headers = {"Authorization": f"Bearer {out.getvalue().strip()}"}
    assert get("/meetings/?unit=X002.01", headers).status_code == 404
    year = timezone.localdate().year
    response = get(f"/meetings/?unit=X001.01&period={year}", headers)
    assert response.status_code == 200
    listed = response.json()
    expected = Meeting.objects.filter(unit__code="X001.01", month__year=year).count()
    assert listed["count"] == expected > 0
    assert {m["unit"] for m in listed["items"]} == {"X001.01"}


def test_expired_revoked_and_wrong_tokens_get_401(cast) -> None:
    user = cast["bithu1"]
    token, text = create_token(user=user, name="t")
    assert get("/units/", {"Authorization": f"Bearer {text}"}).status_code == 200
    for bad in [text + "x", "chibo_00000000_abc", "garbage", text.replace("chibo_", "")]:
        response = get("/units/", {"Authorization": f"Bearer {bad}"})
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"
    revoke_token(token=token)
    assert get("/units/", {"Authorization": f"Bearer {text}"}).status_code == 401
    old, old_text = create_token(user=user, name="t", expires_on=timezone.localdate())
    ApiToken.objects.filter(pk=old.pk).update(
        expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert get("/units/", {"Authorization": f"Bearer {old_text}"}).status_code == 401
    assert get("/units/", {}).status_code == 401


def test_a_token_has_its_users_grants_of_today(cast) -> None:
    """A grant that ended yesterday gives nothing to the token, whatever it gave before."""
    from chibo.orgs.models import RoleGrant

    headers = bearer(cast["bithu1"])
    assert get("/units/X001.01/", headers).status_code == 200
    RoleGrant.objects.filter(user=cast["bithu1"]).update(
        valid_until=timezone.localdate() - datetime.timedelta(days=1)
    )
    assert get("/units/X001.01/", headers).status_code == 404


def test_a_read_only_token_cannot_write(cast) -> None:
    meeting = _meeting()
    headers = bearer(cast["bithu1"], read_only=True)
    response = Client().put(
        f"/api/v1/meetings/{meeting.pk}/attendance/",
        data=json.dumps({"version": meeting.version, "entries": []}),
        content_type="application/json",
        headers=headers,
    )
    assert response.status_code == 401
    assert get(f"/meetings/{meeting.pk}/", headers).status_code == 200


@override_settings(CHIBO_API_RATE="3/m")
def test_rate_limited_per_token(cast) -> None:
    headers = bearer(cast["bithu1"])
    codes = [get("/units/", headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = get("/units/", headers)
    assert response.json()["code"] == "rate_limited"
    assert int(response["Retry-After"]) > 0
    # Another token of the same user has its own budget.
    assert get("/units/", bearer(cast["bithu1"])).status_code == 200


def test_token_page_creates_shows_once_and_revokes(client_for, cast) -> None:
    client = client_for("bithu1")
    response = client.post("/accounts/api-tokens/", {"name": "Sổ tay", "read_only": "on"})
    assert response.status_code == 200
    text = response.context["created"]
    assert text.startswith("chibo_")
    assert text in response.content.decode()
    assert (
        response["Cache-Control"].startswith("private") or "no-store" in response["Cache-Control"]
    )
    page = client.get("/accounts/api-tokens/").content.decode()
    assert text not in page
    assert "Sổ tay" in page
    token = ApiToken.objects.get(user=cast["bithu1"])
    assert client_for("bithu2").post(f"/accounts/api-tokens/{token.pk}/revoke/").status_code == 404
    client.post(f"/accounts/api-tokens/{token.pk}/revoke/")
    assert find_token(text) is None
    bad = client.post("/accounts/api-tokens/", {"name": "", "expires_on": "2000-01-01"})
    assert bad.status_code == 200
    assert ApiToken.objects.count() == 1


# --- Access and field rules --------------------------------------------------------------


def test_personal_fields_only_for_record_keepers(cast) -> None:
    member = Member.objects.filter(unit__code="X001.01").exclude(citizen_id="").first()
    assert member is not None
    as_member = get(f"/members/{member.pk}/", bearer(cast["dangvien1"])).json()
    as_secretary = get(f"/members/{member.pk}/", bearer(cast["bithu1"])).json()
    assert as_member["citizen_id"] is None
    assert as_member["phone"] is None
    assert as_secretary["citizen_id"] == member.citizen_id
    own = Member.objects.get(user=cast["dangvien1"]).pk
    listed = [
        m
        for m in get("/members/?unit=X001.01&limit=500", bearer(cast["dangvien1"])).json()["items"]
        if m["id"] != own
    ]
    assert listed
    assert all(m["citizen_id"] is None for m in listed)
    exported = get("/members-export/?unit=X001.01", bearer(cast["dangvien1"])).json()["members"]
    others = [m for m in exported if m["ho_va_ten"] != Member.objects.get(pk=own).full_name]
    assert others
    assert all(m["so_dinh_danh"] is None for m in others)


def test_units_tree_root_and_depth(cast) -> None:
    headers = bearer(cast["bantochuc"])
    top = get("/units/?depth=0", headers).json()["items"]
    assert [u["code"] for u in top] == ["LV"]
    below = get("/units/?root=X001&depth=1", headers).json()["items"]
    codes = [u["code"] for u in below]
    assert codes[0] == "X001"
    assert all(c.startswith("X001") for c in codes)
    assert len(codes) > 1
    assert {u["parent"] for u in below[1:]} == {"X001"}
    assert get("/units/?root=X002", bearer(cast["bithu1"])).status_code == 404
    assert get("/units/?depth=11", headers).status_code == 422


def test_minutes_text_only_once_approved(cast) -> None:
    headers = bearer(cast["bithu1"])
    approved = _meeting(approved=True)
    planned = _meeting(started=False)
    assert approved is not None
    assert planned is not None
    body = get(f"/meetings/{approved.pk}/", headers).json()
    assert body["resolution"] == approved.resolution
    assert body["vote"]["denominator"] >= 0
    body = get(f"/meetings/{planned.pk}/", headers).json()
    assert body["resolution"] is None
    assert body["vote"] is None


# --- Writes, errors and history ------------------------------------------------------------


def _meeting(code: str = "X001.01", *, started: bool = True, approved: bool = False) -> Meeting:
    """A meeting of the cell `code`, planned through the service; moved to an hour ago
    (`started`), or stored as approved minutes (`approved`)."""
    from chibo.meetings.services import plan_meeting

    meeting = plan_meeting(
        unit=Unit.objects.select_related("kind").get(code=code),
        kind="regular",
        scheduled_at=timezone.now() + datetime.timedelta(days=3),
        place="Hội trường thôn",
        by=None,
    )
    changes: dict[str, Any] = {}
    if started or approved:
        changes["scheduled_at"] = timezone.now() - datetime.timedelta(hours=1)
    if approved:
        changes |= {"state": MeetingState.APPROVED, "resolution": "Nghị quyết tháng",
                    "votes_for": 1, "approved_at": timezone.now()}  # fmt: skip
    Meeting.objects.filter(pk=meeting.pk).update(**changes)
    meeting.refresh_from_db()
    return meeting


_open_meeting = _meeting


def test_attendance_written_through_the_api_is_marked_in_history(cast) -> None:
    from chibo.meetings.services import attendance_roster

    meeting = _open_meeting()
    members = [m for m, _row in attendance_roster(meeting)]
    entries = [{"member": m.pk, "status": "present", "reason": ""} for m in members]
    headers = bearer(cast["bithu1"])
    put = Client().put(
        f"/api/v1/meetings/{meeting.pk}/attendance/",
        data=json.dumps({"version": meeting.version, "entries": entries}),
        content_type="application/json",
        headers=headers,
    )
    assert put.status_code == 200, put.content
    assert {a["status"] for a in put.json()["attendance"]} == {"present"}
    rows = meeting.attendance.model.history.filter(meeting_id=meeting.pk)
    assert rows.exists()
    assert all(r.history_user_id == cast["bithu1"].pk for r in rows)
    assert all(r.history_change_reason == "API" for r in rows)
    # The same version again: someone (we) saved since, so 409 and nothing changes.
    again = Client().put(
        f"/api/v1/meetings/{meeting.pk}/attendance/",
        data=json.dumps({"version": meeting.version, "entries": entries}),
        content_type="application/json",
        headers=headers,
    )
    assert again.status_code == 409
    assert again.json()["code"] == "stale"


@pytest.mark.parametrize(("language", "word"), [("en", "not valid"), ("vi", "không hợp lệ")])
def test_one_error_shape_in_the_language_asked(cast, language: str, word: str) -> None:
    meeting = _open_meeting()
    response = Client().put(
        f"/api/v1/meetings/{meeting.pk}/attendance/",
        data=json.dumps({"version": meeting.version, "entries": [{"member": 1, "status": "x"}]}),
        content_type="application/json",
        headers={**bearer(cast["bithu1"]), "Accept-Language": language},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid"
    assert word in body["message"]
    assert body["field"].endswith("status")
    assert response["Content-Language"] == language


@pytest.mark.parametrize(
    "query",
    [
        "unit=X001.01&period=0001-01-01..9999-12-31",
        "unit=X001.01&period=abc",
        "unit=X001.01&limit=100000",
        "unit=X001.01&offset=-1",
    ],
)
def test_bad_queries_are_422_never_500(cast, query: str) -> None:
    response = get(f"/meetings/?{query}", bearer(cast["bithu1"]))
    assert response.status_code == 422
    assert set(response.json()) >= {"code", "message"}


# --- Changes feed ----------------------------------------------------------------------------


def test_changes_feed_pages_through_everything_in_scope(cast) -> None:
    _meeting("X001.01")
    _meeting("X002.01")
    headers = bearer(cast["bithu1"])
    seen: list[dict[str, Any]] = []
    since = ""
    for _page in range(200):
        body = get(f"/changes/?since={since}&limit=500", headers).json()
        if not body["changes"]:
            break
        seen.extend(body["changes"])
        since = body["next"]
    assert seen
    cursors = [c["cursor"] for c in seen]
    assert len(cursors) == len(set(cursors))  # nothing twice
    meetings = {c["id"] for c in seen if c["type"] == "meeting"}
    visible = set(
        Meeting.objects.visible_to(cast["bithu1"], Perm.VIEW_MEETINGS).values_list("pk", flat=True)
    )
    assert meetings
    assert meetings <= visible
    units = {c["id"] for c in seen if c["type"] == "unit"}
    assert Unit.objects.get(code="X002.01").pk not in units
    # A change made now comes after the last cursor.
    Member.objects.filter(unit__code="X001.01").get(user=cast["dangvien1"]).save()
    body = get(f"/changes/?since={since}", headers).json()
    assert [c["type"] for c in body["changes"]] == ["member"]
    assert get("/changes/?since=not-a-cursor", headers).status_code == 422


# --- The national export ---------------------------------------------------------------------


def test_export_members_json_command(cast, tmp_path) -> None:
    target = tmp_path / "x.json"
    call_command("export_members", "--unit", "X001.01", "-o", str(target), "--format", "json",
                 "--as", "dangvien1", stdout=io.StringIO())  # fmt: skip
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["schema"] == "chibo.members.national/1"
    assert data["fields"]["ngay_vao_dang"] == "Ngày vào Đảng"
    own = Member.objects.get(user=cast["dangvien1"]).card_number
    others = [m for m in data["members"] if m["so_the_dang_vien"] != own]
    assert others
    assert all(m["qua_trinh"] for m in others)
    assert all(m["so_dinh_danh"] is None for m in others)
    xlsx = get("/members-export/xlsx/?unit=X001.01", bearer(cast["bithu1"]))
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"
    with pytest.raises(CommandError, match=r"\.json"):
        call_command("export_members", "--unit", "X001.01", "-o", str(tmp_path / "x.xlsx"),
                     "--format", "json", stdout=io.StringIO())  # fmt: skip


# --- Contract tests --------------------------------------------------------------------------

CONTRACT_USERS = ("bithu1", "uyvien1", "dangvien1")


@pytest.fixture
def kept_connection() -> Iterator[None]:
    """Schemathesis calls the WSGI application itself, not through Django's test client,
    which is what disconnects `close_old_connections` from the request signals: at the end
    of each request it would close the test's connection (its transaction makes the
    autocommit differ from the settings'), on PostgreSQL for good."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_contract(cast, kept_connection) -> None:
    """Every endpoint, with data generated from the OpenAPI document (schemathesis), as a
    secretary, a commune committee member and an ordinary member: no 5xx, every response
    as the document says, no unit outside the user's reach in any answer."""
    from chibo.wsgi import application

    api_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)
    headers = {}
    for username in CONTRACT_USERS:
        _token, text = create_token(user=cast[username], name="contract")
        # Schemathesis's WSGI transport asks for gzip like a browser but does not inflate
        # the answer (GZipMiddleware compresses the larger lists), so it asks for none.
        headers[username] = {"Authorization": f"Bearer {text}", "Accept-Encoding": "identity"}
    reach = {
        username: set(
            Unit.objects.visible_to(cast[username], Perm.VIEW_UNIT).values_list("code", flat=True)
        )
        for username in CONTRACT_USERS
    }
    operations = [result.ok() for result in api_schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 15

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=6,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            for username in CONTRACT_USERS:
                # A request valid by the document may still name a unit one cannot see, a
                # period that does not parse or a cursor the API never gave: 404 or 422 are
                # the right answers there, so schemathesis's "valid data is accepted" check
                # is left out; every other check (no 5xx, responses as documented) runs.
                response = case.call_and_validate(
                    headers=headers[username], excluded_checks=[positive_data_acceptance]
                )
                assert response.status_code < 500, username
                kind = response.headers.get("Content-Type", [""])[0]
                if response.status_code == 200 and "json" in kind:
                    assert _units_in(response.json()) <= reach[username], username

        check()


def _units_in(data: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if key == "unit" and isinstance(value, str):
                found.add(value)
            else:
                found |= _units_in(value)
    elif isinstance(data, list):
        for value in data:
            found |= _units_in(value)
    return found
