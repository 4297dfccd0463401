"""A secretary's first visit, in a real Chromium driven by Playwright."""

from __future__ import annotations

from typing import Any

import pytest

from chibo.orgs.models import Unit
from tests.conftest import build_cast

# serialized_rollback: the flush after each browser test also empties the tables
# that migrations fill (unit kinds, agenda templates); this puts them back.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


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

    page.locator("details.menu > summary").click()  # the header's menu, folded on a phone
    page.get_by_role("link", name="Cây tổ chức").first.click()
    page.wait_for_url("**/units/")
    page.get_by_role("link", name=cell.name).click()
    page.wait_for_url(f"**/units/{cell.code}/")
    assert page.locator("h1").inner_text() == cell.name

    page.get_by_role("button", name="Đảng viên", exact=True).click()
    page.wait_for_url(f"**/units/{cell.code}/members/")
    assert page.locator("tbody tr").count() == member_count

    page.locator("details.menu > summary").click()  # the header's menu, folded on a phone
    page.locator("details.dropdown summary").click()
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/accounts/login/")
    page.goto(f"/units/{cell.code}/")
    assert "/accounts/login/" in page.url


@pytest.fixture
def cast_ready(transactional_db: None) -> None:
    if not Unit.objects.exists():  # an earlier transactional test flushed the cast
        build_cast()


def test_the_tree_opens_a_branch_without_inline_script(cast_ready: None, page: Any) -> None:
    """The "+" of the tree loads the units below and stays open (app.js, under the CSP)."""
    from playwright.sync_api import expect

    from tests.browser.pages import login

    login(page, "bantochuc")
    page.goto("/units/")
    button = page.locator("button[data-expands]").first
    button.click()
    # A locator assertion, not wait_for_function: the CSP forbids the page to evaluate strings.
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(button).to_be_disabled()
    assert page.locator("ul.tree ul li").count() > 0
