"""Authentication: login lockout, password validators, two-factor login (TOTP: optional for
everyone, required by a setting for administrators and province staff), session expiry."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.test.utils import override_settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential  # type: ignore[import-untyped]

from chibo.orgs.twofactor import required_for

pytestmark = pytest.mark.django_db


def code(device: TOTPDevice, offset: int = 0, *, later: int = 0) -> str:
    """The app's code now (`later` steps ahead: a code is accepted once only), or a wrong
    one with `offset`."""
    t0 = device.t0 - later * device.step
    value = totp(device.bin_key, step=device.step, t0=t0, digits=device.digits)
    return f"{(value + offset) % 10**device.digits:0{device.digits}d}"


def login(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": "chibo-demo"})
    assert response.status_code == 302
    return client


def test_a_user_with_a_device_must_give_the_code_after_the_password(cast) -> None:
    device = TOTPDevice.objects.create(user=cast["bithu1"], name="chibo", confirmed=True)
    client = login("bithu1")
    response = client.get("/units/X001.01/members/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/verify/")
    page = client.post("/accounts/two-factor/verify/", {"code": code(device, 1)})
    assert page.status_code == 200  # a wrong code: the form again
    assert client.get("/units/X001.01/members/").status_code == 302
    device.refresh_from_db()
    device.throttling_failure_count = 0  # the wrong code above throttles the next try
    device.throttling_failure_timestamp = None
    device.save()
    response = client.post(
        "/accounts/two-factor/verify/", {"code": code(device), "next": "/units/X001.01/members/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/units/X001.01/members/"
    assert client.get("/units/X001.01/members/").status_code == 200


def test_wrong_codes_are_throttled(cast) -> None:
    device = TOTPDevice.objects.create(user=cast["bithu1"], name="chibo", confirmed=True)
    client = login("bithu1")
    for _ in range(3):
        client.post("/accounts/two-factor/verify/", {"code": code(device, 1)})
    page = client.post("/accounts/two-factor/verify/", {"code": code(device)})
    assert page.status_code == 200  # even the right code waits now
    assert "wait" in page.content.decode() or "chờ" in page.content.decode()


def test_two_factor_is_optional_until_the_setting_requires_it(cast) -> None:
    assert not required_for(cast["admin"])
    assert login("admin").get("/units/LV/").status_code == 200
    with override_settings(TWO_FACTOR_REQUIRED=True):
        assert required_for(cast["admin"])  # an administrator
        assert required_for(cast["bantochuc"])  # province staff
        assert not required_for(cast["bithu1"])  # a cell secretary
        assert not required_for(cast["uyvien1"])  # a commune committee member
        client = login("bantochuc")
        response = client.get("/units/LV/")
        assert response["Location"].startswith("/accounts/two-factor/setup/")
        page = client.get("/accounts/two-factor/setup/")
        assert "<svg" in page.content.decode()
        # The page stores nothing (a GET): the secret waits in the session for the code.
        assert not TOTPDevice.objects.filter(user=cast["bantochuc"]).exists()
        device = TOTPDevice(user=cast["bantochuc"], key=client.session["two_factor_pending_key"])
        response = client.post(
            "/accounts/two-factor/setup/", {"code": code(device), "next": "/units/LV/"}
        )
        assert response["Location"] == "/units/LV/"
        assert client.get("/units/LV/").status_code == 200
        # Required: it cannot be turned off.
        client.post("/accounts/two-factor/disable/", {"code": code(device, later=1)})
        assert TOTPDevice.objects.filter(user=cast["bantochuc"], confirmed=True).exists()
        # A secretary is not held to it.
        assert login("bithu1").get("/units/X001.01/").status_code == 200


def test_a_user_may_turn_it_off_with_a_code(cast) -> None:
    device = TOTPDevice.objects.create(user=cast["bithu1"], name="chibo", confirmed=True)
    client = login("bithu1")
    client.post("/accounts/two-factor/verify/", {"code": code(device)})
    assert client.get("/accounts/two-factor/").status_code == 200
    client.post(
        "/accounts/two-factor/disable/",
        {"code": "000000" if code(device) != "000000" else "111111"},
    )
    assert TOTPDevice.objects.filter(user=cast["bithu1"]).exists()  # a wrong code: kept
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    client.post("/accounts/two-factor/disable/", {"code": code(device, later=1)})
    assert not TOTPDevice.objects.filter(user=cast["bithu1"]).exists()


def test_the_next_address_cannot_lead_off_site(cast) -> None:
    device = TOTPDevice.objects.create(user=cast["bithu1"], name="chibo", confirmed=True)
    client = login("bithu1")
    response = client.post(
        "/accounts/two-factor/verify/", {"code": code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_sessions_expire(cast: dict[str, User], settings) -> None:
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600
    client = login("bithu1")
    assert client.get("/units/X001.01/").status_code == 200
    session = client.session
    session.set_expiry(datetime.timedelta(seconds=-1))
    session.save()
    response = client.get("/units/X001.01/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_repeated_failures_lock_the_login(cast) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(5):
        response = client.post("/accounts/login/", {"username": "bithu1", "password": "wrong"})
    # Locked: even the right password is refused now, from that address.
    response = client.post("/accounts/login/", {"username": "bithu1", "password": "chibo-demo"})
    assert response.status_code in (403, 429)
    assert "_auth_user_id" not in client.session
    # Another address is not locked out.
    other = Client(REMOTE_ADDR="203.0.113.10")
    response = other.post("/accounts/login/", {"username": "bithu1", "password": "chibo-demo"})
    assert response.status_code == 302


def test_weak_passwords_are_refused(cast) -> None:
    client = login("bithu1")
    response = client.post(
        "/accounts/password/",
        {"old_password": "chibo-demo", "new_password1": "12345678", "new_password2": "12345678"},
    )
    assert response.status_code == 200  # the form again, with the reasons
    assert User.objects.get(username="bithu1").check_password("chibo-demo")  # unchanged


def test_a_login_without_a_device_is_checked_once(cast) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login("bithu1")
    client.get("/units/X001.01/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/units/X001.01/").status_code == 200
    assert not any("otp_totp" in q["sql"] for q in queries.captured_queries)
    # A device added since is asked for at the next login.
    TOTPDevice.objects.create(user=cast["bithu1"], name="chibo", confirmed=True)
    client.post("/accounts/logout/")
    client = login("bithu1")
    assert client.get("/units/X001.01/")["Location"].startswith("/accounts/two-factor/verify/")


def test_the_session_user_comes_with_their_grants_in_one_query(cast) -> None:
    """A page asks the database for the session's user and their grants once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from chibo.orgs.access import active_grants, grants_of
    from chibo.orgs.backends import SessionUserBackend

    backend = SessionUserBackend()
    user = cast["bithu1"]
    with CaptureQueriesContext(connection) as queries:
        loaded = backend.get_user(user.pk)
        assert loaded == user
        grants = active_grants(loaded)
    assert len(queries) == 1
    assert grants == list(grants_of(user.pk))
    assert grants
    assert all(grant.user is loaded for grant in grants)

    # Through a page: no query of its own for the user or the grants.
    client = login("bithu1")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/units/X001.01/members/").status_code == 200
    tables = [q["sql"].split(" FROM ", 1)[1].split()[0] for q in queries.captured_queries]
    assert tables.count('"orgs_rolegrant"') == 1
    assert '"auth_user"' not in tables

    # Grants no longer valid are left out; the user still logs in, with no grant.
    user.role_grants.update(
        valid_from=datetime.date(2019, 1, 1), valid_until=datetime.date(2020, 1, 1)
    )
    with CaptureQueriesContext(connection) as queries:
        loaded = backend.get_user(user.pk)
        assert loaded == user
        assert active_grants(loaded) == []
    assert len(queries) == 2

    # An inactive user is nobody, with or without grants; so is an unknown one.
    other = cast["uyvien1"]
    User.objects.filter(pk__in=[user.pk, other.pk]).update(is_active=False)
    assert backend.get_user(user.pk) is None
    assert backend.get_user(other.pk) is None
    assert backend.get_user(10**9) is None
    assert client.get("/units/X001.01/members/").status_code == 302


