"""Dashboards of a cell, a commune-level unit or the province, their exports, and the
periodic report."""

from __future__ import annotations

import csv
import io
import tempfile

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.lib.xlsx import Sheet, write_workbook
from chibo.meetings.models import Meeting, MeetingState
from chibo.orgs.access import get_unit_for_user
from chibo.orgs.models import CellType
from chibo.orgs.permissions import Perm
from chibo.reports import charts, figures
from chibo.reports.periods import Period, PeriodError, parse

LEVEL_NAMES = ["Tốt", "Khá", "Trung bình", "Kém"]


def _period(request: HttpRequest) -> Period:
    code = request.GET.get("period") or str(timezone.localdate().year)
    try:
        return parse(code)
    except PeriodError:
        return parse(str(timezone.localdate().year))


def dashboard(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_unit_for_user(request.user, code, Perm.VIEW_MEETINGS)
    period = _period(request)
    filters = figures.Filters.from_query(request.GET)
    board = figures.build(request.user, unit, period, filters)
    labels = [f"{m:%m}" for m in board.months]
    level_series = [
        (name, colour, [row.levels[i] for row in board.by_month])
        for i, (name, colour) in enumerate(zip(LEVEL_NAMES, charts.LEVEL_COLOURS, strict=True))
    ]
    meetings: list[Meeting] = []
    if unit.is_cell:
        meetings = list(
            Meeting.objects.filter(
                unit=unit,
                month__gte=period.first_month,
                month__lte=period.last_month,
                state__in=[MeetingState.HELD, MeetingState.APPROVED],
            )
            .select_related("stats")
            .order_by("scheduled_at")
        )
    query = request.GET.urlencode()
    return render(
        request,
        "reports/dashboard.html",
        {
            "unit": unit,
            "board": board,
            "period": period,
            "filters": filters,
            "tables": board.tables(),
            "levels_chart": charts.stacked_bars(
                labels, level_series, title=_("Meeting quality by month")
            ),
            "compliance_chart": charts.rate_bars(
                labels,
                [row.compliance for row in board.by_month],
                title=_("Cells that held their regular meeting, by month (%)"),
            ),
            "attendance_chart": charts.rate_bars(
                labels,
                [row.attendance for row in board.by_month],
                title=_("Attendance by month (%)"),
            ),
            "meetings": meetings,
            "cell_types": CellType.choices,
            "flags": [
                ("weak", _("weak cell")),
                ("rural", _("rural")),
                ("difficult", _("difficult area")),
                ("enterprise", _("in a non-state enterprise")),
            ],
            "query": query,
        },
    )


def export(request: HttpRequest, code: str, table: str, fmt: str) -> HttpResponse | FileResponse:
    """One dashboard table as XLSX or CSV (the same figures as the page, the same access)."""
    unit = get_unit_for_user(request.user, code, Perm.VIEW_MEETINGS)
    period = _period(request)
    board = figures.build(request.user, unit, period, figures.Filters.from_query(request.GET))
    tables = board.tables()
    if table not in tables or fmt not in ("xlsx", "csv"):
        raise Http404
    title, headers, rows = tables[table]
    name = f"{unit.code}-{period.code}-{table}".replace("..", "_")
    if fmt == "csv":
        out = io.StringIO()
        out.write("\ufeff")  # Excel opens UTF-8 CSV with the mark
        writer = csv.writer(out)
        writer.writerow(headers)
        writer.writerows(rows)
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    write_workbook(
        spool, [Sheet(str(title)[:31], f"{title} — {unit.name} — {period.label}", headers, rows)]
    )
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=f"{name}.xlsx")
