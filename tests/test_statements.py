"""Statements (chibo.lib.statements): querysets compiled once and run with new values
answer exactly what the same querysets built with those values answer, in one query and
without compiling again, on whichever thread runs them."""

from __future__ import annotations

import datetime
import threading
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.db import connection, connections
from django.db.models import DateField, IntegerField, Model
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chibo.content.access import sent_to
from chibo.content.models import Material, MaterialRead
from chibo.content.panels import materials_of_month
from chibo.content.services import mark_read
from chibo.lib.statements import Param, Run, Statement, run_together
from chibo.meetings.access import meeting_for_user_run
from chibo.meetings.models import Meeting, Task
from chibo.meetings.services import add_task
from chibo.meetings.views import MEETING_TASKS, MEETING_VISITORS
from chibo.members.models import Member
from chibo.orgs.access import GRANTS_WITH_USER, grants_of
from chibo.orgs.models import RoleGrant, Unit
from chibo.orgs.permissions import Perm, Role, Scope
from tests.test_content import publish, this_month
from tests.test_meetings import planned

pytestmark = pytest.mark.django_db

# A meeting by its number with its cell, as a page reads it (the pages read it through
# chibo.meetings.access, whose statement also holds the access check: tested below).
MEETING = Statement(
    lambda: Meeting.objects.select_related("unit", "unit__kind").filter(
        pk=Param("pk", IntegerField())
    )
)


