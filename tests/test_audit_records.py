"""The record audit (`chibo audit_records` and its page) runs every app's checks."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from chibo.lib.audit import AuditScope, Violation
from chibo.orgs.models import Unit
from chibo.reports import record_audit as audit


def _breaking(seen: list[AuditScope]):
    def check(scope: AuditScope) -> Iterator[Violation]:
        seen.append(scope)
        yield Violation("TEST-2", "Bản ghi B", "", "Sai thứ hai")
        yield Violation("TEST-1", "Bản ghi A", "/units/X001.01/", "Sai thứ nhất")

    return check


def test_every_app_audit_module_is_found() -> None:
    names = {check.__module__ for check in audit.checks()}
    assert all(name.startswith("chibo.") and name.endswith(".audit") for name in names)


@pytest.mark.django_db
def test_the_command_lists_each_violation_and_exits_1(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[AuditScope] = []
    monkeypatch.setattr(audit, "checks", lambda: [_breaking(seen)])
    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("audit_records", unit="X001", year=2026, stdout=out)
    assert error.value.returncode == 1
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("TEST-1\tBản ghi A (/units/X001.01/)\tSai thứ nhất")
    assert lines[1].startswith("TEST-2\tBản ghi B\tSai thứ hai")
    assert seen == [AuditScope(path=Unit.objects.get(code="X001").path, year=2026)]


@pytest.mark.django_db
def test_the_command_exits_0_when_nothing_breaks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "checks", lambda: [lambda scope: iter(())])
    out = io.StringIO()
    call_command("audit_records", stdout=out)
    assert "No record breaks the rule book." in out.getvalue()


@pytest.mark.django_db
def test_the_command_refuses_an_unknown_unit() -> None:
    with pytest.raises(CommandError, match="No unit NOPE"):
        call_command("audit_records", unit="NOPE", stdout=io.StringIO())


def test_the_page_lists_the_violations_of_its_unit(
    client_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[AuditScope] = []
    monkeypatch.setattr(audit, "checks", lambda: [_breaking(seen)])
    response = client_for("uyvien1").get(reverse("reports:audit", args=["X001"]), {"year": 2025})
    assert response.status_code == 200
    body = response.content.decode()
    assert "TEST-1" in body
    assert "Sai thứ nhất" in body
    assert 'href="/units/X001.01/"' in body
    assert seen == [AuditScope(path=Unit.objects.get(code="X001").path, year=2025)]


def test_the_dashboard_links_the_audit_for_auditors_only(client_for) -> None:
    url = reverse("reports:audit", args=["X001"])
    dashboard = reverse("reports:dashboard", args=["X001"])
    assert url in client_for("uyvien1").get(dashboard).content.decode()
    assert (
        url
        not in client_for("tocongtac1")
        .get(reverse("reports:dashboard", args=["X002"]))
        .content.decode()
    )
