"""The browser fixture: Debian's Chromium driven by Playwright, at phone size.

Every HTML document that reaches a test's pages (the fixture's and any context the test
opens on the same browser) is checked once the test is over: axe-core's WCAG 2.1 A/AA rules
at phone and desktop size, no sideways scrolling and no tap target under 44×44 px at 360 px
(tests/browser/a11y.py). A problem fails the test at teardown, listed by page.

Without Chromium the browser tests are skipped with the reason, except where
CHIBO_REQUIRE_BROWSER=1 (CI), where a missing browser fails.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test import Client
from django.test.testcases import LiveServerThread
from django.utils import timezone

from chibo.meetings import services
from chibo.meetings.models import MeetingKind
from chibo.members.models import Member
from chibo.orgs.models import Unit
from tests.browser.a11y import Recorder, check_documents
from tests.conftest import build_cast

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


class OneRequestAtATime(ThreadedWSGIServer):
    """The live server of the browser tests. On SQLite the test database lives in memory
    and the server's threads share the test's one connection (pytest-django hands it to
    them); two requests at once on that connection can wait on each other for good (seen:
    the supervision plan beside the poll of the to-do badge, both stopped inside SQLite).
    There the application answers one request at a time; connections stay open between
    requests as before. With a database of its own per thread (PostgreSQL), nothing
    changes."""

    def set_app(self, application: Any) -> None:
        if not getattr(self, "connections_override", None):
            super().set_app(application)
            return
        lock = threading.Lock()

        def one_at_a_time(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            with lock:
                answer: Iterable[bytes] = application(environ, start_response)
                return answer

        super().set_app(one_at_a_time)


LiveServerThread.server_class = OneRequestAtATime  # type: ignore[attr-defined]


@pytest.fixture
def chromium(live_server: Any, transactional_db: None) -> Iterator[Any]:
    """A fresh Chromium (nothing recorded: see `page`)."""
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
            yield browser
            browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def page(live_server: Any, chromium: Any) -> Iterator[Any]:
    """A phone-sized page of a fresh Chromium, pointed at the live server; every document
    its contexts receive is checked when the test is over (tests/browser/a11y.py).

    Tests read what they need from the database before asking for the page: inside
    Playwright's sync context the ORM would open a connection nobody closes.
    """
    browser = chromium
    recorder = Recorder()
    new_context = browser.new_context

    def recorded_context(*args: Any, **kwargs: Any) -> Any:
        context = new_context(*args, **kwargs)
        recorder.attach(context)
        return context

    # Contexts the test opens itself (another phone, another user) are recorded too.
    browser.new_context = recorded_context
    # The service worker is blocked here: its precaching of the meeting pages would send
    # requests beside the test's own to the live server, whose in-memory SQLite database
    # then deadlocked a request in the whole suite. The offline tests open phones of their
    # own (test_offline_flow.phone_page), where it runs.
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        locale="vi-VN",
        service_workers="block",
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    # Let requests in flight finish and drop keep-alive connections, so that no
    # server thread still holds a database connection when the test database goes.
    page.wait_for_load_state("networkidle")
    page.goto("about:blank")
    context.close()
    browser.new_context = new_context
    problems = check_documents(browser, live_server.url, list(recorder.documents.values()))
    assert not problems, "Pages fail the accessibility checks:\n" + "\n".join(problems)


@pytest.fixture
def live_meeting(transactional_db: None) -> dict[str, Any]:
    """An extraordinary meeting of bithu1's cell today with four agenda items, and
    bithu1's session (read before Playwright's loop starts)."""
    if not Unit.objects.exists():  # an earlier transactional test flushed the cast
        build_cast()
    cell = Unit.objects.select_related("kind").get(code="X001.01")
    now = timezone.localtime().replace(second=0, microsecond=0)
    meeting = services.plan_meeting(
        unit=cell, kind=MeetingKind.EXTRAORDINARY, scheduled_at=now, place="Nhà văn hóa", by=None
    )
    for title in ("Mục hai", "Mục ba", "Mục bốn"):
        services.add_agenda_item(meeting=meeting, title=title, kind="other", by=None)
    members = [m for m, _row in services.attendance_roster(meeting)]
    client = Client()
    client.force_login(get_user_model().objects.get(username="bithu1"))
    return {
        "pk": meeting.pk,
        "items": list(meeting.items.order_by("order").values_list("pk", flat=True)),
        "members": [(m.pk, m.full_name) for m in members],
        "absent": members[-1].pk,
        "owner": Member.objects.get(user__username="dangvien1").full_name,
        "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "day": now.strftime("%Y-%m-%d"),
    }
