"""Dashboards of a cell, a commune-level unit or the province, their exports, and the
periodic report."""

from __future__ import annotations

import csv
import io
import tempfile
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import numberformat, timezone
from django.utils.formats import get_format
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chibo.lib.downloads import file_name, name_download
from chibo.lib.http import HtmxHttpRequest, actor
from chibo.lib.replica import reads_from_replica
from chibo.lib.xlsx import Sheet, write_workbook
from chibo.meetings.models import Meeting, MeetingState
from chibo.meetings.services import QUALITY_LABELS
from chibo.orgs.access import get_unit_for_user, sees_subtree
from chibo.orgs.models import CellType, Unit
from chibo.orgs.permissions import Perm
from chibo.reports import charts, figures, national
from chibo.reports.access import get_report_for_user
from chibo.reports.models import JobState, PeriodicReport
from chibo.reports.periodic import number_of, reserve
from chibo.reports.periods import Period, PeriodError, parse
from chibo.reports.record_audit import may_audit
from chibo.reports.tasks import write_periodic_report


def _period(request: HttpRequest) -> tuple[Period, str]:
    """The period of the query, and why it was refused (this year is shown instead)."""
    code = request.GET.get("period") or str(timezone.localdate().year)
    try:
        return parse(code), ""
    except PeriodError as error:
        return parse(str(timezone.localdate().year)), str(error)


def _query(period: Period, filters: figures.Filters) -> str:
    """The query of the dashboard's links, rebuilt from the values understood (echoing the
    request's own query would copy whatever it carried into each of a hundred links)."""
    return urlencode(
        {
            key: value
            for key, value in (
                ("period", period.code),
                ("type", filters.cell_type),
                ("flag", filters.flag),
            )
            if value
        }
    )


def rate_charts(labels: list[str], by_month: list[Any]) -> dict[str, SafeString]:
    """The two monthly rate charts of a dashboard (cells' and the nation's alike)."""
    return {
        "compliance_chart": charts.rate_bars(
            labels,
            [row.compliance for row in by_month],
            title=_("Cells that held their regular meeting, by month (%)"),
        ),
        "attendance_chart": charts.rate_bars(
            labels,
            [row.attendance for row in by_month],
            title=_("Attendance by month (%)"),
        ),
    }


def national_dashboard(
    request: HttpRequest, unit: Unit, period: Period, period_error: str
) -> HttpResponse:
    """The dashboard of the national unit, from the provinces' monthly rollup (the cells'
    own rows are 1.7 million a year at national size), for those who see all of it."""
    board = national.build(unit, period)
    labels = [f"{m:%m}" for m in board.months]
    query = _query(period, figures.Filters())
    return render(
        request,
        "reports/national.html",
        {
            "unit": unit,
            "board": board,
            "period": period,
            "period_error": period_error,
            **rate_charts(labels, board.by_month),
            "unit_rows": unit_rows(board.children, query),
        },
    )


def unit_rows(children: list[figures.Row], query: str) -> SafeString:
    """The rows of the table of units below, built here as the charts are: a province has a
    hundred units or more, and the template's loop cost 0.1 ms a row, most of the page's
    rendering. The same markup and number formats as the template's (`{{ value }}`
    localizes), the separators looked up once instead of for every number."""
    decimal = get_format("DECIMAL_SEPARATOR")
    grouping = get_format("NUMBER_GROUPING")
    thousands = get_format("THOUSAND_SEPARATOR")

    def shown(value: float | None) -> str:
        if value is None:
            return "—"
        return numberformat.format(
            value, decimal, grouping=grouping, thousand_sep=thousands, use_l10n=True
        )

    return format_html_join(
        "\n",
        '<tr><td><a href="{}?{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td>'
        '<td class="hide-small">{}</td><td class="hide-small">{}</td></tr>',
        (
            (
                reverse("reports:dashboard", args=[row.url_code]),
                query,
                row.label,
                shown(row.cells),
                shown(row.compliance),
                shown(row.attendance),
                shown(row.upper),
                " / ".join(str(n) for n in row.levels),
            )
            for row in children
        ),
    )


