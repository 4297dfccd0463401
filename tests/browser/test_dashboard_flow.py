"""The province reads its dashboard, drills down to a commune and a cell and downloads the
periodic report; a commune's committee member sees only his commune (issue acceptance)."""

from __future__ import annotations

import datetime
import io
from pathlib import Path
from typing import Any

import docx
import pytest

from chibo.orgs.models import Unit
from tests.browser.pages import login, shot
from tests.conftest import build_cast
from tests.factories import complete, planned

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def province(transactional_db: None) -> dict[str, Any]:
    if not Unit.objects.exists():
        build_cast()
    complete(planned(code="X001.01", day=datetime.date(2026, 3, 5)))
    complete(planned(code="X002.01", day=datetime.date(2026, 3, 6)))
    return {
        "commune1": Unit.objects.get(code="X001").name,
        "commune2": Unit.objects.get(code="X002").name,
        "cell": Unit.objects.get(code="X001.01").name,
    }


def test_the_province_drills_down_and_downloads_the_report(
    province: dict[str, Any], page: Any
) -> None:
    login(page, "bantochuc")
    page.goto("/units/LV/dashboard/?period=2026")
    assert page.locator("svg.chart").count() >= 2
    shot(page, "dashboard-1-province")
    page.get_by_role("link", name=province["commune1"]).click()
    page.wait_for_url("**/units/X001/dashboard/**")
    shot(page, "dashboard-2-commune")
    page.get_by_role("link", name=province["cell"]).click()
    page.wait_for_url("**/units/X001.01/dashboard/**")
    assert "Các buổi sinh hoạt tạo nên số liệu" in page.content()
    shot(page, "dashboard-3-cell")
    page.goto("/units/LV/dashboard/?period=2026")
    page.get_by_role("link", name="Báo cáo định kỳ (DOCX)").click()
    page.fill("input[name=period]", "2026-H1")
    page.get_by_role("button", name="Soạn báo cáo").click()
    page.wait_for_url("**/reports/*/")
    download_link = page.get_by_role("button", name="Tải báo cáo (DOCX)")
    download_link.wait_for()
    with page.expect_download() as info:
        download_link.click()
    content = Path(info.value.path()).read_bytes()
    header = docx.Document(io.BytesIO(content)).tables[0].rows[0].cells[0].text
    assert "Số 1-BC/TU" in header
    shot(page, "dashboard-4-report")

    page.locator("details.menu > summary").click()  # the header's menu, folded on a phone
    page.locator("details.dropdown summary").click()
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/accounts/login/")
    login(page, "uyvien1")
    page.goto("/units/X001/dashboard/?period=2026")
    assert province["cell"] in page.content()
    response = page.goto("/units/LV/dashboard/?period=2026")
    assert response is not None
    assert response.status == 404
    response = page.goto("/units/X002/dashboard/?period=2026")
    assert response is not None
    assert response.status == 404
