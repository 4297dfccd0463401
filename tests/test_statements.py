"""Statements (chibo.lib.statements): the few querysets compiled once answer exactly what the
same querysets built each time answer (with `CHIBO_STATEMENTS` on and off), in one query
and without compiling again, and freeze nothing but constants."""

from __future__ import annotations

import datetime
import re
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection
from django.db.models import DateField, IntegerField, Model
from django.db.models.sql.compiler import SQLCompiler
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chibo.content.access import sent_to
from chibo.content.models import Material, MaterialRead
from chibo.content.panels import materials_of_month
from chibo.content.services import mark_read
from chibo.lib import statements
from chibo.lib.statements import FrozenValue, Statement
from chibo.meetings.access import MEETING, get_meeting_for_user
from chibo.meetings.models import Meeting
from chibo.meetings.services import add_task
from chibo.meetings.views import MEETING_TASKS
from chibo.members.models import Member
from chibo.orgs.access import GRANTS_WITH_USER, grants_of
from chibo.orgs.models import RoleGrant, Unit
from chibo.orgs.permissions import Perm, Role, Scope
from chibo.portal.views import UPCOMING
from tests.factories import at, cell, planned, publish, this_month

pytestmark = pytest.mark.django_db

both_ways = pytest.mark.parametrize("enabled", [True, False], ids=["compiled", "plain"])


