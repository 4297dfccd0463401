"""The admission rules as pure functions: eligibility when the cell considers a candidate,
and the probation clock (domain §9; its rule lives in members.rules)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from chibo.lib.dates import add_months, years_between
from chibo.members.rules import Clock
from chibo.members.rules import probation_clock as members_probation_clock


@dataclass(frozen=True)
class Rules:
    certificate_valid_months: int = 60
    min_age: int = 18
    max_age: int = 60
    review_working_days: int = 30
    holidays: frozenset[datetime.date] = frozenset()


def eligibility_problems(
    *,
    birth_date: datetime.date,
    certificate_on: datetime.date | None,
    introducer_official: bool | None,
    introducer_known_since: datetime.date | None,
    on: datetime.date,
    rules: Rules,
) -> list[str]:
    """Why the cell may not consider the candidate on `on` (empty: eligible)."""
    problems = []
    age = years_between(birth_date, on)
    if age < rules.min_age or age > rules.max_age:
        problems.append(
            _("Aged %(age)s on that day: the cell considers people aged %(low)s to %(high)s.")
            % {"age": age, "low": rules.min_age, "high": rules.max_age}
        )
    if certificate_on is None:
        problems.append(_("No certificate of the awareness class."))
    elif on > add_months(certificate_on, rules.certificate_valid_months):
        problems.append(
            _("The awareness-class certificate of %(date)s has expired (valid %(n)s months).")
            % {"date": f"{certificate_on:%d/%m/%Y}", "n": rules.certificate_valid_months}
        )
    if introducer_official is None:
        problems.append(_("No introducer."))
    elif not introducer_official:
        problems.append(_("The introducer must be an official member."))
    elif introducer_known_since is None or years_between(introducer_known_since, on) < 1:
        problems.append(_("The introducer must have worked with the candidate for a year."))
    return problems


def probation_clock(admitted_on: datetime.date, rules: Rules) -> Clock:
    """The probation clock with the province's review window and holidays: the rule
    itself lives in members.rules (PROB-1), which recognition calls too."""
    return members_probation_clock(
        admitted_on, review_working_days=rules.review_working_days, holidays=rules.holidays
    )