@reads_from_replica()
def dashboard(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_MEETINGS)
    period, period_error = _period(request)
    filters = figures.Filters.from_query(request.GET)
    if (
        national.is_national(unit)
        and filters == figures.Filters()
        and sees_subtree(request.user, Perm.VIEW_MEETINGS, unit)
    ):
        return national_dashboard(request, unit, period, period_error)
    board = figures.build(request.user, unit, period, filters)
    labels = [f"{m:%m}" for m in board.months]
    level_series = [
        (name, colour, [row.levels[i] for row in board.by_month])
        for i, (name, colour) in enumerate(
            zip(QUALITY_LABELS.values(), charts.LEVEL_COLOURS, strict=True)
        )
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
    query = _query(period, filters)
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
            **rate_charts(labels, board.by_month),
            "meetings": meetings,
            "unit_rows": unit_rows(board.children, query),
            "cell_types": CellType.choices,
            "flags": [
                ("weak", _("weak cell")),
                ("rural", _("rural")),
                ("difficult", _("difficult area")),
                ("enterprise", _("in a non-state enterprise")),
            ],
            "query": query,
            "period_error": period_error,
            "can_audit": may_audit(request.user, unit),
        },
    )


@reads_from_replica()
def export(request: HttpRequest, code: str, table: str, fmt: str) -> HttpResponse | FileResponse:
    """One dashboard table as XLSX or CSV (the same figures as the page, the same access)."""
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_MEETINGS)
    period, period_error = _period(request)
    if period_error:
        messages.error(request, period_error)
        return redirect("reports:dashboard", code=unit.code)
    board = figures.build(
        request.user,
        unit,
        period,
        figures.Filters.from_query(request.GET),
        compare=table == "comparison",  # last year's figures are read for that table only
    )
    tables = board.tables()
    if table not in tables or fmt not in ("xlsx", "csv"):
        raise Http404
    title, headers, rows = tables[table]
    name = f"{title} {unit.name} {period.label}"
    if fmt == "csv":
        out = io.StringIO()
        out.write("\ufeff")  # Excel opens UTF-8 CSV with the mark
        writer = csv.writer(out)
        writer.writerow(headers)
        writer.writerows(rows)
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        name_download(response, file_name(name, "csv"))
        return response
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    write_workbook(
        spool, [Sheet(str(title)[:31], f"{title} — {unit.name} — {period.label}", headers, rows)]
    )
    spool.seek(0)
    workbook = FileResponse(spool)
    name_download(workbook, file_name(name, "xlsx"))
    return workbook


# --- periodic reports ---------------------------------------------------------------------------


class ReportForm(forms.Form):
    period = forms.CharField(
        label=gettext_lazy("Period"),
        max_length=30,
        help_text=gettext_lazy("2026-H1 (to 15/6), 2026 (to 31/12), or 2026-01-01..2026-03-31"),
    )

    def clean_period(self) -> Period:
        try:
            return parse(self.cleaned_data["period"])
        except PeriodError as error:
            raise ValidationError(str(error)) from error


def reports(request: HttpRequest, code: str) -> HttpResponse:
    """A unit's periodic reports, and a form to write one (in the background)."""
    unit = get_unit_for_user(request.user, code, action=Perm.VIEW_MEETINGS)
    if unit.is_cell:
        raise Http404
    today = timezone.localdate()
    form = ReportForm(
        request.POST or None,
        initial={"period": f"{today.year}-H1" if today.month <= 6 else str(today.year)},
    )
    if request.method == "POST" and form.is_valid():
        report = reserve(unit, form.cleaned_data["period"], actor(request))
        if report.created_by_id != request.user.pk:
            report.created_by = actor(request)
            report.save(update_fields=["created_by"])
        transaction.on_commit(lambda: write_periodic_report.enqueue(str(report.pk)))
        return redirect(report)
    made = list(PeriodicReport.objects.filter(unit=unit).order_by("-created_at")[:50])
    return render(request, "reports/reports.html", {"unit": unit, "form": form, "reports": made})


def report_status(request: HtmxHttpRequest, pk: str) -> HttpResponse:
    report = get_report_for_user(request.user, pk)
    template = "reports/_report_status.html" if request.htmx else "reports/report.html"
    return render(
        request,
        template,
        {"report": report, "unit": report.unit, "number": number_of(report)},
    )


def report_file(request: HttpRequest, pk: str, fmt: str) -> FileResponse:
    report = get_report_for_user(request.user, pk)
    field = {"docx": report.docx, "xlsx": report.xlsx}.get(fmt)
    if field is None or not field or report.state != JobState.DONE:
        raise Http404
    response = FileResponse(field.open("rb"))
    name_download(response, file_name(f"Báo cáo {report.unit.name} {report.period}", fmt))
    return response
