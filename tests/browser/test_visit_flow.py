"""An upper-level member attends a cell meeting, records what they saw and confirms the
score; the cell's secretary reads it (issue acceptance)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth.models import User

from chibo.orgs.models import Unit
from chibo.scoring import services as scoring
from chibo.supervision.services import assign_visit
from tests.browser.pages import login, shot
from tests.conftest import build_cast
from tests.factories import complete, planned

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def visited(transactional_db: None) -> dict[str, Any]:
    if not Unit.objects.exists():
        build_cast()
    meeting = planned(day=datetime.date(2026, 3, 5))
    visit = assign_visit(meeting=meeting, user=User.objects.get(username="uyvien1"), by=None)
    complete(meeting)
    scoring.propose_score(
        meeting=meeting, judged={}, members_for=None, members_against=None, by=None
    )
    return {"meeting": meeting.pk, "visit": visit.pk, "cell": meeting.unit.name}


def test_an_upper_level_member_attends_and_the_secretary_reads_it(
    visited: dict[str, Any], page: Any
) -> None:
    login(page, "uyvien1")
    page.goto("/units/X001/visits/?year=2026")
    shot(page, "visit-1-plan")
    page.locator(f"a[href='/visits/{visited['visit']}/']").first.click()
    page.wait_for_url(f"**/visits/{visited['visit']}/")
    page.get_by_label("Đã dự").check()
    page.fill(
        "textarea[name=observation]", "Chi bộ sinh hoạt đúng nội dung, nhiều ý kiến xây dựng."
    )
    page.fill("textarea[name=guidance]", "Cần cụ thể hóa nghị quyết thành việc làm.")
    page.get_by_role("button", name="Lưu nhận xét").click()
    page.wait_for_url(f"**/visits/{visited['visit']}/")
    assert "nhiều ý kiến xây dựng" in page.content()
    shot(page, "visit-2-observed")
    page.get_by_role("button", name="Xác nhận hoặc điều chỉnh điểm").click()
    page.fill("textarea[name=comment]", "Đồng ý với điểm chi bộ tự chấm.")
    page.get_by_role("button", name="Xác nhận điểm").click()
    page.wait_for_url(f"**/meetings/{visited['meeting']}/score/confirm/")
    assert "Đồng ý với điểm chi bộ tự chấm." in page.content()
    shot(page, "visit-3-confirmed")

    page.locator("details.menu > summary").click()  # the header's menu, folded on a phone
    page.locator("details.dropdown summary").click()
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/accounts/login/")
    login(page, "bithu1")
    page.goto(f"/meetings/{visited['meeting']}/")
    page.get_by_role("link", name="Nhận xét và chỉ đạo").click()
    page.wait_for_url(f"**/meetings/{visited['meeting']}/visits/")
    assert "nhiều ý kiến xây dựng" in page.content()
    assert "Cần cụ thể hóa nghị quyết thành việc làm." in page.content()
    shot(page, "visit-4-secretary")