def fields(obj: Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


@both_ways
def test_the_grants_statement_answers_what_the_queryset_answers(
    cast: dict[str, User], enabled: bool
) -> None:
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
    with override_settings(CHIBO_STATEMENTS=enabled):
        for user in cast.values():
            for day in (today, today - datetime.timedelta(days=2)):
                expected = list(grants_of(user.pk, day).select_related("user"))
                got = GRANTS_WITH_USER(user=user.pk, on=day)
                assert [fields(g) for g in got] == [fields(g) for g in expected], user.username
                assert [fields(g.user) for g in got] == [fields(g.user) for g in expected]
                assert [fields(g.unit) for g in got] == [fields(g.unit) for g in expected]
                assert [fields(g.unit.kind) for g in got] == [fields(g.unit.kind) for g in expected]
        yesterday_but_one = today - datetime.timedelta(days=2)
        assert len(GRANTS_WITH_USER(user=cast["bithu1"].pk, on=yesterday_but_one)) == (
            len(GRANTS_WITH_USER(user=cast["bithu1"].pk, on=today)) + 1
        )
        assert GRANTS_WITH_USER(user=cast["outsider"].pk, on=today) == []


@both_ways
def test_the_meeting_statements_answer_what_the_querysets_answer(
    cast: dict[str, User], enabled: bool
) -> None:
    meetings = [planned(day=datetime.date(2026, 2, 5)), planned(day=datetime.date(2026, 3, 5))]
    owner = Member.objects.get(user__username="dangvien1")
    for title, deadline in (("Thu đảng phí", 28), ("Phát triển đảng viên", 20)):
        add_task(
            meeting=meetings[0], title=title, deadline=datetime.date(2026, 2, deadline),
            owner=owner, by=None,
        )  # fmt: skip
    with override_settings(CHIBO_STATEMENTS=enabled):
        for meeting in meetings:
            (got,) = MEETING(pk=meeting.pk)
            expected = Meeting.objects.select_related("unit", "unit__kind").get(pk=meeting.pk)
            assert fields(got) == fields(expected)
            assert fields(got.unit) == fields(expected.unit)
            assert fields(got.unit.kind) == fields(expected.unit.kind)
            tasks = MEETING_TASKS(meeting=meeting.pk)
            assert [(fields(t), t.owner and fields(t.owner)) for t in tasks] == [
                (fields(t), t.owner and fields(t.owner))
                for t in meeting.tasks.select_related("owner")
            ]
        assert len(MEETING_TASKS(meeting=meetings[0].pk)) == 2
        assert MEETING(pk=0) == []


@both_ways
def test_the_coming_meetings_statement_answers_what_the_queryset_answers(
    cast: dict[str, User], enabled: bool
) -> None:
    # Five meetings of the member's cell, one of the cell they are attached to, one of
    # another cell; one of them postponed, one cancelled.
    days = [datetime.date(2026, 3, d) for d in (1, 5, 9, 13, 17)]
    mine = [planned("X001.01", day=d) for d in days]
    attached = planned("X001.02", day=datetime.date(2026, 3, 7))
    planned("X002.01", day=datetime.date(2026, 3, 6))
    Meeting.objects.filter(pk=mine[1].pk).update(state="postponed")
    Meeting.objects.filter(pk=mine[2].pk).update(state="cancelled")
    cells = (cell("X001.01").pk, attached.unit_id)
    with override_settings(CHIBO_STATEMENTS=enabled):
        for since in [at(d) for d in days] + [at(datetime.date(2026, 3, 4))]:
            for unit, other in ((cells[0], cells[1]), (cells[0], 0)):
                got = UPCOMING(cell=unit, attached=other, since=since)
                expected = list(
                    Meeting.objects.filter(unit__in=[unit, other])
                    .upcoming(since=since)
                    .select_related("unit")[:3]
                )
                assert [fields(m) for m in got] == [fields(m) for m in expected]
                assert [fields(m.unit) for m in got] == [fields(m.unit) for m in expected]
        assert [m.pk for m in UPCOMING(cell=cells[0], attached=cells[1], since=at(days[0]))] == [
            mine[0].pk, mine[1].pk, attached.pk,
        ]  # fmt: skip


@both_ways
def test_the_materials_statement_answers_what_sent_to_answers(
    cast: dict[str, User], enabled: bool
) -> None:
    # Sent to every cell from three levels, to one chosen cell, and last month's.
    for code in ("LV", "X001", "X001.01"):
        publish(code)
    publish("X001", cells=["X001.01"])
    month = this_month()
    last = (month - datetime.timedelta(days=1)).replace(day=1)
    publish("LV", month=last)
    mark_read(Material.objects.filter(unit__code="X001").earliest("pk"), cast["bithu1"])
    cells = [Unit.objects.get(code=c) for c in ("X001.01", "X001.02", "X002.01")]
    with override_settings(CHIBO_STATEMENTS=enabled):
        for unit in [*cells, Unit.objects.get(code="X001"), Unit.objects.get(code="LV")]:
            statement = materials_of_month(unit.depth)
            paths = {f"path{i}": unit.path[: i * Unit.steplen] for i in range(1, unit.depth + 1)}
            for day in (month, last):
                for reader in (cast["bithu1"], cast["dangvien1"]):
                    got = statement(month=day, reader=reader.pk, unit=unit.pk, **paths)
                    expected = list(
                        Material.objects.filter(sent_to(unit), month=day)
                        .select_related("unit")
                        .order_by("kind", "-published_at")[:20]
                    )
                    assert [fields(m) for m in got] == [fields(m) for m in expected], unit.code
                    read = set(
                        MaterialRead.objects.filter(user=reader).values_list(
                            "material_id", flat=True
                        )
                    )
                    assert [m.read_id is not None for m in got] == [m.pk in read for m in got]  # type: ignore[attr-defined]


@pytest.mark.parametrize("action", [Perm.VIEW_MEETINGS, Perm.MANAGE_MEETINGS, Perm.CONFIRM_SCORES])
def test_the_meeting_getter_reaches_what_the_access_layer_reaches(
    cast: dict[str, User], action: Perm
) -> None:
    """The meeting pages read the meeting by its number and check the grants on its cell
    (`has_perm`); they must let through exactly the meetings that
    `Meeting.objects.visible_to` (the same grants, as a filter) lets through."""
    from django.http import Http404

    by_unit = {
        cell.pk: planned(cell.code)
        for cell in Unit.objects.cells().filter(members__isnull=False).distinct()
    }
    for user in cast.values():
        reached = set(Meeting.objects.visible_to(user, action).values_list("pk", flat=True))
        for meeting in by_unit.values():
            try:
                get_meeting_for_user(user, meeting.pk, action=action)
                found = True
            except Http404:
                found = False
            assert found == (meeting.pk in reached), (user.username, meeting.unit_id)
    assert len(by_unit) > 5


@override_settings(CHIBO_STATEMENTS=True)  # CI runs the suite once with them off
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


@override_settings(CHIBO_STATEMENTS=False)
def test_turned_off_a_statement_is_the_plain_queryset() -> None:
    meeting = planned()
    with mock.patch.object(Statement, "compile", side_effect=AssertionError("compiled")):
        (found,) = MEETING(pk=meeting.pk)
    assert found.pk == meeting.pk


def test_values_must_match_the_parameters() -> None:
    with pytest.raises(TypeError, match="takes \\['pk'\\]"):
        MEETING(id=1)
    with pytest.raises(TypeError):
        MEETING()
    with pytest.raises(TypeError):
        MEETING(pk=1, extra=2)
    with pytest.raises((TypeError, ValueError)):
        MEETING(pk="not a number")


def test_a_date_cannot_be_frozen_into_a_statement() -> None:
    frozen = Statement(
        lambda *, user: RoleGrant.objects.active(timezone.localdate()).filter(user_id=user),
        user=IntegerField(),
    )
    statements.ALL.remove(frozen)
    with pytest.raises(FrozenValue):
        frozen.compile(keep=False)
    as_parameter = Statement(
        lambda *, user, on: RoleGrant.objects.active(on).filter(user_id=user),
        user=IntegerField(),
        on=DateField(),
    )
    statements.ALL.remove(as_parameter)
    assert as_parameter.compile(keep=False).fixed() == ()


def changed_settings() -> dict[str, Any]:
    """Every plain setting of the project (a number, a text, a yes or no) given another
    value: what a statement compiled with a setting inside would keep."""
    keep = {"USE_TZ", "USE_I18N", "DEBUG", "TIME_ZONE", "LANGUAGE_CODE", "AUTH_USER_MODEL"}
    keep.add("FORMS_URLFIELD_ASSUME_HTTPS")  # deprecated: setting it at all warns
    changed: dict[str, Any] = {}
    for name in dir(settings):
        if not name.isupper() or name in keep:
            continue
        value = getattr(settings, name)
        if isinstance(value, bool):
            changed[name] = not value
        elif type(value) in (int, float):
            changed[name] = value + 7
        elif type(value) is str and not re.fullmatch(r"\w+(\.\w+)+", value):  # not a path
            changed[name] = f"{value}-changed"
    return changed


def test_statements_freeze_nothing_but_constants() -> None:
    """Compiled today and again on another day under other settings, every statement has
    the same SQL and the same fixed values: nothing that changes is baked in."""
    for depth in range(1, 5):
        materials_of_month(depth)  # made on first use: make them all
    assert len(statements.ALL) >= 6
    today = [(s.compile(keep=False).sql, s.compile(keep=False).fixed()) for s in statements.ALL]
    later = timezone.now() + datetime.timedelta(days=400)
    with (
        mock.patch("django.utils.timezone.now", return_value=later),
        override_settings(**changed_settings()),
    ):
        other = [(s.compile(keep=False).sql, s.compile(keep=False).fixed()) for s in statements.ALL]
    assert other == today
