"""Weak cells start to finish, and good practice spread as models."""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from chibo.content.models import Material
from chibo.content.services import spread_good_practice
from chibo.orgs.models import Unit
from chibo.reports import figures as report_figures
from chibo.reports.periods import parse
from chibo.scoring.classification import rate
from chibo.supervision import services, todo
from chibo.supervision.figures import weak_movement
from chibo.supervision.models import Finding, WeakCell, WeakSource, WeakState

pytestmark = pytest.mark.django_db

D = datetime.date


def cell(code: str) -> Unit:
    unit: Unit = Unit.objects.get(code=code)
    return unit


def test_a_cell_that_failed_its_classification_is_a_candidate(cast) -> None:
    rate(unit=cell("X001.01"), member=None, year=2025, step="self", level="failed", by=None)
    found = {c.code: source for c, source, _why in services.weak_candidates(cell("LV"), 2025)}
    assert found == {"X001.01": WeakSource.CLASSIFICATION}
    services.propose_weak_cell(
        unit=cell("X001.01"), year=2026, source=WeakSource.CLASSIFICATION, reason="", by=None
    )
    # Proposed once: no longer a candidate, and a second proposal is refused.
    assert services.weak_candidates(cell("LV"), 2025) == []
    with pytest.raises(ValidationError):
        services.propose_weak_cell(
            unit=cell("X001.01"), year=2026, source=WeakSource.COMMUNE, reason="", by=None
        )


def test_a_weak_cell_from_proposal_to_exit(cast, client_for) -> None:
    uyvien1, staff = client_for("uyvien1"), client_for("bantochuc")
    response = uyvien1.post(
        "/units/X001/weak-cells/?year=2026", {"cell": "X001.01", "reason": "Sinh hoạt không đều"}
    )
    assert response.status_code == 302
    case = WeakCell.objects.get(unit__code="X001.01")
    assert case.source == WeakSource.COMMUNE
    assert case.state == WeakState.PROPOSED
    url = f"/weak-cells/{case.pk}/"
    # The commune proposes; the upper level decides.
    assert uyvien1.post(url, {"action": "decide", "listed": "1", "on": "2026-02-01",
                              "version": 0}).status_code == 404  # fmt: skip
    staff.post(url, {"action": "decide", "listed": "1", "on": "2026-02-01", "version": 0})
    case.refresh_from_db()
    assert case.state == WeakState.LISTED
    assert cell("X001.01").is_weak
    staff.post(url, {"action": "plan", "helper": "uyvien1", "plan": "Củng cố",
                     "targets": "Đủ 12 kỳ", "version": case.version})  # fmt: skip
    case.refresh_from_db()
    assert case.helper == cast["uyvien1"]
    assert case.targets == "Đủ 12 kỳ"
    # The member in charge reviews each quarter.
    assert uyvien1.post(url, {"action": "review", "quarter": "1", "progress": "Có tiến bộ",
                              "on_track": "on"}).status_code == 302  # fmt: skip
    assert case.reviews.get().on_track
    # The exit review needs a text.
    staff.post(url, {"action": "close", "review": "", "on": "2026-11-30",
                     "version": case.version})  # fmt: skip
    case.refresh_from_db()
    assert case.state == WeakState.LISTED
    staff.post(url, {"action": "close", "review": "Đã tiến bộ", "on": "2026-11-30",
                     "version": case.version})  # fmt: skip
    case.refresh_from_db()
    assert case.state == WeakState.CLOSED
    assert not cell("X001.01").is_weak
    assert case.history.count() >= 4
    page = client_for("bithu1").get(url).content.decode()
    assert "Đã tiến bộ" in page
    assert client_for("bithu2").get(url).status_code == 404
    movement = weak_movement(cell("LV"), 2026)
    assert movement["this"] == {"entered": 1, "left": 1, "listed": 0}
    assert movement["last"] == {"entered": 0, "left": 0, "listed": 0}


