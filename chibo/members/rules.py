"""The rules of probation and cell posts as pure functions (docs/rules.md, "Probation and
posts"). Each is the rule's one home: the services, forms, the roster import, the demo seed,
the development pipeline and the record audit call these, never a copy.

The probation clock lives here rather than in `development` because `members` sits above
`development` in the app order: recognition (members.services.make_official) needs it, and
`development` reaches it from below.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

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


def away_decision_problems(
    *, decision: str, decision_on: datetime.date | None, on: datetime.date
) -> dict[str, str]:
    """STATUS-1: a suspension, detention or special duty is recorded from a day `on` with
    the decision's number and date (documents are known by number and date, HD 36), and
    the decision comes before the day it applies from. By field; empty when nothing lacks."""
    errors: dict[str, str] = {}
    if not decision.strip():
        errors["decision"] = _("Give the number of the decision.")
    if decision_on is None:
        errors["decision_on"] = _("Give the date of the decision.")
    elif decision_on > on:
        errors["decision_on"] = _("The decision cannot be dated after the day it applies from.")
    return errors


# VOTE-5. Personnel and admission votes: the cell's resolution proposing to admit a person,
# and the one proposing to recognise a probationary member as official, need at least two
# thirds of the cell's official members (Điều lệ Đảng 2011, Art. 4.3 and Art. 5.3; HD
# 01-HD/TW 2021, 3.6 and 4.3), counted on the roll of QĐ 24 9.3.2 (`personnel_roll`). The
# rule lives here, below `meetings`, because recognition (`services.make_official`) needs
# it; `chibo.meetings.votes` re-exports it beside the other vote rules.
PERSONNEL_SHARE = Fraction(2, 3)


def personnel_vote_passed(votes_for: int, official_members: int) -> bool:
    """An admission or recognition vote passes with at least two thirds of the official
    members counted (6 of 9 is enough, 6 of 10 is not)."""
    return official_members > 0 and votes_for >= PERSONNEL_SHARE * official_members


def personnel_roll(statuses: Iterable[tuple[str, bool]]) -> int:
    """The official members a personnel vote is counted on, from each home member's
    status that day and whether they are temporarily attached elsewhere: official members
    only, so the probationary, the exempted, the suspended, the detained and those on
    special duty are left out, and so are those attached elsewhere (QĐ 24 9.3.2)."""
    return sum(
        1
        for status, attached_elsewhere in statuses
        if not attached_elsewhere and status == "official"
    )


def personnel_vote_problems(
    *, votes_for: object, votes_against: object, official_members: int
) -> dict[str, str]:
    """VOTE-5: what is wrong with the figures of a cell's vote on an admission or a
    recognition as official, by field (empty: the resolution passed). Figures are whole
    numbers not below zero; for and against together are at most the official members who
    may vote; "for" reaches two thirds of them."""
    errors: dict[str, str] = {}
    for field, value in (("votes_for", votes_for), ("votes_against", votes_against)):
        if value is None and field == "votes_for":
            errors[field] = _("Give the number of official members for.")
        elif value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            errors[field] = _("Give a whole number of votes, not below zero.")
    if errors:
        return errors
    assert isinstance(votes_for, int)
    cast = votes_for + (votes_against if isinstance(votes_against, int) else 0)
    if cast > official_members:
        errors["votes_for"] = _(
            "%(n)s votes, but the cell had only %(d)s official members who vote that day."
        ) % {"n": cast, "d": official_members}
    elif not personnel_vote_passed(votes_for, official_members):
        errors["votes_for"] = _(
            "%(n)s of %(d)s official members for: the resolution needs at least two thirds "
            "(Điều lệ Đảng, Art. 4 and 5)."
        ) % {"n": votes_for, "d": official_members}
    return errors


# POST-1. A member suspended from party activity or detained takes no part in the cell's
# activity (QĐ 24-QĐ/TW 9.3.2), so cannot take up a post either.
BARRED_FROM_POSTS = frozenset({"suspended", "detained"})


def holder_problem(*, status: str, official_on: datetime.date | None, on: datetime.date) -> str:
    """Why a member whose status on the day `on` is `status` cannot hold a cell post from
    `on` (empty: they can). POST-1: a probationary member may not vote, stand or elect the
    Party's leading bodies (Charter Art. 3.2); a suspended or detained member takes no part
    in the cell's activity (QĐ 24 9.3.2). The status is the one of that day, not today's."""
    if status in BARRED_FROM_POSTS:
        return _(
            "A member suspended from party activity or detained on that day cannot hold a "
            "cell post."
        )
    if status in ("probationary", "exempted") or official_on is None or official_on > on:
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
