"""The read replica (chibo.lib.replica): which reads go to it, the pin that lets a user who
has just written read their own writes, and a real streaming standby.

The router and the pin are tested everywhere. The rest needs `DATABASE_REPLICA_URL` naming a
streaming standby of the PostgreSQL of `DATABASE_URL` (`.ci/run` starts one with
`tools/pg_standby` and sets CHIBO_REQUIRE_REPLICA=1, where these tests may not be skipped).
The replica's test database is the primary's (a test mirror, settings.py), which the standby
holds once it has replayed its creation: the cast, committed before the tests, is on both;
what a test writes inside its transaction is on the primary only, never on the standby, so a
read that finds it was served by the primary.
"""

from __future__ import annotations

import os
import time
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core import signing
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext, override_settings

from chibo.lib import replica

CONFIGURED = "replica" in settings.DATABASES
REQUIRED = os.environ.get("CHIBO_REQUIRE_REPLICA") == "1"
# The tests on a standby: skipped without one, with both databases open to them.
without_replica = pytest.mark.skipif(not CONFIGURED, reason="DATABASE_REPLICA_URL is not set")
both_databases = pytest.mark.django_db(databases=["default", "replica"] if CONFIGURED else None)


def test_the_replica_tests_run_where_they_are_required() -> None:
    if REQUIRED:
        assert CONFIGURED, "CHIBO_REQUIRE_REPLICA=1 but DATABASE_REPLICA_URL is not set"


# --- the router and the pin, with or without a replica -----------------------------------------


@pytest.fixture
def usable_replica(monkeypatch: pytest.MonkeyPatch) -> None:
    """The router's decisions as with a replica that keeps up (no database is asked)."""
    monkeypatch.setattr(replica, "configured", lambda: True)
    monkeypatch.setattr(replica, "replica_usable", lambda: True)


def test_only_reads_inside_the_context_go_to_the_replica(usable_replica: None) -> None:
    router = replica.ReplicaRouter()
    assert router.db_for_read(User) == DEFAULT_DB_ALIAS
    with replica.reads_from_replica():
        assert router.db_for_read(User) == "replica"
        assert router.db_for_write(User) == DEFAULT_DB_ALIAS
        # What the request machinery reads and writes back stays on the primary.
        from django.contrib.sessions.models import Session

        assert router.db_for_read(Session) == DEFAULT_DB_ALIAS
        with replica.pinned_to_primary():
            assert router.db_for_read(User) == DEFAULT_DB_ALIAS
        assert router.db_for_read(User) == "replica"
    assert router.db_for_read(User) == DEFAULT_DB_ALIAS
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "orgs") is True
    assert router.allow_migrate("replica", "orgs") is False


def test_a_decorated_view_reads_from_the_replica(usable_replica: None) -> None:
    seen = []

    @replica.reads_from_replica()
    def view() -> None:
        seen.append(replica.read_alias())

    view()
    view()
    assert seen == ["replica", "replica"]
    assert replica.read_alias() == DEFAULT_DB_ALIAS


def test_without_a_replica_or_while_it_lags_the_primary_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with replica.reads_from_replica():
        if not CONFIGURED:
            assert replica.read_alias() == DEFAULT_DB_ALIAS
        monkeypatch.setattr(replica, "configured", lambda: True)
        lags: list[float | None] = [0.2, 4.9, 5.1, None]
        monkeypatch.setattr(replica, "measure_lag", lambda: lags.pop(0))
        with override_settings(REPLICA_MAX_LAG=5):
            answers = []
            for second in range(4):
                replica.forget_health()
                answers.append(replica.health(now=1000.0 + second).usable)
            assert answers == [True, True, False, False]
            # Asked at most once a second: within it, the last measure holds.
            replica.forget_health()
            lags[:] = [0.0, 60.0]
            assert replica.health(now=2000.0).usable
            assert replica.health(now=2000.5).usable
            assert not replica.health(now=2001.0).usable
            # While another thread measures, an older measure bounds nothing: the primary.
            lags[:] = [0.0]
            assert replica.health(now=3000.0).usable
            with replica._health_lock:
                assert not replica.health(now=3001.5).usable
    replica.forget_health()


def _answer(request: HttpRequest) -> HttpResponse:
    return HttpResponse(replica.read_alias())