def test_the_health_check_reads_neither_session_nor_database(cast) -> None:
    """Load balancers ask it often; a session cookie sent along changes nothing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login("bithu1")
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/health/")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert len(queries) == 0


def test_a_passkey_is_the_second_factor_of_staff_who_have_no_totp(cast) -> None:
    """Staff who must use a second factor and have a passkey but no TOTP device are asked
    for the passkey after the password, not sent to set up TOTP; meanwhile the passkey's
    sign-in endpoints are open to them, its registration not (it would vouch for itself)."""
    staff = cast["bantochuc"]
    WebAuthnCredential.objects.create(
        user=staff, name="phone", confirmed=True, credential_id=b"x" * 16, public_key=b"k"
    )
    with override_settings(TWO_FACTOR_REQUIRED=True):
        client = login("bantochuc")
        response = client.get("/units/LV/")
        assert response["Location"].startswith("/accounts/two-factor/verify/")
        page = client.get(response["Location"]).content.decode()
        assert "passkey-verification-button" in page
        assert 'name="code"' not in page  # no TOTP device: no code to type
        begin = client.post("/accounts/passkeys/authentication/begin/")
        assert begin.status_code == 200
        assert "challenge" in begin.json()
        register = client.post("/accounts/passkeys/registration/begin/")
        assert register.status_code == 302
        assert register["Location"].startswith("/accounts/two-factor/verify/")
        # Still unverified: every other page sends them back to the passkey.
        assert client.get("/units/LV/")["Location"].startswith("/accounts/two-factor/verify/")
    # Not required: the password alone opens the pages, passkey or not.
    assert login("bantochuc").get("/units/LV/").status_code == 200
