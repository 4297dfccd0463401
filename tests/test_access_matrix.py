"""Every URL pattern × every cast member → the expected status code.

Later issues add their pages to tests/access_cases.py;
`test_every_url_pattern_is_in_the_matrix` fails as soon as a pattern exists that the matrix
does not cover.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access_cases import ANON, CASES, Case, token_headers
from tests.conftest import CAST


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{c.url_name}" for i, c in enumerate(CASES)])
def test_access_matrix(case: Case, client_for) -> None:
    url = reverse(case.url_name, args=case.args())
    results = {}
    for username in [*CAST, ANON]:
        if case.bearer:
            response = _api_call(case, url, username)
        else:
            response = getattr(client_for(username), case.method)(url)
        results[username or "anonymous"] = response.status_code
    expected = {username or "anonymous": case.expected(username) for username in [*CAST, ANON]}
    assert results == expected, url


def _api_call(case: Case, url: str, username: str | None) -> Any:
    from django.test import Client

    target = f"{url}?{case.query}" if case.query else url
    extra: dict[str, Any] = {"headers": token_headers(username)}
    if case.body is not None:
        extra |= {"data": case.body, "content_type": "application/json"}
    return getattr(Client(), case.method)(target, **extra)


def _pattern_names(resolver: URLResolver, namespace: str = "") -> Iterator[str]:
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _pattern_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}"


def test_every_url_pattern_is_in_the_matrix() -> None:
    covered = {case.url_name for case in CASES}
    # The Django admin guards its own pages (staff only); its index stands for them.
    names = {n for n in _pattern_names(get_resolver()) if not n.startswith("admin:")}
    assert names - covered == set()


def test_every_url_pattern_has_a_name() -> None:
    unnamed = []
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLPattern) and not pattern.name:
            unnamed.append(str(pattern.pattern))
    assert unnamed == []
