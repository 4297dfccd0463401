"""The phone without signal (issue 22): the service worker keeps the pages of the current
meeting, saves made offline wait in IndexedDB and are sent when the connection returns, and
a save refused because another device saved first is shown, never dropped.

The secretary's journey at 390×844 with touch: attendance, four agenda items with a speaker
each (the first two without a connection), the conclusion, the resolution, a vote, two
tasks, approval, in at most three full page loads (home, live minutes, the approved
meeting).
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Error as PlaywrightError

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

KEPT = """async (path) => {
  for (const name of await caches.keys()) {
    if (!name.startsWith("chibo-pages-")) continue;
    if (await (await caches.open(name)).match(path)) return true;
  }
  return false;
}"""


def phone_page(page: Any, live_server: Any, session: str) -> tuple[Any, Any]:
    """A phone (touch, 390×844) beside the fixture's page, logged in with `session`."""
    phone = page.context.browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        has_touch=True,
        is_mobile=True,
        locale="vi-VN",
    )
    phone.set_default_timeout(15_000)
    phone.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    return phone, phone.new_page()


def keep_the_meeting(page: Any, pk: int) -> None:
    """Open the home page online: the worker keeps the current meeting's pages."""
    page.goto("/")
    page.wait_for_function(KEPT, arg=f"/meetings/{pk}/live/", timeout=30_000)


def test_a_secretary_takes_the_minutes_partly_offline(
    live_meeting: dict[str, Any],
    page: Any,
    live_server: Any,
) -> None:
    m = live_meeting
    phone, page = phone_page(page, live_server, m["session"])
    try:
        loads: list[str] = []
        page.on("load", lambda: loads.append(page.url))
        keep_the_meeting(page, m["pk"])
        page.goto(f"/meetings/{m['pk']}/live/")

        # Attendance, online.
        page.get_by_role("button", name="Điểm danh", exact=True).tap()
        row = page.locator(f"#att-{m['absent']}")
        row.get_by_text("Vắng có lý do").tap()
        row.get_by_role("textbox", name="Lý do").fill("Ốm")
        page.get_by_role("button", name="Lưu điểm danh").tap()
        page.locator("#attendance-form p.saved").wait_for()
        chair, secretary = m["members"][0][1], m["members"][1][1]
        page.select_option("#id_chair", label=chair)
        page.locator("#s-head .saved").wait_for()
        page.select_option("#id_minutes_secretary", label=secretary)
        page.fill("#id_started_at", f"{m['day']}T19:00")
        page.fill("#id_ended_at", f"{m['day']}T20:45")
        page.locator("#id_ended_at").dispatch_event("change")
        page.wait_for_load_state("networkidle")

        # The signal goes: the first two items are written on the phone alone.
        phone.set_offline(True)
        banner = page.locator("#offline-banner")
        banner.locator(".offline-state", has_text="Không có kết nối").wait_for()
        for n, item in enumerate(m["items"]):
            if n == 2:
                # The signal comes back: what waited is sent, in order, and the page
                # shows it saved.
                phone.set_offline(False)
                page.wait_for_function(
                    "() => document.getElementById('offline-banner').dataset.waiting === '0'"
                )
                banner.wait_for(state="hidden")
                for earlier in m["items"][:2]:
                    page.locator(f"#sp-{earlier} li:not(.queued)").first.wait_for()
                    page.locator(f"#s-item_{earlier} .saved").wait_for()
            page.fill(f"#t-item_{item}", f"Chi bộ thảo luận nội dung mục {n + 1}.")
            if n < 2:
                page.locator(f"#s-item_{item}.queued-note").wait_for()
            else:
                page.locator(f"#s-item_{item} .saved").wait_for()
            speaker = m["members"][n][1]
            block = page.locator(f"#sp-{item}")
            block.locator("summary").tap()
            block.locator("input[type=search]").fill(speaker.split()[-1])
            block.locator("select[name=member]").select_option(label=speaker)
            block.locator("textarea[name=gist]").fill(f"Ý kiến của {speaker}.")
            block.get_by_role("button", name="Thêm người phát biểu").tap()
            page.locator(f"#sp-{item} li", has_text=f"Ý kiến của {speaker}.").wait_for()
            if n == 1:
                # Two notes and two speakers at least (leaving the times' field may have
                # sent the head once more).
                waiting = int(banner.get_attribute("data-waiting") or 0)
                assert waiting >= 4
                assert f"{waiting} thay đổi đang chờ gửi" in banner.inner_text()

        page.fill("#t-conclusion", "Đồng chí bí thư kết luận.")
        page.locator("#s-conclusion .saved").wait_for()
        page.fill("#t-resolution", "Nghị quyết: một, hai.")
        page.locator("#s-resolution .saved").wait_for()
        page.fill("input[name=votes_for]", "3")
        page.get_by_role("button", name="Ghi kết quả biểu quyết").tap()
        page.locator("#live-vote p.saved").wait_for()
        for title in ("Vận động hiến máu", "Sửa nhà văn hóa"):
            page.fill("#live-tasks input[name=title]", title)
            page.select_option("#live-tasks select[name=owner]", label=m["owner"])
            page.fill("#live-tasks input[name=deadline]", "2026-12-31")
            page.get_by_role("button", name="Thêm nhiệm vụ").tap()
            page.locator("#live-tasks li", has_text=title).wait_for()
        assert page.locator(".save-status.conflict").count() == 0
        assert page.locator("[data-refused-id]").count() == 0

        page.get_by_role("button", name="Thông qua biên bản").tap()
        page.wait_for_url(f"**/meetings/{m['pk']}/")
        content = page.content()
        assert "không sửa được" in content
        for n in range(4):
            assert f"Chi bộ thảo luận nội dung mục {n + 1}." in content
            assert f"Ý kiến của {m['members'][n][1]}." in content
        assert len(loads) <= 3, loads
    finally:
        page.wait_for_load_state("networkidle")
        phone.close()


