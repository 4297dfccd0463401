"""No GET changes data (issue 21, item 8): a link preview, a prefetch, a crawler or a
scanned code must not check anyone in, mark a material read or create a record. Every GET
of the access matrix is sent by each user it admits, by each cast user it turns away (the
outsider among them) and by an anonymous visitor, and no INSERT, UPDATE or DELETE may reach
the database meanwhile (the session store aside: logging in and flash messages are not the
records). A page that refuses must refuse before it writes: a QR check-in or a report
created on opening would otherwise happen for whoever follows the link."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.access_cases import CASES, Case, token_headers
from tests.conftest import CAST

GETS = [case for case in CASES if case.method == "get"]
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
# Not records: the session store, django-axes' log of logins and the last-use stamp of an
# API token (written at most once a minute, so that its owner sees it in the list).
ALLOWED = re.compile(r"django_session|axes_|api_apitoken", re.IGNORECASE)


class Writes:
    """Collects the statements that write (an `execute_wrapper`)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        if WRITE.match(sql) and not ALLOWED.search(sql):
            self.seen.append(sql[:200])
        return execute(sql, params, many, context)


@pytest.mark.parametrize("case", GETS, ids=[f"{i}-{c.url_name}" for i, c in enumerate(GETS)])
def test_a_get_writes_nothing(case: Case, client_for) -> None:
    url = reverse(case.url_name, args=case.args())
    # Everyone: the users it admits, those it turns away, and nobody logged in.
    users: list[str | None] = [*sorted(case.allowed), *sorted(set(CAST) - case.allowed), None]
    if case.bearer:  # the API: each user's token instead of a session
        url = f"{url}?{case.query}" if case.query else url
        clients = [(u, Client(headers=token_headers(u))) for u in users]
    else:
        clients = [(username, client_for(username)) for username in users]
    writes = Writes()
    with connection.execute_wrapper(writes):
        for username, client in clients:
            response = client.get(url)
            assert response.status_code == case.expected(username), (username, url)
    assert writes.seen == [], url
