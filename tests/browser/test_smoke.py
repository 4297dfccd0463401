"""A secretary's first visit, in a real Chromium driven by Playwright.

Debian's chromium is used (no browser downloads here). Without it the test is skipped
with the reason, except where CHIBO_REQUIRE_BROWSER=1 (CI), where a missing browser fails.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from chibo.orgs.models import Unit
from tests.conftest import build_cast

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
REQUIRED = os.environ.get("CHIBO_REQUIRE_BROWSER") == "1"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page(live_server: Any, transactional_db: None) -> Iterator[Any]:
    """A phone-sized page of a fresh Chromium, pointed at the live server.

    Tests read what they need from the database before asking for the page: inside
    Playwright's sync context the ORM would open a connection nobody closes.
    """
    if not os.path.exists(CHROMIUM):
        if REQUIRED:
            pytest.fail(f"Chromium is required here but missing at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls made by the
    # live server happen in its own thread, so this is safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            context = browser.new_context(
                base_url=live_server.url, viewport={"width": 390, "height": 844}, locale="vi-VN"
            )
            context.set_default_timeout(15_000)
            yield context.new_page()
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def own_cell(transactional_db: None) -> tuple[Unit, int]:
    if not Unit.objects.exists():  # an earlier transactional test flushed the cast
        build_cast()
    cell = Unit.objects.get(code="X001.01")
    return cell, cell.members.count()


def test_secretary_logs_in_opens_tree_and_own_cell_and_logs_out(
    own_cell: tuple[Unit, int], page: Any
) -> None:
    cell, member_count = own_cell
    page.goto("/")
    assert "/accounts/login/" in page.url
    page.fill("input[name=username]", "bithu1")
    page.fill("input[name=password]", "chibo-demo")
    page.click("button[type=submit]")

    page.wait_for_url("**/")
    assert page.locator("h1").inner_text().startswith("Xin chào")
    assert page.get_by_text(cell.name).first.is_visible()

    page.get_by_role("link", name="Cây tổ chức").first.click()
    page.wait_for_url("**/units/")
    page.get_by_role("link", name=cell.name).click()
    page.wait_for_url(f"**/units/{cell.code}/")
    assert page.locator("h1").inner_text() == cell.name

    page.get_by_role("button", name="Đảng viên").click()
    page.wait_for_url(f"**/units/{cell.code}/members/")
    assert page.locator("tbody tr").count() == member_count

    page.locator("details.dropdown summary").click()
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/accounts/login/")
    page.goto(f"/units/{cell.code}/")
    assert "/accounts/login/" in page.url