def fields(obj: Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def test_the_grants_statement_answers_what_the_queryset_answers(cast: dict[str, User]) -> None:
    today = timezone.localdate()
    # One grant that ended yesterday and one that starts tomorrow: neither is valid today.
    unit = Unit.objects.get(code="X001")
    RoleGrant.objects.create(
        user=cast["bithu1"], unit=unit, role=Role.UPPER_COMMITTEE, scope=Scope.UNIT,
        valid_from=today - datetime.timedelta(days=30),
        valid_until=today - datetime.timedelta(days=1),
    )  # fmt: skip
    RoleGrant.objects.create(
        user=cast["bithu1"], unit=unit, role=Role.UPPER_COMMITTEE, scope=Scope.UNIT,
        valid_from=today + datetime.timedelta(days=1),
    )  # fmt: skip
    for user in cast.values():
        for day in (today, today - datetime.timedelta(days=2)):
            expected = list(grants_of(user.pk, day).select_related("user"))
            got = GRANTS_WITH_USER(user=user.pk, on=day)
            assert [fields(g) for g in got] == [fields(g) for g in expected], user.username
            assert [fields(g.user) for g in got] == [fields(g.user) for g in expected]
            assert [fields(g.unit) for g in got] == [fields(g.unit) for g in expected]
            assert [fields(g.unit.kind) for g in got] == [fields(g.unit.kind) for g in expected]
    assert len(GRANTS_WITH_USER(user=cast["bithu1"].pk, on=today - datetime.timedelta(days=2))) == (
        len(GRANTS_WITH_USER(user=cast["bithu1"].pk, on=today)) + 1
    )
    assert GRANTS_WITH_USER(user=cast["outsider"].pk, on=today) == []


def test_the_meeting_statements_answer_what_the_querysets_answer(cast: dict[str, User]) -> None:
    meetings = [planned(day=datetime.date(2026, 2, 5)), planned(day=datetime.date(2026, 3, 5))]
    owner = Member.objects.get(user__username="dangvien1")
    for title, deadline in (("Thu đảng phí", 28), ("Phát triển đảng viên", 20)):
        add_task(
            meeting=meetings[0], title=title, deadline=datetime.date(2026, 2, deadline),
            owner=owner, by=None,
        )  # fmt: skip
    add_task(
        meeting=meetings[0], title="Báo cáo", deadline=datetime.date(2026, 2, 28),
        owned_by_committee=True, by=None,
    )  # fmt: skip
    visitor = cast["uyvien1"]
    meetings[-1].visitors.add(visitor)
    with_tasks = 0
    for meeting in meetings:
        (got,) = MEETING(pk=meeting.pk)
        expected = Meeting.objects.select_related("unit", "unit__kind").get(pk=meeting.pk)
        assert fields(got) == fields(expected)
        assert fields(got.unit) == fields(expected.unit)
        assert fields(got.unit.kind) == fields(expected.unit.kind)
        tasks = MEETING_TASKS(meeting=meeting.pk)
        assert [(fields(t), t.owner and fields(t.owner)) for t in tasks] == [
            (fields(t), t.owner and fields(t.owner)) for t in meeting.tasks.select_related("owner")
        ]
        with_tasks += bool(tasks)
        assert MEETING_VISITORS(meeting=meeting.pk) == list(meeting.visitors.all())
    assert with_tasks == 1
    assert len(MEETING_TASKS(meeting=meetings[0].pk)) == 3
    assert MEETING_VISITORS(meeting=meetings[-1].pk) == [visitor]
    assert MEETING(pk=0) == []


def test_the_materials_statement_answers_what_sent_to_answers(cast: dict[str, User]) -> None:
    # Sent to every cell from three levels, to one chosen cell, and last month's.
    for code in ("LV", "X001", "X001.01"):
        publish(code)
    publish("X001", cells=["X001.01"])
    month = this_month()
    last = (month - datetime.timedelta(days=1)).replace(day=1)
    publish("LV", month=last)
    mark_read(Material.objects.filter(unit__code="X001").earliest("pk"), cast["bithu1"])
    assert MaterialRead.objects.exists()
    cells = [Unit.objects.get(code=c) for c in ("X001.01", "X001.02", "X002.01")]
    for unit in [*cells, Unit.objects.get(code="X001"), Unit.objects.get(code="LV")]:
        statement = materials_of_month(len(unit.path) // Unit.steplen)
        values = {f"path{i}": unit.path[: i * Unit.steplen] for i in range(1, unit.depth + 1)}
        for day in (month, last):
            for reader in (cast["bithu1"], cast["dangvien1"]):
                got = statement(month=day, reader=reader.pk, unit=unit.pk, **values)
                expected = list(
                    Material.objects.filter(sent_to(unit), month=day)
                    .select_related("unit")
                    .order_by("kind", "-published_at")[:20]
                )
                assert [fields(m) for m in got] == [fields(m) for m in expected], unit.code
                assert [m.unit.code for m in got] == [m.unit.code for m in expected]
                read = set(
                    MaterialRead.objects.filter(user=reader).values_list("material_id", flat=True)
                )
                assert [m.read_id is not None for m in got] == [m.pk in read for m in got]  # type: ignore[attr-defined]
    x001_01 = materials_of_month(3)(
        month=month, reader=cast["bithu1"].pk, unit=cells[0].pk,
        path1=cells[0].path[:4], path2=cells[0].path[:8], path3=cells[0].path,
    )  # fmt: skip
    assert len(x001_01) == 4  # three to every cell above or at it, one to it


def test_a_run_is_one_query_and_compiles_nothing() -> None:
    meeting = planned()
    MEETING(pk=meeting.pk)  # compiled at its first run, if not yet
    with (
        mock.patch.object(SQLCompiler, "as_sql", side_effect=AssertionError("compiled")),
        CaptureQueriesContext(connection) as captured,
    ):
        (again,) = MEETING(pk=meeting.pk)
    assert len(captured) == 1
    assert again.pk == meeting.pk
    assert again is not MEETING(pk=meeting.pk)[0]  # new objects at each run


def test_values_must_match_the_parameters() -> None:
    with pytest.raises(TypeError, match="takes \\['pk'\\]"):
        MEETING(id=1)
    with pytest.raises(TypeError):
        MEETING()
    with pytest.raises(TypeError):
        MEETING(pk=1, extra=2)
    with pytest.raises((TypeError, ValueError)):
        MEETING(pk="not a number")


def test_a_statement_compiled_on_one_thread_runs_on_another(cast: dict[str, User]) -> None:
    """The compiled statement keeps the connection of the thread that compiled it; a run
    uses its own thread's (Django refuses a connection from another thread, and this
    test's rows exist only in its own transaction)."""
    statement = Statement(
        lambda: Task.objects.filter(meeting=Param("meeting", IntegerField())).select_related(
            "owner"
        )
    )
    errors: list[BaseException] = []

    def compile_elsewhere() -> None:
        try:
            statement._compile()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=compile_elsewhere)
    thread.start()
    thread.join()
    assert not errors
    meeting = planned()
    owner = Member.objects.get(user__username="dangvien1")
    task = add_task(
        meeting=meeting, title="Thu đảng phí", deadline=datetime.date(2026, 3, 28),
        owner=owner, by=None,
    )  # fmt: skip
    assert [t.pk for t in statement(meeting=task.meeting_id)] == list(
        task.meeting.tasks.values_list("pk", flat=True)
    )


def test_a_date_parameter_is_sent_as_a_date_field_sends_it(cast: dict[str, User]) -> None:
    statement = Statement(
        lambda: RoleGrant.objects.active(Param("on", DateField())).filter(user=cast["bithu1"])
    )
    today = timezone.localdate()
    assert {g.pk for g in statement(on=today)} == {
        g.pk for g in RoleGrant.objects.active(today).filter(user=cast["bithu1"])
    }
    assert statement(on=datetime.date(1900, 1, 1)) == []


def meeting_runs(pk: int) -> tuple[Run[Any], ...]:
    return (MEETING.bind(pk=pk), MEETING_TASKS.bind(meeting=pk), MEETING_VISITORS.bind(meeting=pk))


def test_runs_together_answer_what_each_run_answers(cast: dict[str, User]) -> None:
    meetings = [planned(day=datetime.date(2026, 2, 5)), planned(day=datetime.date(2026, 3, 5))]
    owner = Member.objects.get(user__username="dangvien1")
    for title in ("Thu đảng phí", "Phát triển đảng viên"):
        add_task(
            meeting=meetings[0], title=title, deadline=datetime.date(2026, 2, 28),
            owner=owner, by=None,
        )  # fmt: skip
    meetings[-1].visitors.add(cast["uyvien1"], cast["bantochuc"])
    for pk in [m.pk for m in meetings] + [0]:
        with CaptureQueriesContext(connection) as captured:
            found, tasks, visitors = run_together(*meeting_runs(pk))
        assert len(captured) == 3  # each query still counted (and logged) by Django
        alone_found, alone_tasks, alone_visitors = (run.run() for run in meeting_runs(pk))
        assert [(fields(m), fields(m.unit), fields(m.unit.kind)) for m in found] == [
            (fields(m), fields(m.unit), fields(m.unit.kind)) for m in alone_found
        ]
        assert [(fields(t), t.owner and fields(t.owner)) for t in tasks] == [
            (fields(t), t.owner and fields(t.owner)) for t in alone_tasks
        ]
        assert [fields(u) for u in visitors] == [fields(u) for u in alone_visitors]
    assert [len(r) for r in run_together(*meeting_runs(meetings[0].pk))] == [1, 2, 0]
    assert [len(r) for r in run_together(*meeting_runs(meetings[1].pk))] == [1, 0, 2]
    assert run_together(MEETING.bind(pk=meetings[0].pk))[0][0].pk == meetings[0].pk
    assert run_together() == []


def test_runs_must_be_on_one_database() -> None:
    import dataclasses

    run = MEETING.bind(pk=1)
    elsewhere = dataclasses.replace(run, queryset=run.queryset.using("elsewhere"))
    with pytest.raises(ValueError, match="several databases"):
        run_together(run, elsewhere)


on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL only (as in CI)"
)


