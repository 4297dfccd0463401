"""`chibo bench`'s `phone` key (issue 22): the meeting page and the attendance form of the
secretary's next meeting in Chromium on a rural connection (Slow 3G: 400 kbit/s each way,
400 ms round trip, by the DevTools protocol's Network.emulateNetworkConditions), served by
gunicorn with production settings (WhiteNoise's compressed static files), at 390×844.

For each page, two visits: the first (nothing cached, no service worker) and a repeat one
(the service worker installed and the page kept by it): bytes transferred over the network
(encoded, headers included) and the time until the form is usable (DOMContentLoaded: the
style sheets applied and the deferred scripts, htmx among them, run). The service worker's
own requests are throttled too (the same conditions are set on its target), so that a
repeat visit's page asked through it pays the same network.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model

from chibo.demo.bench import free_port, session_cookie
from chibo.meetings.models import Meeting
from chibo.meetings.offline import offline_meetings

# Chrome DevTools' "Slow 3G" as the issue states it: 400 kbit/s, 400 ms round trip.
SLOW_3G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400 * 1000 / 8,
    "uploadThroughput": 400 * 1000 / 8,
}
BUDGET = {"first_kb": 60, "first_seconds": 3.0, "repeat_seconds": 1.0}
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


def _meeting() -> Meeting | None:
    """bithu1's current or next meeting, one whose pages the phone keeps."""
    user = get_user_model().objects.get(username="bithu1")
    return next((m for m, manages in offline_meetings(user) if manages), None)


def _start_server(port: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(  # noqa: S603 - our own server
        [sys.executable, "-m", "gunicorn", "chibo.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}",
         "--log-level", "warning"],
        env=dict(os.environ),
    )  # fmt: skip
    deadline = time.time() + 30
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health/")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            pass
        if time.time() > deadline:
            server.terminate()
            raise RuntimeError("gunicorn did not start")
        time.sleep(0.2)


class Throttled:
    """The page's and the service worker's network, emulated and counted."""

    def __init__(self, browser: Any, page: Any) -> None:
        self.bytes = 0
        self.requests = 0
        self.page_cdp = page.context.new_cdp_session(page)
        self.page_cdp.on("Network.loadingFinished", self._finished)
        self.page_cdp.send("Network.enable")
        self.page_cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        self.browser_cdp = browser.new_browser_cdp_session()
        self.browser_cdp.on("Target.receivedMessageFromTarget", self._from_worker)
        self.workers: set[str] = set()

    def _finished(self, event: dict[str, Any]) -> None:
        self.bytes += int(event.get("encodedDataLength", 0))
        self.requests += 1

    def _from_worker(self, event: dict[str, Any]) -> None:
        message = json.loads(event.get("message", "{}"))
        if message.get("method") == "Network.loadingFinished":
            self._finished(message["params"])

    def throttle_workers(self) -> None:
        """Emulate the same network in the service worker (attached once)."""
        targets = self.browser_cdp.send("Target.getTargets")["targetInfos"]
        for target in targets:
            if target["type"] != "service_worker" or target["targetId"] in self.workers:
                continue
            self.workers.add(target["targetId"])
            session = self.browser_cdp.send(
                "Target.attachToTarget", {"targetId": target["targetId"], "flatten": False}
            )["sessionId"]
            for n, (method, params) in enumerate(
                [("Network.enable", {}), ("Network.emulateNetworkConditions", SLOW_3G)], start=1
            ):
                self.browser_cdp.send(
                    "Target.sendMessageToTarget",
                    {
                        "sessionId": session,
                        "message": json.dumps({"id": n, "method": method, "params": params}),
                    },
                )

    def reset(self) -> None:
        self.bytes = 0
        self.requests = 0


def _visit(page: Any, net: Throttled, path: str, ready: str) -> dict[str, Any]:
    net.reset()
    page.goto(path, wait_until="domcontentloaded", timeout=60_000)
    page.locator(ready).first.wait_for(timeout=60_000)
    usable_ms = page.evaluate(
        "() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"
    )
    page.wait_for_load_state("load", timeout=60_000)
    # Whether a service worker answered the page (workerStart is 0 without one).
    served_by_worker = page.evaluate(
        "() => performance.getEntriesByType('navigation')[0].workerStart > 0"
    )
    return {
        "kb": round(net.bytes / 1024, 1),
        "requests": net.requests,
        "usable_seconds": round(usable_ms / 1000, 2),
        "service_worker": served_by_worker,
    }


def measure_phone() -> dict[str, Any]:
    """The figures of the `phone` key (or why there are none)."""
    meeting = _meeting()
    if meeting is None:
        return {"skipped": "bithu1 has no current or next meeting"}
    if not os.path.exists(CHROMIUM):
        return {"skipped": f"no Chromium at {CHROMIUM}"}
    from playwright.sync_api import sync_playwright

    cookie = session_cookie("bithu1").split("=", 1)[1]
    port = free_port()
    server = _start_server(port)
    base = f"http://localhost:{port}"
    pages = {
        "meeting": (f"/meetings/{meeting.pk}/", "main h1"),
        "attendance": (f"/meetings/{meeting.pk}/attendance/", "#attendance-form button"),
    }
    result: dict[str, Any] = {"network": "Slow 3G (400 kbit/s, 400 ms RTT)", "budget": BUDGET}
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            for name, (path, ready) in pages.items():
                # A fresh phone for each page: its first visit finds nothing cached.
                context = browser.new_context(
                    base_url=base,
                    viewport={"width": 390, "height": 844},
                    has_touch=True,
                    is_mobile=True,
                    locale="vi-VN",
                )
                context.add_cookies(
                    [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base}]
                )
                page = context.new_page()
                net = Throttled(browser, page)
                first = _visit(page, net, path, ready)
                # The worker installs and keeps the meeting's pages (the meeting page asks it).
                page.evaluate("() => navigator.serviceWorker.ready.then(() => true)")
                net.throttle_workers()
                page.wait_for_function(
                    """async (path) => {
                      for (const name of await caches.keys()) {
                        if (name.startsWith("chibo-pages-")
                            && await (await caches.open(name)).match(path)) return true;
                      }
                      return false;
                    }""",
                    arg=pages["attendance"][0],
                    timeout=120_000,
                )
                page.goto("about:blank")
                repeat = _visit(page, net, path, ready)
                result[name] = {"first": first, "repeat": repeat}
                context.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    result["within_budget"] = all(
        result[name]["first"]["kb"] <= BUDGET["first_kb"]
        and result[name]["first"]["usable_seconds"] <= BUDGET["first_seconds"]
        and result[name]["repeat"]["usable_seconds"] <= BUDGET["repeat_seconds"]
        for name in pages
    )
    return result


def phone_table(phone: dict[str, Any]) -> str:
    if "skipped" in phone:
        return f"phone: skipped ({phone['skipped']})\n"
    lines = [f"phone ({phone['network']}):"]
    for name in ("meeting", "attendance"):
        for visit in ("first", "repeat"):
            v = phone[name][visit]
            lines.append(
                f"  {name:<11}{visit:<7}{v['kb']:>7} KB {v['requests']:>3} requests "
                f"{v['usable_seconds']:>6} s usable"
                + (" (service worker)" if v["service_worker"] else "")
            )
    lines.append(
        f"  budget: first ≤ {BUDGET['first_kb']} KB and ≤ {BUDGET['first_seconds']} s, "
        f"repeat ≤ {BUDGET['repeat_seconds']} s: {'met' if phone['within_budget'] else 'NOT met'}"
    )
    return "\n".join(lines) + "\n"
