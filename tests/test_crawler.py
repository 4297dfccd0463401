"""Each cast member follows every link and form address they can reach from the home page:
nothing answers 500, and nothing of a unit outside their reach is ever shown."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.urls import Resolver404, resolve

from chibo.meetings.models import Meeting
from chibo.members.models import Member
from chibo.orgs.access import has_perm
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm
from tests.conftest import CAST
from tests.crawling import Links, crawl
from tests.factories import complete, planned

pytestmark = pytest.mark.django_db


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