@on_postgresql
def test_runs_together_are_one_round_trip_on_postgresql() -> None:
    import tempfile

    from psycopg import pq

    pk = planned().pk
    run_together(*meeting_runs(pk))  # the connection is open
    pgconn = connection.connection.pgconn
    with tempfile.TemporaryFile("w+") as trace:
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        try:
            run_together(*meeting_runs(pk))
        finally:
            pgconn.untrace()
        trace.seek(0)
        messages = [" ".join(line.rstrip("\n").split("\t")[:3:2]) for line in trace]
    # All three queries and one Sync go out before the server's first answer comes back.
    first_answer = next(i for i, m in enumerate(messages) if m.startswith("B "))
    sent = messages[:first_answer]
    assert sent.count("F Execute") == 3
    assert sent.count("F Sync") == 1
    assert messages[first_answer:].count("F Sync") == 0
    assert messages.count("B ReadyForQuery") == 1


@on_postgresql
def test_an_error_in_runs_together_is_raised_and_the_connection_goes_on() -> None:
    from django.db import DataError, transaction
    from django.db.models import Value
    from django.db.models.functions import Cast

    broken = Statement(
        lambda: Unit.objects.filter(pk=Param("pk", IntegerField())).annotate(
            n=Cast(Value("not a number"), IntegerField())
        )
    )
    meeting = planned()
    with pytest.raises(DataError), transaction.atomic():
        run_together(MEETING.bind(pk=meeting.pk), broken.bind(pk=1))
    (found,) = MEETING(pk=meeting.pk)
    assert found.pk == meeting.pk


@pytest.mark.parametrize("action", [Perm.VIEW_MEETINGS, Perm.MANAGE_MEETINGS, Perm.CONFIRM_SCORES])
def test_the_meeting_statement_reaches_what_the_access_layer_reaches(
    cast: dict[str, User], action: Perm
) -> None:
    """The meeting pages' statement checks the grants in SQL; it must let through exactly
    the meetings that `Meeting.objects.visible_to` (the grants in Python) lets through."""
    by_unit = {
        cell.pk: planned(cell.code)
        for cell in Unit.objects.cells().filter(members__isnull=False).distinct()
    }
    for user in cast.values():
        reached = set(Meeting.objects.visible_to(user, action).values_list("pk", flat=True))
        for meeting in by_unit.values():
            found = meeting_for_user_run(user, meeting.pk, action=action).run()
            assert bool(found) == (meeting.pk in reached), (user.username, meeting.unit_id)
    assert len(by_unit) > 5
