"""A working group at work (issue acceptance): tocongtac1 reaches the group from the home
page, sees the cells in their charge and their visits, records an observation and submits
the group's report; the province's organisation commission returns it, it is corrected and
accepted."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from chibo.orgs.models import Unit
from chibo.supervision.models import WorkingGroup
from chibo.supervision.services import assign_visit
from tests.browser.pages import login, shot
from tests.conftest import build_cast
from tests.factories import planned

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def group_visit(transactional_db: None) -> dict[str, Any]:
    if not Unit.objects.exists():
        build_cast()
    meeting = planned("X002.01", day=datetime.date(2026, 3, 5))
    visit = assign_visit(meeting=meeting, user=User.objects.get(username="tocongtac1"), by=None)
    group = WorkingGroup.objects.get(name__startswith="Tổ công tác số 1")
    assert visit.group_id == group.pk
    return {
        "group": group.pk,
        "visit": visit.pk,
        "cell": meeting.unit.name,
        "report": f"/working-groups/{group.pk}/reports/{timezone.localdate().year}/",
    }


def logout(page: Any) -> None:
    page.locator("details.menu > summary").click()  # the header's menu, folded on a phone
    page.locator("details.dropdown summary").click()
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/accounts/login/")


def test_a_working_group_reports_and_the_province_returns_then_accepts(
    group_visit: dict[str, Any], page: Any
) -> None:
    group_url = f"/working-groups/{group_visit['group']}/"
    login(page, "tocongtac1")
    # One click from the home page.
    page.locator(f"#working-groups a[href='{group_url}']").click()
    page.wait_for_url(f"**{group_url}")
    assert group_visit["cell"] in page.locator("#charges").inner_text()
    assert group_visit["cell"] in page.locator("#visits").inner_text()
    shot(page, "group-1-page")

    page.locator(f"#visits a[href='/visits/{group_visit['visit']}/']").click()
    page.wait_for_url(f"**/visits/{group_visit['visit']}/")
    page.get_by_label("Đã dự").check()
    page.fill("textarea[name=observation]", "Chi bộ sinh hoạt đúng kỳ, nội dung thiết thực.")
    page.get_by_role("button", name="Lưu nhận xét").click()
    page.wait_for_url(f"**/visits/{group_visit['visit']}/")

    page.goto(group_url)
    page.locator(f"a[href='{group_visit['report']}']").click()
    page.wait_for_url(f"**{group_visit['report']}")
    # The report is prefilled from the visits.
    assert "nội dung thiết thực" in page.locator("textarea[name=results]").input_value()
    page.fill("textarea[name=proposals]", "Đề nghị tập huấn cho bí thư chi bộ.")
    page.locator("button[name=submit]").click()
    page.wait_for_url(f"**{group_visit['report']}")
    shot(page, "group-2-submitted")
    logout(page)

    login(page, "bantochuc")
    page.goto(group_visit["report"])
    page.fill("textarea[name=reason]", "Bổ sung đánh giá từng chi bộ.")
    page.locator("form:has(input[value=return]) button[type=submit]").click()
    page.wait_for_url(f"**{group_visit['report']}")
    logout(page)

    login(page, "tocongtac1")
    page.goto(group_visit["report"])
    assert "Bổ sung đánh giá từng chi bộ." in page.content()
    page.fill("textarea[name=shortcomings]", "Chi bộ X002.01: cần chuẩn bị nội dung kỹ hơn.")
    page.locator("button[name=submit]").click()
    page.wait_for_url(f"**{group_visit['report']}")
    logout(page)

    login(page, "bantochuc")
    page.goto(group_visit["report"])
    page.locator("input[name=level][value=kha]").check()
    page.fill("textarea[name=evaluation]", "Tổ hoàn thành tốt nhiệm vụ.")
    page.locator("form:has(input[value=accept]) button[type=submit]").click()
    page.wait_for_url(f"**{group_visit['report']}")
    history = page.locator("#transitions").inner_text()
    assert "Bổ sung đánh giá từng chi bộ." in history
    assert "Tổ hoàn thành tốt nhiệm vụ." in page.content()
    shot(page, "group-3-accepted")