def test_a_save_made_offline_after_another_device_saved_is_shown_not_dropped(
    live_meeting: dict[str, Any],
    page: Any,
    live_server: Any,
) -> None:
    m = live_meeting
    item = m["items"][0]
    live = f"/meetings/{m['pk']}/live/"
    offline_phone, offline_page = phone_page(page, live_server, m["session"])
    other_phone, other_page = phone_page(page, live_server, m["session"])
    try:
        keep_the_meeting(offline_page, m["pk"])
        offline_page.goto(live)
        other_page.goto(live)

        offline_phone.set_offline(True)
        offline_page.fill(f"#t-item_{item}", "Ghi trên máy không có sóng.")
        offline_page.locator(f"#s-item_{item}.queued-note").wait_for()

        other_page.fill(f"#t-item_{item}", "Ghi trên máy kia.")
        other_page.locator(f"#s-item_{item} .saved").wait_for()

        offline_phone.set_offline(False)
        # The refused save: in its place on the page with both texts, and in the banner.
        status = offline_page.locator(f"#s-item_{item}.conflict")
        status.wait_for()
        assert "Ghi trên máy kia." in status.locator(".saved-text").inner_text()
        assert "Ghi trên máy không có sóng." in status.locator(".typed-text").inner_text()
        refused = offline_page.locator("#offline-banner [data-refused-id]")
        refused.wait_for()
        assert "Ghi trên máy không có sóng." in refused.inner_text()
        assert offline_page.locator("#offline-banner").is_visible()

        # Kept until dismissed, even across a page load.
        offline_page.reload()
        refused.wait_for()
        refused.get_by_role("button", name="Bỏ qua").tap()
        refused.wait_for(state="detached")
    finally:
        for each in (offline_page, other_page):
            each.wait_for_load_state("networkidle")
        offline_phone.close()
        other_phone.close()


def test_logging_out_drops_what_the_phone_kept(
    live_meeting: dict[str, Any],
    page: Any,
    live_server: Any,
) -> None:
    m = live_meeting
    phone, page = phone_page(page, live_server, m["session"])
    try:
        keep_the_meeting(page, m["pk"])
        page.locator("details.menu > summary").tap()  # the header's menu, folded on a phone
        page.locator("details.dropdown summary").first.tap()
        page.get_by_role("button", name="Đăng xuất").tap()
        page.wait_for_url("**/accounts/login/")
        page.wait_for_function(
            "async () => !(await caches.keys()).some((n) => n.startsWith('chibo-pages-'))"
        )
        # Without a connection, the meeting is not shown to whoever holds the phone now.
        phone.set_offline(True)
        with contextlib.suppress(PlaywrightError):  # the browser's own offline error page
            page.goto(f"/meetings/{m['pk']}/live/")
        assert page.locator(f"#t-item_{m['items'][0]}").count() == 0
    finally:
        phone.close()
