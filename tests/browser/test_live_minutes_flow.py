"""The secretary takes a meeting's attendance and minutes on a phone, one-handed, on one
page (issue 22): four agenda items with speakers, a vote, two tasks, then approval, in at
most three full page loads.

Screenshots go to $CHIBO_SCREENSHOTS (default test-results/screenshots).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHOTS = Path(os.environ.get("CHIBO_SCREENSHOTS", "test-results/screenshots"))


def test_a_secretary_takes_the_minutes_live_on_a_phone(
    live_meeting: dict[str, Any], page: Any, live_server: Any
) -> None:
    m = live_meeting
    # A phone: touch, and taps rather than clicks (the fixture's page is a desktop at phone
    # size; this one is opened beside it, in the same browser).
    phone = page.context.browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
        locale="vi-VN",
    )
    phone.set_default_timeout(15_000)
    phone.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": m["session"], "url": live_server.url}]
    )
    page = phone.new_page()
    try:
        secretary_takes_the_minutes(page, m)
    finally:
        page.wait_for_load_state("networkidle")
        phone.close()


def secretary_takes_the_minutes(page: Any, m: dict[str, Any]) -> None:
    loads: list[str] = []
    page.on("load", lambda: loads.append(page.url))
    page.goto(f"/meetings/{m['pk']}/live/")

    # Attendance: a member absent with a reason; the counts follow before saving.
    page.get_by_role("button", name="Điểm danh", exact=True).tap()
    row = page.locator(f"#att-{m['absent']}")
    row.get_by_text("Vắng có lý do").tap()
    row.get_by_role("textbox", name="Lý do").fill("Ốm")
    present = page.locator("#attendance-counts strong").first
    present.filter(has_text=str(len(m["members"]) - 1)).wait_for()
    box = row.locator("label").first.bounding_box()
    assert box["height"] >= 44
    page.screenshot(path=str(SHOTS / "live-1-attendance.png"), full_page=False)
    page.get_by_role("button", name="Lưu điểm danh").tap()
    page.locator("#attendance-form p.saved").wait_for()

    # The head of the minutes.
    chair, secretary = m["members"][0][1], m["members"][1][1]
    page.select_option("#id_chair", label=chair)
    page.locator("#s-head .saved").wait_for()
    page.select_option("#id_minutes_secretary", label=secretary)
    page.fill("#id_started_at", f"{m['day']}T19:00")
    page.fill("#id_ended_at", f"{m['day']}T20:45")
    page.locator("#id_ended_at").dispatch_event("change")
    page.wait_for_load_state("networkidle")

    # Four items: notes typed (saved as they are typed) and a speaker each, found by name.
    for n, item in enumerate(m["items"]):
        page.fill(f"#t-item_{item}", f"Chi bộ thảo luận nội dung mục {n + 1}.")
        page.locator(f"#s-item_{item} .saved").wait_for()
        speaker = m["members"][n][1]
        block = page.locator(f"#sp-{item}")
        block.locator("summary").tap()
        block.locator("input[type=search]").fill(speaker.split()[-1])
        block.locator("select[name=member]").select_option(label=speaker)
        block.locator("textarea[name=gist]").fill(f"Ý kiến của {speaker}.")
        block.get_by_role("button", name="Thêm người phát biểu").tap()
        page.locator(f"#sp-{item} li", has_text=f"Ý kiến của {speaker}.").wait_for()
    page.fill("#t-conclusion", "Đồng chí bí thư kết luận.\nChi bộ thống nhất.")
    page.locator("#s-conclusion .saved").wait_for()
    page.fill("#t-resolution", "Nghị quyết:\n1. Một.\n2. Hai.")
    page.locator("#s-resolution .saved").wait_for()

    # The vote, with its figures, and two tasks.
    page.fill("input[name=votes_for]", "3")
    page.get_by_role("button", name="Ghi kết quả biểu quyết").tap()
    page.locator("#live-vote p.saved").wait_for()
    for title in ("Vận động hiến máu", "Sửa nhà văn hóa"):
        page.fill("#live-tasks input[name=title]", title)
        page.select_option("#live-tasks select[name=owner]", label=m["owner"])
        page.fill("#live-tasks input[name=deadline]", "2026-12-31")
        page.get_by_role("button", name="Thêm nhiệm vụ").tap()
        page.locator("#live-tasks li", has_text=title).wait_for()
    page.screenshot(path=str(SHOTS / "live-2-minutes.png"), full_page=True)
    # Nothing refused on the way: no conflict shown.
    assert page.locator(".save-status.conflict").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("button", name="Thông qua biên bản").tap()
    page.wait_for_url(f"**/meetings/{m['pk']}/")
    assert "không sửa được" in page.content()
    assert "<p>Nghị quyết:<br>1. Một.<br>2. Hai.</p>" in page.content()
    page.screenshot(path=str(SHOTS / "live-3-approved.png"), full_page=False)
    assert len(loads) <= 3, loads
