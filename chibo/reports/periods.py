"""Reporting periods: `2026` (to 31/12), `2026-H1` (to 15/6), `2026-Q3`, `2026-05`, or
custom dates `2026-01-01..2026-06-15`."""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

PATTERN = re.compile(
    r"^(?P<year>\d{4})(?:-(?:(?P<half>H1)|Q(?P<quarter>[1-4])|(?P<month>0[1-9]|1[0-2])))?$"
)
CUSTOM = re.compile(r"^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$")


# A custom period is at most this many years long: the dashboards and reports read every
# month of it (a period of 300 years held a worker for 44 s, one of 9,999 for over 15 min).
MAX_YEARS = 5
# Years outside these have no records; year 0 is not even a date.
FIRST_YEAR = 1930  # the Party's founding
LAST_YEAR = 2100


class PeriodError(ValueError):
    """The period is not understood; the message says what is expected."""


@dataclass(frozen=True)
class Period:
    code: str
    start: datetime.date
    end: datetime.date  # inclusive

    @property
    def first_month(self) -> datetime.date:
        return self.start.replace(day=1)

    @property
    def last_month(self) -> datetime.date:
        return self.end.replace(day=1)

    def months(self, today: datetime.date | None = None) -> list[datetime.date]:
        """The first days of the months of the period, up to the last one ended by `today`
        (a month still running would count its meetings not yet held as missed)."""
        months = []
        month = self.first_month
        limit = self.last_month
        if today is not None:
            limit = min(limit, (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1))
        while month <= limit:
            months.append(month)
            month = (month + datetime.timedelta(days=32)).replace(day=1)
        return months

    def year_before(self, today: datetime.date | None = None) -> Period:
        """The same period one year earlier, to compare with (cùng kỳ năm trước). A period
        still running by `today` is compared with the same stretch of last year: up to the
        same day one year earlier, whose months then end where this period's do."""
        end = self.end if today is None else min(self.end, today)
        start, last = year_earlier(self.start), year_earlier(end)
        m = PATTERN.match(self.code)
        if m and end == self.end:
            code = str(int(m.group("year")) - 1) + self.code[4:]
        else:
            code = f"{start:%Y-%m-%d}..{last:%Y-%m-%d}"
        return Period(code, start, last)

    @property
    def label(self) -> str:
        if PATTERN.match(self.code):
            m = PATTERN.match(self.code)
            assert m is not None
            year = m.group("year")
            if m.group("half"):
                return _("the first six months of %(year)s") % {"year": year}
            if m.group("quarter"):
                return _("quarter %(q)s of %(year)s") % {"q": m.group("quarter"), "year": year}
            if m.group("month"):
                return _("month %(m)s/%(year)s") % {"m": m.group("month"), "year": year}
            return _("the year %(year)s") % {"year": year}
        return _("from %(start)s to %(end)s") % {
            "start": f"{self.start:%d/%m/%Y}",
            "end": f"{self.end:%d/%m/%Y}",
        }


def parse(code: str, *, mid_day: tuple[int, int] = (6, 15)) -> Period:
    code = code.strip()
    custom = CUSTOM.match(code)
    if custom:
        try:
            start = datetime.date.fromisoformat(custom.group(1))
            end = datetime.date.fromisoformat(custom.group(2))
        except ValueError as error:
            raise PeriodError(str(error)) from error
        if end < start:
            raise PeriodError(_("The period ends before it starts."))
        if end >= _years_after(start, MAX_YEARS):
            raise PeriodError(
                _("A period is at most %(years)s years long; %(code)s is longer.")
                % {"years": MAX_YEARS, "code": code}
            )
        _check_years(start.year, end.year)
        return Period(code, start, end)
    m = PATTERN.match(code)
    if m is None:
        raise PeriodError(
            _("Give a period as 2026, 2026-H1, 2026-Q3, 2026-05 or 2026-01-01..2026-06-15.")
        )
    year = int(m.group("year"))
    _check_years(year, year)
    if m.group("half"):
        return Period(code, datetime.date(year, 1, 1), datetime.date(year, *mid_day))
    if m.group("quarter"):
        q = int(m.group("quarter"))
        last = 3 * q
        return Period(
            code,
            datetime.date(year, last - 2, 1),
            datetime.date(year, last, calendar.monthrange(year, last)[1]),
        )
    if m.group("month"):
        month = int(m.group("month"))
        return Period(
            code,
            datetime.date(year, month, 1),
            datetime.date(year, month, calendar.monthrange(year, month)[1]),
        )
    return Period(code, datetime.date(year, 1, 1), datetime.date(year, 12, 31))


def _check_years(first: int, last: int) -> None:
    if first < FIRST_YEAR or last > LAST_YEAR:
        raise PeriodError(
            _("A period lies between the years %(first)s and %(last)s.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR}
        )


def year_earlier(day: datetime.date) -> datetime.date:
    """The same day one year earlier (28 February for 29 February)."""
    return _years_after(day, -1)


def _years_after(day: datetime.date, years: int) -> datetime.date:
    """The same day `years` later (earlier for a negative number; 28 February for 29
    February in a common year; past the calendar's ends, its first or last day)."""
    if day.year + years > datetime.MAXYEAR:
        return datetime.date.max
    if day.year + years < datetime.MINYEAR:
        return datetime.date.min
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