def test_a_request_that_writes_pins_its_browser_to_the_primary(usable_replica: None) -> None:
    middleware = replica.ReadYourWritesMiddleware(replica.reads_from_replica()(_answer))
    factory = RequestFactory()
    assert _body(middleware(factory.get("/"))) == b"replica"
    posted = middleware(factory.post("/"))
    assert _body(posted) == b"default"  # the rest of the writing request too
    cookie = posted.cookies[replica.PIN_COOKIE]
    assert cookie["httponly"]
    assert int(cookie["max-age"]) == settings.REPLICA_PIN_SECONDS + 1
    # The browser's next requests, while the pin lasts.
    pinned = factory.get("/")
    pinned.COOKIES[replica.PIN_COOKIE] = cookie.value
    assert _body(middleware(pinned)) == b"default"
    now = time.time()
    assert replica.pinned_by(pinned, now=now + settings.REPLICA_PIN_SECONDS - 1)
    assert not replica.pinned_by(pinned, now=now + settings.REPLICA_PIN_SECONDS + 2)
    # A cookie that ran out, or was not signed here, pins nothing.
    for value in (_pin_cookie(until=now - 1), str(now + 60)):
        request = factory.get("/")
        request.COOKIES[replica.PIN_COOKIE] = value
        assert _body(middleware(request)) == b"replica"
    for method in ("put", "patch", "delete"):
        answer = middleware(getattr(factory, method)("/"))
        assert _body(answer) == b"default"
        assert replica.PIN_COOKIE in answer.cookies
    assert replica.PIN_COOKIE not in middleware(factory.head("/")).cookies


def _body(response: HttpResponseBase) -> bytes:
    assert isinstance(response, HttpResponse)
    return response.content


def _pin_cookie(*, until: float) -> str:
    return signing.get_cookie_signer(salt=replica.PIN_COOKIE + replica.PIN_SALT).sign(
        str(int(until))
    )


# --- on a real standby -------------------------------------------------------------------------


@pytest.fixture
def standby() -> Any:
    """The replica connection, caught up with everything the primary committed so far."""
    if not CONFIGURED:
        pytest.skip("DATABASE_REPLICA_URL is not set")
    connection = connections["replica"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        in_recovery = cursor.fetchone()[0]
    if not in_recovery:
        message = "DATABASE_REPLICA_URL does not name a standby"
        (pytest.fail if REQUIRED else pytest.skip)(message)
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()")
        lsn = cursor.fetchone()[0]
    _wait_for(connection, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])
    replica.forget_health()
    yield connection
    replica.forget_health()


def _wait_for(connection: Any, sql: str, params: list[Any], seconds: float = 20) -> float:
    """Seconds until `sql` answers true on `connection` (fails after `seconds`)."""
    start = time.perf_counter()
    while True:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if cursor.fetchone()[0]:
                return time.perf_counter() - start
        if time.perf_counter() - start > seconds:
            pytest.fail(f"the standby did not catch up in {seconds} s: {sql}")
        time.sleep(0.01)


@pytest.mark.parametrize(
    ("username", "url", "table"),
    [
        ("bantochuc", "/units/LV/dashboard/?period=2026", "meetings_cellmonth"),
        ("uyvien1", "/units/X001/dashboard/months.csv?period=2026", "meetings_cellmonth"),
        ("bantochuc", "/units/LV/members/export.xlsx", "members_member"),
        ("bantochuc", "/units/LV/classification/export/?year=2025", "scoring_annualrating"),
        ("bantochuc", "/search/?q=nguyen", "members_member"),
    ],
)
@without_replica
@both_databases
def test_dashboards_exports_and_search_read_from_the_standby(
    standby: Any, cast: dict[str, User], username: str, url: str, table: str
) -> None:
    client = Client()
    client.force_login(cast[username])
    with (
        CaptureQueriesContext(standby) as on_standby,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary,
    ):
        response = client.get(url)
    assert response.status_code == 200
    assert any(table in q["sql"] for q in on_standby), url
    # The primary answers who the user is and what they may do, not the page's figures.
    assert not any(table in q["sql"] for q in on_primary), url


