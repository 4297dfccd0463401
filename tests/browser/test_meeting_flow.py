"""A secretary runs a whole meeting on a phone; a member then sees it (issue acceptance).

Screenshots of each step go to $CHIBO_SCREENSHOTS (default test-results/screenshots).
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from chibo.members.models import Member
from chibo.orgs.models import Unit
from tests.browser.pages import login, shot
from tests.conftest import build_cast

# serialized_rollback: the flush after each browser test also empties the tables
# that migrations fill (unit kinds, agenda templates); this puts them back.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = Path(os.environ.get("CHIBO_SCREENSHOTS", "test-results/screenshots"))


@pytest.fixture
def cast_names(transactional_db: None) -> dict[str, Any]:
    if not Unit.objects.exists():  # an earlier transactional test flushed the cast
        build_cast()
    cell = Unit.objects.get(code="X001.01")
    members = list(cell.members.active().in_vietnamese_order())
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    return {
        "cell": cell.code,
        "chair": Member.objects.get(user__username="bithu1").full_name,
        "secretary": members[1].full_name,
        "absent": members[-1].full_name,
        "absent_pk": members[-1].pk,
        "member": Member.objects.get(user__username="dangvien1").full_name,
        "count": len(members),
        # The meeting was yesterday evening: minutes are recorded only from its start.
        "day": yesterday.isoformat(),
        "before": lambda days: (yesterday - datetime.timedelta(days=days)).isoformat(),
    }


def save(page: Any) -> None:
    page.get_by_role("button", name="Lưu").click()
    page.wait_for_url("**/meetings/*/")


def test_a_secretary_runs_a_meeting_and_a_member_sees_it(
    cast_names: dict[str, Any], page: Any
) -> None:
    # cast_names comes first: it reads the database before Playwright's loop starts.
    n = cast_names
    login(page, "bithu1")
    page.goto(f"/units/{n['cell']}/meetings/")
    page.get_by_role("button", name="Lên lịch sinh hoạt").click()
    page.select_option("select[name=kind]", "regular")
    page.fill("input[name=scheduled_at]", f"{n['day']}T19:00")
    page.fill("input[name=place]", "Nhà văn hóa thôn")
    save(page)
    shot(page, "1-planned")

    page.get_by_role("button", name="Ghi nhận việc chuẩn bị").click()
    page.select_option("select[name=drafter]", label=n["chair"])
    page.fill("input[name=committee_met_on]", n["before"](4))
    page.fill("input[name=notified_on]", n["before"](3))
    page.fill("input[name=materials_published_on]", n["before"](2))
    page.fill("textarea[name=draft_resolution]", "Dự thảo nghị quyết tháng 12")
    save(page)
    assert page.locator("ul.checklist li.todo").count() == 0
    assert page.locator("ul.checklist li.done").count() == 5
    shot(page, "2-prepared")

    page.get_by_role("button", name="Điểm danh").click()
    page.check(f"input[name=status_{n['absent_pk']}][value=absent_excused]")
    page.fill(f"input[name=reason_{n['absent_pk']}]", "Ốm")
    shot(page, "3-attendance-form")
    page.get_by_role("button", name="Lưu điểm danh").click()
    page.wait_for_url("**/meetings/*/")
    assert f"{n['absent']} (Ốm)" in page.content()

    page.get_by_role("button", name="Ghi biên bản").click()
    page.select_option("select[name=chair]", label=n["chair"])
    page.select_option("select[name=minutes_secretary]", label=n["secretary"])
    page.fill("input[name=started_at]", f"{n['day']}T19:00")
    page.fill("input[name=ended_at]", f"{n['day']}T20:40")
    for textarea in page.locator("textarea[name^=item_]").all():
        textarea.fill("Chi bộ đã thảo luận nội dung này.")
    page.fill("textarea[name=conclusion]", "Đồng chí bí thư kết luận.")
    page.fill("textarea[name=resolution]", "Nghị quyết tháng 12.")
    save(page)

    page.get_by_role("button", name="Thêm ý kiến phát biểu").click()
    page.select_option("select[name=item]", label="Tự phê bình và phê bình")
    page.select_option("select[name=member]", label=n["member"])
    page.fill("textarea[name=gist]", "Đồng chí tự nhận khuyết điểm đi họp muộn.")
    save(page)

    page.get_by_role("button", name="Thêm nhiệm vụ").click()
    page.fill("input[name=title]", "Vận động thanh niên tham gia hiến máu")
    page.select_option("select[name=owner]", label=n["member"])
    page.fill("input[name=deadline]", n["before"](-27))
    save(page)

    page.get_by_role("button", name="Ghi kết quả biểu quyết").click()
    # Every official member present who may vote votes for (the field's maximum).
    voters = page.locator("input[name=votes_for]").get_attribute("max")
    page.fill("input[name=votes_for]", str(voters))
    save(page)
    assert "Thông qua." in page.content()
    shot(page, "4-minutes")

    page.get_by_role("button", name="Thông qua biên bản").click()
    page.wait_for_url("**/meetings/*/")
    assert "không sửa được" in page.content()
    assert page.get_by_role("button", name="Ghi biên bản").count() == 0
    shot(page, "5-approved")
    meeting_url = page.url
    page.goto(meeting_url + "minutes/")
    page.wait_for_url(meeting_url)  # sent back: approved minutes are read-only

    page.locator("details.menu > summary").click()  # the header's menu, folded on a phone
    page.locator("details.dropdown summary").click()
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/accounts/login/")
    login(page, "dangvien1")
    page.locator("details.menu > summary").click()  # the header's menu, folded on a phone
    page.get_by_role("link", name="Việc cần làm").first.click()
    assert "Vận động thanh niên tham gia hiến máu" in page.content()
    page.goto(meeting_url)
    assert "Đồng chí tự nhận khuyết điểm đi họp muộn." in page.content()
    assert page.get_by_role("button", name="Ghi biên bản").count() == 0
    shot(page, "6-member-view")
