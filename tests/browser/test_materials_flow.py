"""Province propaganda staff publish the month's materials; the secretary sees them on the
preparation page of the cell's next meeting, and a member confirms reading (issue
acceptance)."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from chibo.content.models import MaterialRead
from chibo.orgs.models import Unit
from tests.browser.pages import login, shot
from tests.conftest import build_cast
from tests.factories import planned

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def next_meeting(transactional_db: None) -> Any:
    if not Unit.objects.exists():
        build_cast()
    return planned(day=timezone.localdate() + datetime.timedelta(days=10))


def test_materials_go_down_to_the_cell_and_are_read(
    next_meeting: Any, page: Any, tmp_path: Path
) -> None:
    document = tmp_path / "tai-lieu-thang.pdf"
    document.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    title = f"Tài liệu sinh hoạt chi bộ tháng {next_meeting.month:%m/%Y}"

    login(page, "tuyengiao")
    page.goto("/units/LV/materials/")
    page.select_option("select[name=kind]", "meeting")
    page.fill("input[name=title]", title)
    page.fill("textarea[name=summary]", "Quán triệt nghị quyết; chuyên đề học tập và làm theo Bác.")
    page.fill("input[name=month]", f"{next_meeting.month:%Y-%m}")
    page.set_input_files("input[name=file]", str(document))
    page.locator("form[enctype] button[type=submit]").click()
    page.wait_for_url("**/materials/*/")
    assert title in page.content()
    shot(page, "materials-1-published")

    page.context.clear_cookies()
    login(page, "bithu1")
    page.goto(f"/meetings/{next_meeting.pk}/preparation/")
    assert title in page.content()
    shot(page, "materials-2-preparation")

    page.context.clear_cookies()
    login(page, "dangvien1")
    page.goto(f"/meetings/{next_meeting.pk}/")
    page.get_by_role("link", name=title).click()
    page.wait_for_url("**/materials/*/")
    page.locator("form[action$='/read/'] button").click()
    page.wait_for_url("**/materials/*/")
    read = MaterialRead.objects.filter(material__title=title, user__username="dangvien1")
    assert read.exists()
    # Asked inside Playwright's event loop, the ORM opened a connection of that context:
    # close it, or it holds the test database open at the end of the run.
    connection.close()
    assert page.locator("form[action$='/read/']").count() == 0  # confirmed: no button
    shot(page, "materials-3-read")
