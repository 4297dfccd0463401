"""Who may vote at a cell meeting, and the vote's denominator (QĐ 24-QĐ/TW 2022, 9.3.2).

The one home of the rule (docs/rules.md, VOTE-1 to VOTE-4): the minutes
(`Meeting.attendance_counts`), the vote form and `record_vote`, the minutes documents, the
scoring engine (`chibo score` included), the record audit and the demo seed all call it.
Pure functions on plain words, so that a JSON file and an attendance row are judged alike:

- a person's *status* on the day: ``official``, ``probationary``, ``exempted``,
  ``attached_elsewhere`` (a member of this cell temporarily attached to another one),
  ``suspended``, ``detained``, ``special_duty``;
- their *attendance*: ``present``, ``late``, ``left_early``, ``absent_excused``,
  ``absent_unexcused``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

# Re-exported beside the other vote rules: see the note on personnel votes below.
from chibo.members.rules import PERSONNEL_SHARE as PERSONNEL_SHARE
from chibo.members.rules import personnel_roll as personnel_roll
from chibo.members.rules import personnel_vote_passed as personnel_vote_passed

PRESENT = frozenset({"present", "late", "left_early"})
# Never counted, present or not: QĐ 24 9.3.2 names the suspended and the detained and those
# temporarily attached elsewhere (they vote where they are attached).
NEVER_COUNTED = frozenset({"attached_elsewhere", "suspended", "detained"})
# Counted only when present: exempted members (9.3.2), and, as chibo reads it, members on
# special duty in the armed forces, whose absence is approved by the decision itself.
COUNTED_IF_PRESENT = frozenset({"exempted", "special_duty"})


# Left out of the attendance rate and of the absence criteria, and not counted as having
# missed the meeting (domain.md §5, §6). Always: exempted members and members on special
# duty in the armed forces (HD 12, criterion 1) and members attached to another cell (they
# attend there). By the province's setting (`MeetingRules.attendance_left_out`, STATUS-2),
# whose documented default leaves them out too: the suspended and the detained, who may not
# attend, as QĐ 24 9.3.2 leaves them out of votes.
ALWAYS_NOT_EXPECTED = frozenset({"exempted", "attached_elsewhere", "special_duty"})
OPTIONALLY_NOT_EXPECTED = ("suspended", "detained")
DEFAULT_LEFT_OUT = OPTIONALLY_NOT_EXPECTED
# The statuses left out under the default setting (`chibo score` without a setting).
DEFAULT_NOT_EXPECTED = ALWAYS_NOT_EXPECTED | frozenset(DEFAULT_LEFT_OUT)


@functools.lru_cache(maxsize=16)
def not_expected(left_out: tuple[str, ...]) -> frozenset[str]:
    """The statuses left out of the attendance rate when the province's setting leaves out
    `left_out` (any of `OPTIONALLY_NOT_EXPECTED`; the others are always left out)."""
    return ALWAYS_NOT_EXPECTED | frozenset(s for s in left_out if s in OPTIONALLY_NOT_EXPECTED)


def expected_to_attend(status: str, left_out: frozenset[str] = DEFAULT_NOT_EXPECTED) -> bool:
    """Whether a member in `status` that day counts in the attendance rate and can miss
    the meeting, `left_out` being the statuses the province's setting leaves out
    (`not_expected`)."""
    return status not in left_out


def counts_for_vote(status: str, attendance: str) -> bool:
    """Whether a home member of the cell is in the vote's denominator (9.3.2): official
    members, less those attached elsewhere, suspended or detained, exempted members (and
    members on special duty) who are absent, and members absent with an approved reason.
    Probationary members do not vote; members attached here from elsewhere are left out by
    the caller (they are not on this cell's roll)."""
    if status in NEVER_COUNTED or status == "probationary":
        return False
    if status in COUNTED_IF_PRESENT:
        return attendance in PRESENT
    return attendance != "absent_excused"


@dataclass(frozen=True)
class VoteRoll:
    """The vote's denominator and how many of those counted are present to vote."""

    denominator: int
    voters_present: int


def vote_roll(people: Iterable[tuple[str, str]]) -> VoteRoll:
    """The roll of a meeting from the (status, attendance) of each home member."""
    denominator = voters_present = 0
    for status, attendance in people:
        if counts_for_vote(status, attendance):
            denominator += 1
            voters_present += attendance in PRESENT
    return VoteRoll(denominator, voters_present)


def vote_passed(votes_for: int | None, denominator: int) -> bool | None:
    """A resolution passes with more than half of the denominator for it (None: no vote)."""
    if votes_for is None:
        return None
    return votes_for * 2 > denominator


# Personnel and admission votes (VOTE-5) are counted on the cell's official members, not on
# a meeting's attendance: their rule lives in `chibo.members.rules`, below `meetings`,
# because recognition as official (`chibo.members.services.make_official`) needs it.


@dataclass(frozen=True)
class VoteProblem:
    """One impossible thing in recorded vote figures."""

    rule: str  # VOTE-2 (more votes than voters) or VOTE-3 (a figure that cannot be)
    field: str
    message: str


def vote_problems(
    votes: dict[str, int | None], roll: VoteRoll, *, required: tuple[str, ...] = ()
) -> list[VoteProblem]:
    """What is impossible in recorded vote figures: `votes` maps each field name to its
    figure, in the order (for, against, abstain). A figure is a whole number not below zero
    (VOTE-3); together they cannot exceed the official members present who may vote
    (VOTE-2)."""
    problems: list[VoteProblem] = []
    for field, value in votes.items():
        if value is None:
            if field in required:
                problems.append(VoteProblem("VOTE-3", field, _("Give the number of votes.")))
        elif isinstance(value, bool) or not isinstance(value, int):
            problems.append(VoteProblem("VOTE-3", field, _("Give a whole number of votes.")))
        elif value < 0:
            problems.append(
                VoteProblem("VOTE-3", field, _("A number of votes cannot be negative."))
            )
    if problems:
        return problems
    cast = sum(v for v in votes.values() if isinstance(v, int))
    if cast > roll.voters_present:
        message = _(
            "%(n)s votes were cast but only %(present)s official members present may vote "
            "(denominator %(d)s)."
        ) % {"n": cast, "present": roll.voters_present, "d": roll.denominator}
        problems.append(VoteProblem("VOTE-2", next(iter(votes)), message))
    return problems


def vote_errors(
    votes: dict[str, int | None], roll: VoteRoll, *, required: tuple[str, ...] = ()
) -> dict[str, str]:
    """`vote_problems` by field, as forms and services report them."""
    errors: dict[str, str] = {}
    for problem in vote_problems(votes, roll, required=required):
        errors.setdefault(problem.field, problem.message)
    return errors
