"""Following the links of the pages as a person would: every page reachable from the home
page by links and GET forms (tests/test_crawler.py, the fuzzing and hostile-input sweeps and
the content probes walk the site with it)."""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.test import Client
from django.urls import Resolver404, resolve

MAX_PAGES = 250
MAX_PER_NAME = 12  # the same page for other objects adds little
SKIP = re.compile(r"^/(accounts/logout|i18n/setlang|admin/)")


class Links(HTMLParser):
    """The links and GET form addresses of a page, and what the Content-Security-Policy
    would block: inline scripts, event-handler attributes, style attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.inline: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        # A JSON data block (json_script) is never run: the policy does not apply to it.
        if tag == "script" and not values.get("src") and values.get("type") != "application/json":
            self.inline.append("<script> without src")
        if tag == "style":
            self.inline.append("<style>")
        self.inline += [name for name in values if name.startswith("on") or name == "style"]
        self.inline += [name for name in values if name.startswith("hx-on")]
        target = values.get("href") if tag == "a" else None
        if tag == "form" and (values.get("method") or "get").lower() == "get":
            target = values.get("action") or ""
        if target is not None:
            self.found.append(target)


def crawl(
    client: Client, max_pages: int = MAX_PAGES, max_per_name: int = MAX_PER_NAME
) -> Iterator[tuple[str, Any]]:
    """Every page reachable from the home page by links and GET forms (at most
    `max_per_name` pages of one URL name), with its response."""
    queue: deque[str] = deque(["/"])
    seen: set[str] = {"/"}
    names: Counter[str] = Counter()
    visited = 0
    while queue and visited < max_pages:
        path = queue.popleft()
        response = client.get(path)
        visited += 1
        yield path, response
        content_type = response.get("Content-Type", "")
        if response.status_code != 200 or not content_type.startswith("text/html"):
            continue
        parser = Links()
        parser.feed(response.content.decode())
        for link in parser.found:
            url = urljoin(path, link)
            parts = urlsplit(url)
            if parts.netloc or not parts.path.startswith("/") or SKIP.match(parts.path):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if target in seen:
                continue
            try:
                name = resolve(parts.path).view_name
            except Resolver404:
                name = parts.path
            if names[name] >= max_per_name:
                continue
            names[name] += 1
            seen.add(target)
            queue.append(target)
