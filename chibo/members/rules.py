"""The rules of probation and cell posts as pure functions (docs/rules.md, "Probation and
posts"). Each is the rule's one home: the services, forms, the roster import, the demo seed,
the development pipeline and the record audit call these, never a copy.

The probation clock lives here rather than in `development` because `members` sits above
`development` in the app order: recognition (members.services.make_official) needs it, and
`development` reaches it from below.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _

from chibo.lib.dates import add_months, add_working_days
from chibo.orgs.permissions import Role

# PROB-1. Charter (Điều lệ Đảng) Art. 5.1: probation lasts twelve months from the admission
# ceremony. The months are calendar months: Tết and public holidays fall inside them and
# count like any other day (domain §3, §9); only the cell's 30-day review window after
# them is counted in working days.
PROBATION_MONTHS = 12

# POST-2. A cell with at least this many official members elects a cell committee (chi ủy)
# of at most MAX_COMMITTEE, secretary and deputy included; a smaller cell elects a secretary
# and, if needed, one deputy (domain §2).
COMMITTEE_MIN_OFFICIAL = 9
MAX_COMMITTEE = 7
SMALL_CELL_POSTS = 2

SECRETARY = "secretary"
DEPUTY_SECRETARY = "deputy_secretary"
COMMITTEE_MEMBER = "committee_member"


def probation_ends_on(admitted_on: datetime.date) -> datetime.date:
    """The first day a member admitted on `admitted_on` may be recognised as official."""
    return add_months(admitted_on, PROBATION_MONTHS)


def recognition_problem(*, admitted_on: datetime.date | None, official_on: datetime.date) -> str:
    """Why a member admitted on `admitted_on` cannot be official from `official_on` (empty:
    they can). PROB-1."""
    if admitted_on is None:
        return _("The date of admission is needed to recognise a member as official.")
    due = probation_ends_on(admitted_on)
    if official_on < due:
        return _(
            "Probation lasts %(months)s months from admission (%(admitted)s): "
            "official membership can be recognised from %(due)s, not before."
        ) % {
            "months": PROBATION_MONTHS,
            "admitted": f"{admitted_on:%d/%m/%Y}",
            "due": f"{due:%d/%m/%Y}",
        }
    return ""


@dataclass(frozen=True)
class Clock:
    """When a probationary member's official status is due to be considered."""

    due_from: datetime.date  # 12 months after the ceremony
    due_by: datetime.date  # the last working day the cell may consider it

    def overdue(self, today: datetime.date) -> bool:
        return today > self.due_by


def probation_clock(
    admitted_on: datetime.date,
    *,
    review_working_days: int,
    holidays: frozenset[datetime.date] = frozenset(),
) -> Clock:
    """The probation clock: due from the end of the 12 months, to be considered within
    `review_working_days` working days (weekends and `holidays` do not count)."""
    due_from = probation_ends_on(admitted_on)
    return Clock(due_from, add_working_days(due_from, review_working_days, holidays))


def holder_problem(*, official: bool, official_on: datetime.date | None, on: datetime.date) -> str:
    """Why a member cannot hold a cell post from `on` (empty: they can). POST-1: a
    probationary member may not vote, stand or elect the Party's leading bodies (Charter
    Art. 3.2)."""
    if not official or official_on is None or official_on > on:
        return _(
            "Only an official member can hold a cell post: a probationary member "
            "may not stand for election to the cell committee."
        )
    return ""


def committee_limit(official_members: int) -> int:
    """How many posts the cell may hold at once with `official_members` official members."""
    return MAX_COMMITTEE if official_members >= COMMITTEE_MIN_OFFICIAL else SMALL_CELL_POSTS


def committee_problems(*, kinds: Sequence[str], official_members: int) -> list[str]:
    """What is wrong with a cell holding the posts `kinds` at once while it has
    `official_members` official members (empty: nothing). POST-2."""
    problems = []
    if kinds.count(SECRETARY) > 1:
        problems.append(_("A cell has one secretary at a time: end the present term first."))
    if kinds.count(DEPUTY_SECRETARY) > 1:
        problems.append(
            _("A cell has at most one deputy secretary at a time: end the present term first.")
        )
    if COMMITTEE_MEMBER in kinds and official_members < COMMITTEE_MIN_OFFICIAL:
        problems.append(
            _(
                "A cell with fewer than %(min)s official members (it has %(n)s) elects a "
                "secretary and, if needed, one deputy secretary, but no cell committee."
            )
            % {"min": COMMITTEE_MIN_OFFICIAL, "n": official_members}
        )
    elif len(kinds) > committee_limit(official_members):
        problems.append(
            _("The cell committee has at most %(max)s members; this would make %(n)s.")
            % {"max": committee_limit(official_members), "n": len(kinds)}
        )
    return problems


def grant_outlives_membership(
    *,
    role: str,
    grant_unit_id: int,
    member_active: bool,
    member_unit_id: int,
    post_current: bool | None,
) -> bool:
    """Whether a role grant held by a member's account has outlived what gave it (POST-3):
    a person off the province's rolls (left, transferred out, expelled, dead) keeps no role
    in it; a post's grant ends with the post; the member grant holds in the member's own
    cell only. `post_current` is None for a grant that no post gave."""
    if not member_active:
        return True
    if post_current is not None:
        return not post_current
    return role == Role.MEMBER and grant_unit_id != member_unit_id
