"""Staff keep TOTP as today, with a passkey as an alternative (issue 26, Deliver 3): with
two-factor login required, province staff who log in with the password and the code add a
passkey on the two-factor page; then the passkey alone signs them in, without being asked
for the code (Chromium's virtual authenticator)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from chibo.orgs.models import Unit
from tests.conftest import build_cast

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def staff(transactional_db: None, settings: Any) -> TOTPDevice:
    if not Unit.objects.exists():  # an earlier transactional test flushed the cast
        build_cast()
    settings.TWO_FACTOR_REQUIRED = True
    device: TOTPDevice = TOTPDevice.objects.create(
        user=User.objects.get(username="bantochuc"), name="chibo", confirmed=True
    )
    return device


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def test_province_staff_sign_in_with_a_passkey_instead_of_the_code(
    staff: TOTPDevice, page: Any
) -> None:
    # `staff` before `page`: inside Playwright's sync context the ORM would open a
    # connection nobody closes (the test database's teardown found it still open).
    code = current_code(staff)  # read before the browser runs (no ORM inside it)
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "bantochuc")
    page.fill("input[name=password]", "chibo-demo")
    page.click("form button[type=submit]")
    page.wait_for_url("**/accounts/two-factor/verify/**")
    page.fill("input[name=code]", code)
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/two-factor/" not in url)

    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    page.goto("/accounts/two-factor/")
    page.get_by_role("button", name="Tạo khóa truy cập").click()
    page.get_by_text("Đồng chí có 1 khóa truy cập").wait_for()

    page.eval_on_selector("form[action='/accounts/logout/']", "form => form.requestSubmit()")
    page.wait_for_url("**/accounts/login/**")
    # The login page offers the passkey by itself (conditional mediation), and the virtual
    # authenticator answers at once. A click on the button as well sent a second answer
    # racing the first: it reached the server with the session the first one had just
    # replaced, and its answer took the new session's cookie away (CI saw the login page
    # again). So the button is clicked only when nothing happened by itself.
    try:
        page.wait_for_url(lambda url: "/accounts/login/" not in url, timeout=5000)
    except PlaywrightTimeoutError:
        page.get_by_role("button", name="Đăng nhập bằng khóa truy cập").click()
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
    # Straight in: the passkey stands for the password and the code.
    assert "/two-factor/" not in page.url
    page.goto("/todo/")
    assert "/two-factor/" not in page.url
    assert "Việc cần làm" in page.content()
