"""Every demo account's pages on a 360 px phone, in Vietnamese and English: none scrolls
sideways and every tap target is at least 44×44 px (tests/browser/a11y.py).

The pages are those the account reaches from its home page by links and GET forms (the
crawler of tests/test_crawler.py, one page per URL name), after a meeting has been held in
a cell of each of two communes so that meetings, minutes and scores have pages.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from chibo.demo.seed import DEMO_ACCOUNTS
from chibo.orgs.models import Unit
from tests.browser.a11y import PHONE, phone_problems
from tests.conftest import build_cast
from tests.crawling import crawl
from tests.factories import complete, planned

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MAX_PAGES = 80
API_DOCS = "/api/"


@pytest.fixture
def reachable(request: pytest.FixtureRequest, transactional_db: None) -> tuple[str, list[str]]:
    """The session cookie of the account and the pages it reaches (read before the browser
    starts: the ORM stays out of Playwright's event loop)."""
    if not Unit.objects.exists():  # an earlier transactional test flushed the cast
        build_cast()
    complete(planned(code="X001.01"))
    complete(planned(code="X002.01"))
    client = Client()
    client.force_login(User.objects.get(username=request.param))
    pages = [
        path
        for path, response in crawl(client, max_pages=MAX_PAGES, max_per_name=1)
        if response.status_code == 200
        and response["Content-Type"].startswith("text/html")
        # The API's documentation (Swagger UI, vendored as it is) is for a developer at a
        # desk, linked from the API tokens page: not one of the phone's pages.
        and not path.startswith(API_DOCS)
    ]
    return client.cookies["sessionid"].value, pages


@pytest.mark.parametrize("reachable", [name for name, _ in DEMO_ACCOUNTS], indirect=True)
def test_no_page_scrolls_sideways_and_every_target_is_big_enough(
    reachable: tuple[str, list[str]], live_server: Any, chromium: Any
) -> None:
    session, pages = reachable
    assert len(pages) > 3
    problems: list[str] = []
    host = live_server.url.split("//", 1)[1].split(":")[0]
    for language in ("vi", "en"):
        context = chromium.new_context(
            base_url=live_server.url, viewport=PHONE, has_touch=True, service_workers="block"
        )
        context.add_cookies(
            [
                {"name": "sessionid", "value": session, "domain": host, "path": "/"},
                {"name": "django_language", "value": language, "domain": host, "path": "/"},
            ]
        )
        page = context.new_page()
        for path in pages:
            page.goto(path, wait_until="load")
            problems += [f"{language} {path}: {p}" for p in phone_problems(page)]
        page.wait_for_load_state("networkidle")
        context.close()
    assert not problems, "\n".join(problems)
