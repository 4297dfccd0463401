"""The page "Hồ sơ chưa đúng quy định": the records below a unit that break the rule book,
for the organisation and inspection staff of the unit (and the committee members above it)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from chibo.lib.audit import AuditScope
from chibo.lib.http import year_param
from chibo.orgs.access import get_unit_for_user
from chibo.reports.record_audit import may_audit, violations


def audit(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_unit_for_user(request.user, code)
    if not may_audit(request.user, unit):
        raise Http404
    year = year_param(request)
    found = violations(AuditScope(path=unit.path, year=year))
    return render(
        request,
        "reports/audit.html",
        {"unit": unit, "year": year, "violations": found},
    )
