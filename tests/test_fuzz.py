"""Property-based tests (hypothesis) over every form the cast can reach and over the
parsers: whatever is typed or sent, no answer is a 500, and a submission that is refused
writes nothing. The forms are found by crawling, so that new pages are covered the day they
land."""

from __future__ import annotations

import datetime
import io
import os
from typing import Any
from urllib.parse import urljoin

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chibo.lib.http import year_param
from chibo.members import roster_io
from chibo.reports.periods import PeriodError, parse
from tests.crawling import crawl
from tests.factories import complete, planned
from tests.html_forms import Field, Form, forms_of

pytestmark = pytest.mark.django_db

# Forms whose submission ends the session or the language: not what is tested here.
SKIP_ACTIONS = ("/accounts/logout/", "/i18n/setlang/")
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))

nasty_text = st.one_of(
    st.text(max_size=400),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "<script>alert(1)</script>",
            "' OR 1=1 --",
            "9" * 40,
            "-1",
            "1e309",
            "NaN",
            "2026-02-30",
            "31/12/99999",
            "../../etc/passwd",
            "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ☃ Nguyễn",
            "X" * 5000,
        ]
    ),
)


def value_for(field: Field) -> st.SearchStrategy[str | None]:
    """A value for one field: what the page offered, or something hostile; None leaves
    the field out of the submission."""
    offered = [field.value, *field.options]
    if field.name in ("csrfmiddlewaretoken",):
        return st.just(field.value)
    if field.kind in ("checkbox", "radio"):
        return st.sampled_from([field.value, None])
    return st.one_of(st.sampled_from(offered), nasty_text, st.none())


def table_counts() -> dict[str, int]:
    """Rows per table. Every change to a tracked record adds a history row, so this sees
    updates as well as inserts and deletes."""
    counts = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            if table in ("django_session", "axes_accesslog", "axes_accessattempt"):
                continue
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def reachable_forms(client: Client) -> list[tuple[str, Form]]:
    """One POST form per (view, form action) reachable from the home page."""
    found: dict[tuple[str, str], tuple[str, Form]] = {}
    for path, response in crawl(client):
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        for form in forms_of(response.content.decode()):
            action = urljoin(path, form.action or path).split("#")[0]
            if form.method != "post" or action.startswith(SKIP_ACTIONS):
                continue
            try:
                name = resolve(action.split("?")[0]).view_name
            except Resolver404:
                continue
            key = (name, " ".join(sorted(f.name for f in form.fields)))
            found.setdefault(key, (action, form))
    return list(found.values())


@pytest.mark.parametrize("username", ["admin", "uyvien1", "kiemtra", "tocongtac1", "bithu1"])
def test_no_form_answers_500_and_a_refused_one_writes_nothing(username: str, client_for) -> None:
    complete(planned(code="X001.01"))
    client = client_for(username)
    forms = reachable_forms(client)
    assert len(forms) >= 3, forms

    for action, form in forms:
        fuzz_form(client, action, form)


def fuzz_form(client: Client, action: str, form: Form) -> None:
    @settings(
        max_examples=EXAMPLES,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.fixed_dictionaries({f.name: value_for(f) for f in form.fields}))
    def submit(data: dict[str, Any]) -> None:
        sent = {name: value for name, value in data.items() if value is not None}
        before = table_counts()
        response = client.post(action, sent)
        assert response.status_code != 500, (action, sent)
        if response.status_code in (200, 400, 403, 404, 405):  # refused
            assert table_counts() == before, (action, sent)

    submit()


# --- parsers --------------------------------------------------------------------------------


@given(st.text(max_size=60))
def test_a_period_parses_or_says_why(text: str) -> None:
    try:
        period = parse(text)
    except PeriodError as error:
        message = str(error)
        assert message
    else:
        assert period.start <= period.end


@given(st.one_of(st.text(max_size=30), st.integers(), st.floats(), st.dates(), st.none()))
def test_a_roster_date_parses_or_says_why(value: Any) -> None:
    try:
        parsed = roster_io.parse_date(value)
    except ValueError as error:
        message = str(error)
        assert message
    else:
        assert isinstance(parsed, datetime.date)


@settings(max_examples=60)
@given(st.binary(max_size=3000), st.sampled_from(["a.xlsx", "a.csv", "a.ods", ""]))
def test_any_bytes_are_read_as_a_roster_or_refused_with_a_message(data: bytes, name: str) -> None:
    try:
        _total, rows = roster_io.read_rows(io.BytesIO(data), name)
        for _number, cells in rows:
            assert isinstance(cells, list)
    except roster_io.ImportFileError as error:
        message = str(error)
        assert message


@given(st.text(max_size=20))
def test_any_year_parameter_gives_a_usable_year(text: str) -> None:
    request = RequestFactory().get("/", {"year": text})
    assert 2000 <= year_param(request) <= 2100
