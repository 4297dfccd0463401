"""Vietnam's public holidays, from the solar and the lunar calendar (docs/rules.md, HOLIDAY-).

Bộ luật Lao động 2019 (45/2019/QH14), Article 112(1), gives the days off: Tết Dương lịch
(1/1), Tết Âm lịch (5 days), Ngày Chiến thắng (30/4), Ngày Quốc tế lao động (1/5), Quốc khánh
(2/9 and one day immediately before or after it) and Giỗ Tổ Hùng Vương (10/3 of the lunar
calendar). The Prime Minister fixes each year which five days around the lunar new year and
which day beside 2/9 are off (Article 112(3)); a province adds those, and its own days, as
its list of extra days (`orgs.ProvinceHoliday`). The lunar dates are those of the Vietnamese
calendar (UTC+7, which puts some new years a day apart from the Chinese calendar's), computed
by lunar-vn.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from django.utils.translation import gettext as _
from lunar_vn import LunarDate, lunar_to_solar

# The Tết days the planner avoids by default: the last day of the lunar year (giao thừa) and
# the first four days of the new one, the five days of Article 112 as the Prime Minister
# usually sets them. A province changes the span in its meeting rules
# (`meetings.MeetingRules.tet_days_before`/`_after`); single extra days are the province's
# extra days off.
TET_DAYS_BEFORE = 1
TET_DAYS_AFTER = 3


def lunar_new_year(year: int) -> datetime.date:
    """The first day of the lunar year that starts in the solar year `year` (mùng 1 Tết)."""
    return lunar_to_solar(LunarDate(1, 1, year))


def public_holidays(
    year: int, *, tet_days_before: int = TET_DAYS_BEFORE, tet_days_after: int = TET_DAYS_AFTER
) -> dict[datetime.date, str]:
    """HOLIDAY-1: the national public holidays of solar year `year`, each with its name;
    Tết spans `tet_days_before` days before the first day of the lunar year and
    `tet_days_after` after it (the province's setting, `meetings.MeetingRules`)."""
    days: dict[datetime.date, str] = {
        datetime.date(year, 1, 1): _("New Year's Day (Tết Dương lịch)"),
        datetime.date(year, 4, 30): _("Reunification Day (30/4)"),
        datetime.date(year, 5, 1): _("International Workers' Day (1/5)"),
        datetime.date(year, 9, 2): _("National Day (Quốc khánh 2/9)"),
    }
    # Which neighbour of 2/9 is off is decided each year: the planner avoids both.
    for offset in (-1, 1):
        days[datetime.date(year, 9, 2) + datetime.timedelta(days=offset)] = _(
            "Day beside National Day (Quốc khánh)"
        )
    # The lunar new year falls between 21/1 and 20/2, so a solar year holds one Tết whole.
    new_year = lunar_new_year(year)
    for offset in range(-tet_days_before, tet_days_after + 1):
        days[new_year + datetime.timedelta(days=offset)] = _("Lunar New Year (Tết Nguyên Đán)")
    days[lunar_to_solar(LunarDate(10, 3, year))] = _("Hùng Kings' Commemoration (10/3 lunar)")
    return days


def move_off_holidays(
    day: datetime.date, closed: Mapping[datetime.date, str]
) -> tuple[datetime.date, str]:
    """PLAN-1: the first day from `day` on that is not in `closed`, in the same month (the
    meeting counts for that month), else the last such day before it; with the name of the
    holiday that moved it ("" when `day` is free). A month with no free day keeps `day`."""
    if day not in closed:
        return day, ""
    reason = closed[day]
    forward = day
    while forward.month == day.month:
        if forward not in closed:
            return forward, reason
        forward += datetime.timedelta(days=1)
    backward = day
    while backward.month == day.month:
        if backward not in closed:
            return backward, reason
        backward -= datetime.timedelta(days=1)
    return day, ""
