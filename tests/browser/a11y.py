"""Checks every page the browser tests see must pass: axe-core's WCAG 2.1 A/AA rules, no
sideways scrolling at 360 px, and tap targets of at least 44×44 px (WCAG 2.2, 2.5.5
enhanced, with its exception for links inside a sentence).

The browser fixture records every HTML document the server sends to a test's pages
(`Recorder`, a route on each browser context) and, once the test is over, replays each one
at phone and desktop size in a context of its own (`check_documents`): the checks never
disturb the test, and a new browser test is covered without doing anything.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

AXE_VERSION = "4.14.1"
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1366, "height": 768}
MIN_TARGET = 44

# What changes from one load of a page to the next without changing the page.
_VOLATILE = re.compile(rb'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]*')
_DROPPED_HEADERS = {"content-encoding", "content-length", "transfer-encoding"}


@dataclass
class Document:
    """One HTML document as the server sent it to a test's page."""

    url: str
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")


class Recorder:
    """Keeps every distinct HTML document that reaches the pages of the contexts it is
    attached to (redirects are left to the browser, so each step is seen)."""

    def __init__(self) -> None:
        self.documents: dict[str, Document] = {}

    def attach(self, context: Any) -> None:
        context.route(lambda url: "/static/" not in url, self._route)

    def _route(self, route: Any) -> None:
        request = route.request
        # Chromium hands an intercepted upload over without its files: let it through.
        upload = "multipart/form-data" in (request.headers.get("content-type") or "")
        if request.resource_type != "document" or upload:
            route.fallback()
            return
        try:
            response = route.fetch(max_redirects=0)
        except Exception:  # offline, or the page went away: the browser decides
            route.fallback()
            return
        headers = response.headers
        html = headers.get("content-type", "").startswith("text/html")
        if html and not 300 <= response.status < 400:
            body = response.body()
            digest = hashlib.sha256(_VOLATILE.sub(b"", body)).hexdigest()
            self.documents.setdefault(
                request.url.split("#")[0] + digest,
                Document(request.url, response.status, dict(headers), body),
            )
        route.fulfill(response=response)


def inject_axe(page: Any) -> None:
    # page.evaluate runs outside the page's Content-Security-Policy, which forbids eval.
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))


def axe_violations(page: Any) -> list[str]:
    """axe-core's violations of the WCAG 2.1 A and AA rules, one line each."""
    inject_axe(page)
    return list(
        page.evaluate(
            """async (tags) => {
              const result = await axe.run(document, {
                runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
              return result.violations.map((v) =>
                `${v.id} (${v.impact}): ${v.help} — ` +
                v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(" | "));
            }""",
            WCAG_TAGS,
        )
    )


def sideways_scroll(page: Any) -> list[str]:
    """Why the page scrolls sideways, if it does: the elements that stick out to the right
    (outside any element that scrolls on its own)."""
    return list(
        page.evaluate(
            """() => {
              const width = document.documentElement.clientWidth;
              if (document.documentElement.scrollWidth <= width + 1) return [];
              const scrolls = (el) => {
                for (let p = el.parentElement; p; p = p.parentElement) {
                  const o = getComputedStyle(p).overflowX;
                  if (o === "auto" || o === "scroll" || o === "hidden") return true;
                }
                return false;
              };
              const out = [];
              for (const el of document.body.querySelectorAll("*")) {
                const r = el.getBoundingClientRect();
                const shown = el.checkVisibility({visibilityProperty: true});
                if (shown && r.right > width + 1 && r.width > 0 && !scrolls(el)) {
                  const name = (el.textContent || "").trim().slice(0, 30);
                  out.push(`${el.tagName.toLowerCase()}.${el.className} "${name}"`
                    + ` ends at ${Math.round(r.right)}px`);
                }
                if (out.length >= 5) break;
              }
              return [`scrolls sideways (${document.documentElement.scrollWidth}px > ${width}px)`,
                      ...out];
            }"""
        )
    )


def small_targets(page: Any, minimum: int = MIN_TARGET) -> list[str]:
    """Visible controls and links smaller than `minimum` px either way; a check box or radio
    button counts with its label, a link inside a sentence is exempt (WCAG 2.5.5)."""
    return list(
        page.evaluate(
            """(minimum) => {
              const selector = 'a[href], button, input:not([type=hidden]), select, textarea,'
                + ' summary, [role=button], [tabindex]:not([tabindex="-1"], [role=region])';
              const letters = (s) => (s.match(/\\p{L}/gu) || []).length;
              const out = [];
              for (const el of document.querySelectorAll(selector)) {
                if (!el.checkVisibility({visibilityProperty: true})) continue;
                let box = el;
                if (el.matches("input[type=checkbox], input[type=radio]")) {
                  box = el.closest("label")
                    || (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`))
                    || el;
                }
                const r = box.getBoundingClientRect();
                if (r.width === 0 || r.height === 0) continue;
                if (r.width >= minimum - 0.5 && r.height >= minimum - 0.5) continue;
                if (getComputedStyle(el).display === "inline") {
                  let block = el.parentElement;
                  while (block && getComputedStyle(block).display.startsWith("inline")) {
                    block = block.parentElement;
                  }
                  if (block) {
                    const text = block.cloneNode(true);
                    text.querySelectorAll(selector).forEach((t) => t.remove());
                    if (letters(text.textContent || "") >= 12) continue;  // in a sentence
                  }
                }
                const name = (el.textContent || el.getAttribute("aria-label")
                  || el.getAttribute("name") || "").trim().replace(/\\s+/g, " ").slice(0, 30);
                out.push(`${el.tagName.toLowerCase()} "${name}" ${Math.round(r.width)}×`
                  + `${Math.round(r.height)}px`);
              }
              return out;
            }""",
            minimum,
        )
    )


def phone_problems(page: Any) -> list[str]:
    """Sideways scrolling and small targets of the page as it is now."""
    return sideways_scroll(page) + [f"small target: {t}" for t in small_targets(page)]


def _replayer(current: list[Document]) -> Any:
    """A route handler that answers the navigation to the last document of `current` with
    it, lets static files through and refuses anything else (htmx requests, feeds)."""

    def replay(route: Any) -> None:
        request = route.request
        document = current[-1]
        if request.resource_type == "document" and request.url == document.url:
            headers = {
                k: v for k, v in document.headers.items() if k.lower() not in _DROPPED_HEADERS
            }
            route.fulfill(status=document.status, headers=headers, body=document.body)
        elif "/static/" in request.url:
            route.fallback()
        else:
            route.abort()

    return replay


def check_documents(browser: Any, base_url: str, documents: list[Document]) -> list[str]:
    """Replays each recorded document alone (its scripts and styles load; any other request
    is refused) at phone and desktop size; returns every problem found, by page."""
    problems: list[str] = []
    for size, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = browser.new_context(
            base_url=base_url,
            viewport=viewport,
            service_workers="block",
            has_touch=size == "phone",
        )
        current: list[Document] = []
        context.route("**/*", _replayer(current))
        page = context.new_page()
        try:
            for document in documents:
                current.append(document)
                page.goto(document.url, wait_until="load")
                found = [f"axe {v}" for v in axe_violations(page)]
                if size == "phone":
                    found += phone_problems(page)
                problems += [f"{size} {document.path}: {p}" for p in found]
        finally:
            context.close()
    return problems
