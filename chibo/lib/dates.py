"""Dates and periods as people here write them."""

import calendar
import datetime

from django.utils import timezone


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` later, or the month's last day if it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def quarter_of(day: datetime.date) -> int:
    """The quarter (1 to 4) of the year that `day` falls in."""
    return (day.month - 1) // 3 + 1


def years_between(start: datetime.date, end: datetime.date) -> int:
    """Whole years from `start` to `end` (an age)."""
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def vn_date(day: datetime.date) -> str:
    """ "ngày 15 tháng 6 năm 2026"."""
    return f"ngày {day.day} tháng {day.month} năm {day.year}"


def months_ended(year: int, today: datetime.date | None = None) -> int:
    """How many months of `year` have ended by `today` (12 for a past year, 0 for a future
    one): the months whose meetings should have been held."""
    today = today or timezone.localdate()
    if year < today.year:
        return 12
    return today.month - 1 if year == today.year else 0


def add_working_days(
    day: datetime.date, days: int, holidays: frozenset[datetime.date] = frozenset()
) -> datetime.date:
    """The date `days` working days after `day` (Monday to Friday, less `holidays`)."""
    current = day
    left = days
    while left > 0:
        current += datetime.timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            left -= 1
    return current