@without_replica
@both_databases
def test_the_periodic_report_reads_its_figures_from_the_standby(
    standby: Any, cast: dict[str, User]
) -> None:
    from chibo.orgs.models import Unit
    from chibo.reports.periodic import reserve, write_report
    from chibo.reports.periods import parse

    report = reserve(Unit.objects.get(code="LV"), parse("2025"), cast["bantochuc"])
    with CaptureQueriesContext(standby) as on_standby:
        write_report(report, cast["bantochuc"])
    assert any("meetings_cellmonth" in q["sql"] for q in on_standby)
    report.refresh_from_db()  # written on the primary
    assert report.state == "done"


NEW_MEMBER = {
    "full_name": "Lê Thị Bản Sao",
    "gender": "female",
    "birth_date": "1995-01-02",
    "admitted_on": "2020-03-03",
    "card_number": "81239999",
    "religion": "Không",
    "ethnicity": "Kinh",
}


@without_replica
@both_databases
def test_a_user_who_has_just_written_reads_their_own_writes(
    standby: Any, cast: dict[str, User]
) -> None:
    # The new member is written in the test's transaction: on the primary, never on the
    # standby. Finding it proves the search read the primary.
    writer = Client()
    writer.force_login(cast["bithu1"])
    response = writer.post("/units/X001.01/members/new/", NEW_MEMBER)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert replica.PIN_COOKIE in response.cookies

    def finds(client: Client) -> bool:
        with CaptureQueriesContext(standby) as on_standby:
            page = client.get("/search/?q=ban+sao").content.decode()
        return "Lê Thị Bản Sao" in page and not on_standby

    assert finds(writer)  # pinned: from the primary
    # Another browser of the same secretary, which wrote nothing, reads the standby.
    other = Client()
    other.force_login(cast["bithu1"])
    assert not finds(other)
    # Once the pin has run out, the writer reads the standby too.
    writer.cookies[replica.PIN_COOKIE] = _pin_cookie(until=time.time() - 1)
    assert not finds(writer)


@without_replica
@both_databases
def test_the_standby_streams_the_primarys_commits_and_refuses_writes(standby: Any) -> None:
    # A connection of its own to the primary's test database, outside the test's
    # transaction: what it commits streams to the standby.
    primary = connections.create_connection(DEFAULT_DB_ALIAS)
    name = f"replica-probe-{os.getpid()}"
    try:
        with primary.cursor() as cursor:
            cursor.execute("INSERT INTO auth_group (name) VALUES (%s)", [name])
        seconds = _wait_for(
            standby, "SELECT EXISTS (SELECT FROM auth_group WHERE name = %s)", [name]
        )
        assert seconds < 5
        assert Group.objects.using("replica").filter(name=name).exists()
        # (On a connection of its own: the test's one is inside the test's transaction.)
        refusing = connections.create_connection("replica")
        try:
            with pytest.raises(DatabaseError, match="read-only"), refusing.cursor() as cursor:
                cursor.execute("INSERT INTO auth_group (name) VALUES ('refused')")
        finally:
            refusing.close()
        assert replica.measure_lag() is not None
        assert replica.replica_usable()
    finally:
        with primary.cursor() as cursor:
            cursor.execute("DELETE FROM auth_group WHERE name = %s", [name])
        primary.close()


@without_replica
@both_databases
def test_the_benchmark_measures_the_dashboard_on_the_standby(standby: Any, cast: Any) -> None:
    from chibo.demo import bench

    measured = bench.measure_replica(2, samples=3)
    assert measured["queries_on_replica"] > 10  # the dashboard's figures
    assert measured["dashboard_replica"]["p50_ms"] > 0
    assert measured["dashboard_primary"]["p50_ms"] > 0
    assert 0 <= measured["lag_ms"]["p50"] <= measured["lag_ms"]["max"] < 5000


@without_replica
@both_databases
def test_while_the_standby_cannot_be_reached_the_primary_answers(
    standby: Any, cast: dict[str, User]
) -> None:
    # The replica's address now answers nothing (port 1 refuses at once).
    unreachable = connections.create_connection("replica")
    unreachable.settings_dict = {**unreachable.settings_dict, "PORT": 1}
    connections["replica"] = unreachable
    try:
        replica.forget_health()
        client = Client()
        client.force_login(cast["bantochuc"])
        with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_primary:
            response = client.get("/units/LV/dashboard/?period=2026")
        assert response.status_code == 200
        assert any("meetings_cellmonth" in q["sql"] for q in on_primary)
        assert not replica.health().usable
    finally:
        connections["replica"] = standby
        unreachable.close()
        replica.forget_health()
