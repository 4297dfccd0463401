"""Each cast member follows every link and form address they can reach from the home page:
nothing answers 500, and nothing of a unit outside their reach is ever shown."""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import Resolver404, resolve

from chibo.meetings.models import Meeting
from chibo.members.models import Member
from chibo.orgs.access import has_perm
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm
from tests.conftest import CAST
from tests.test_meetings import complete, planned

pytestmark = pytest.mark.django_db

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


def allowed(user: User, path: str) -> bool:
    """Whether the page at `path` may be shown to `user` (its unit, meeting or member)."""
    try:
        match = resolve(path)
    except Resolver404:
        return True
    kwargs = match.kwargs
    unit = None
    if "code" in kwargs and match.url_name != "cell_calendar":  # a feed speaks for its owner
        unit = Unit.objects.filter(code=kwargs["code"]).first()
    if match.namespace == "meetings" and "pk" in kwargs and match.url_name != "task_update":
        meeting = Meeting.objects.filter(pk=kwargs["pk"]).select_related("unit").first()
        unit = meeting.unit if meeting else None
    if (
        match.namespace == "members"
        and "pk" in kwargs
        and match.url_name
        not in (
            "import_status",
            "import_confirm",
        )
    ):
        member = Member.objects.filter(pk=kwargs["pk"]).select_related("unit").first()
        unit = member.unit if member else None
    if unit is None:
        return True
    return any(
        has_perm(user, perm, unit)
        for perm in (Perm.VIEW_UNIT, Perm.VIEW_MEETINGS, Perm.VIEW_MEMBERS, Perm.VIEW_SUPERVISION)
    )


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


@pytest.mark.parametrize("username", [name for name in CAST if name != "outsider"] + ["outsider"])
def test_the_crawler_finds_no_error_and_no_leak(username: str, client_for) -> None:
    # Something to find: a held meeting in each of two cells of different communes.
    complete(planned(code="X001.01"))
    complete(planned(code="X002.01"))
    user = User.objects.get(username=username)
    visited = 0
    for path, response in crawl(client_for(username)):
        visited += 1
        assert response.status_code != 500, path
        if response.status_code == 200:
            assert allowed(user, urlsplit(path).path), f"{username} reached {path}"
        if response.get("Content-Type", "").startswith("text/html"):
            parser = Links()
            parser.feed(response.content.decode())
            assert parser.inline == [], f"{path}: {parser.inline}"
    assert visited > (1 if username == "outsider" else 10)