def test_the_flags_set_by_hand_become_records() -> None:
    migration = __import__(
        "chibo.supervision.migrations.0008_weak_cells_from_flags", fromlist=["forward"]
    )
    Unit.objects.filter(code="X002.01").update(is_weak=True)
    migration.forward(apps, None)
    case = WeakCell.objects.get(unit__code="X002.01")
    assert case.state == WeakState.LISTED
    assert case.source == WeakSource.MIGRATED
    migration.forward(apps, None)  # again: nothing more
    assert WeakCell.objects.filter(unit__code="X002.01").count() == 1


def test_the_list_the_todo_and_the_dashboard_count_in_flat_queries(cast, client_for) -> None:
    def counts() -> list[int]:
        out = []
        for url in ("/units/LV/weak-cells/?year=2026", "/units/LV/good-practice/"):
            with CaptureQueriesContext(connection) as captured:
                assert client_for("bantochuc").get(url).status_code == 200
            out.append(len(captured))
        list(todo.weak_cells_due(cast["bantochuc"], D(2026, 12, 4)))  # the grants, loaded once
        with CaptureQueriesContext(connection) as captured:
            list(todo.weak_cells_due(cast["bantochuc"], D(2026, 12, 4)))
        out.append(len(captured))
        return out

    def grow(codes: list[str]) -> None:
        for code in codes:
            case = services.propose_weak_cell(
                unit=cell(code), year=2026, source=WeakSource.COMMUNE, reason="", by=None
            )
            services.decide_weak_cell(
                case=case, listed=True, note="", on=D(2026, 1, 5), version=0, by=None
            )

    grow(["X001.01"])
    before = counts()
    others = (
        Unit.objects.cells()
        .exclude(pk__in=WeakCell.objects.values("unit_id"))
        .order_by("path")
        .values_list("code", flat=True)[:3]
    )
    grow(list(others))
    assert counts() == before
    items = list(todo.weak_cells_due(cast["bantochuc"], D(2026, 12, 4)))
    assert len([i for i in items if i.kind == "supervision.weak_review"]) >= 2
    board = report_figures.build(cast["admin"], cell("LV"), parse("2026"))
    assert board.weak["this"]["entered"] >= 2


def good_practice(cast) -> Finding:
    from chibo.supervision.models import FindingKind

    item = services.add_inspection(
        unit=cell("X001"), year=2026, kind="inspection", target=cell("X001.01"),
        subject="Sinh hoạt chi bộ", starts_on=D(2026, 3, 1), ends_on=D(2026, 3, 5), by=None,
    )  # fmt: skip
    return services.add_finding(
        item=item,
        data={"kind": FindingKind.GOOD_PRACTICE, "text": "Sổ tay đảng viên điện tử"},
        by=None,
    )


def test_good_practice_is_spread_as_a_model_and_counted(cast, client_for, tuyengiao) -> None:
    finding = good_practice(cast)
    client = client_for("bithu1")
    assert client.get(f"/good-practice/{finding.pk}/spread/").status_code == 404
    client.force_login(tuyengiao)
    assert client.get("/units/LV/good-practice/").status_code == 200
    response = client.post(
        f"/good-practice/{finding.pk}/spread/",
        {"title": "Sổ tay điện tử", "summary": "", "month": "2026-04-01", "cells": "X001.02"},
    )
    assert response.status_code == 302
    material = Material.objects.get(source_finding=finding)
    assert list(material.cells.values_list("code", flat=True)) == ["X001.02"]
    assert material.file.read().startswith(b"PK")
    # The cell it was sent to reads it, with its source.
    secretary = User.objects.create_user("bithu_x00102", password="x")
    from chibo.orgs.models import RoleGrant
    from chibo.orgs.permissions import Role, Scope

    RoleGrant.objects.create(
        user=secretary, unit=cell("X001.02"), role=Role.SECRETARY, scope=Scope.UNIT
    )
    client.force_login(secretary)
    page = client.get(material.get_absolute_url()).content.decode()
    assert "Sổ tay đảng viên điện tử" in page
    board = report_figures.build(cast["admin"], cell("LV"), parse("2026"))
    assert board.content["models"] == 1
    # Only good practice, only to cells below the inspecting unit.
    with pytest.raises(ValidationError):
        spread_good_practice(
            finding=finding, title="x", summary="", month=D(2026, 4, 1),
            cells=[cell("X002.01")], by=None,
        )  # fmt: skip
    assert timezone.localdate()
