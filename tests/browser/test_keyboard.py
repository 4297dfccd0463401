"""Attendance and the live minutes with the keyboard alone: Tab to move, arrows within a
group of choices, Space or Enter to act, typing into fields. Nothing is clicked, tapped or
filled by the test's hand; a control that cannot be reached by Tab fails the test."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MAX_TABS = 400


def tab_to(page: Any, selector: str) -> None:
    """Press Tab until the focus is on the element matching `selector`."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => !!document.activeElement?.matches(s)", selector):
            # What has the focus shows it (WCAG 2.4.7).
            outline = page.evaluate(
                "() => { const s = getComputedStyle(document.activeElement);"
                " return s.outlineStyle !== 'none' || s.boxShadow !== 'none'; }"
            )
            assert outline, f"{selector} shows no focus"
            return
    raise AssertionError(f"Tab never reaches {selector}")


def checked_value(page: Any, name: str) -> str:
    return str(page.evaluate(f"() => document.querySelector('input[name={name}]:checked').value"))


def choose_with_arrows(page: Any, name: str, value: str) -> None:
    """In a group of radio buttons that has the focus, move with the arrow key to `value`."""
    for _ in range(10):
        if checked_value(page, name) == value:
            return
        page.keyboard.press("ArrowRight")
    raise AssertionError(f"the arrows never reach {value} in {name}")


def test_attendance_and_live_minutes_with_the_keyboard_only(
    live_meeting: dict[str, Any],
    page: Any,
    live_server: Any,
) -> None:
    m = live_meeting
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": m["session"], "url": live_server.url}]
    )

    # The attendance page (a plain form): a member absent with a reason, saved by Enter.
    page.goto(f"/meetings/{m['pk']}/attendance/")
    absent = m["absent"]
    tab_to(page, f"input[name=status_{absent}]")
    choose_with_arrows(page, f"status_{absent}", "absent_excused")
    tab_to(page, f"#reason-{absent}")
    page.keyboard.type("Ốm")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # submits the form
    page.goto(f"/meetings/{m['pk']}/attendance/")  # what was saved
    assert checked_value(page, f"status_{absent}") == "absent_excused"
    assert page.locator(f"#reason-{absent}").input_value() == "Ốm"

    # The live minutes: the attendance opens with Enter, an item's notes are typed and
    # saved as typed, a speaker is found by name and added, all by keyboard.
    page.goto(f"/meetings/{m['pk']}/live/")
    tab_to(page, "#live-attendance summary")
    page.keyboard.press("Enter")
    assert page.locator("#live-attendance details").get_attribute("open") is not None
    late = m["members"][0][0]
    tab_to(page, f"input[name=status_{late}]")
    choose_with_arrows(page, f"status_{late}", "late")
    tab_to(page, "#attendance-form button[type=submit]")
    page.keyboard.press("Enter")
    page.locator("#attendance-form p.saved").wait_for()

    item = m["items"][0]
    tab_to(page, f"#t-item_{item}")
    page.keyboard.type("Chi bộ thảo luận bằng bàn phím.")
    page.locator(f"#s-item_{item} .saved").wait_for()

    speaker = m["members"][1][1]
    tab_to(page, f"#sp-{item} summary")
    page.keyboard.press("Enter")
    tab_to(page, f"#find-{item}")
    page.keyboard.type(speaker)
    tab_to(page, f"#gist-{item}")
    page.keyboard.type("Nói bằng bàn phím.")
    tab_to(page, f"#sp-{item} button[type=submit]")
    page.keyboard.press("Enter")
    page.locator(f"#sp-{item} li", has_text="Nói bằng bàn phím.").wait_for()
    assert speaker in page.locator(f"#sp-{item} li").first.inner_text()
