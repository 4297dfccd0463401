"""What scoring adds to the pages of the apps below it (chibo.lib.panels,
settings.CHIBO_PANELS): the way to a meeting's score sheet and its confirmation, to a
cell's scorecard and to a member's annual classification. Each decides from the reader's
grants over the object's unit (no query: the grants are cached on the user); the pages it
links to ask their own getters."""

from __future__ import annotations

from typing import Any

from chibo.lib.panels import Panel
from chibo.meetings.models import Meeting, MeetingState
from chibo.members.models import Member, MemberStatus
from chibo.orgs.access import has_perm
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm


def meeting_score(user: Any, meeting: Meeting) -> dict[str, Any] | None:
    """The cell's record keepers fill in the score sheet; the upper level confirms on its
    own page. Only once the meeting is held."""
    if meeting.state not in (MeetingState.HELD, MeetingState.APPROVED):
        return None
    return {
        "meeting": meeting,
        "can_score": has_perm(user, Perm.MANAGE_MEETINGS, meeting.unit),
        "can_confirm": has_perm(user, Perm.CONFIRM_SCORES, meeting.unit),
    }


def cell_scorecard(user: Any, unit: Unit) -> dict[str, Any] | None:
    return {"unit": unit}


def member_rating(user: Any, member: Member) -> dict[str, Any] | None:
    """A member who left is no longer rated (the page answers 404)."""
    if member.status == MemberStatus.LEFT:
        return None
    return {"member": member}


MEETING_SCORE = Panel("scoring/panels/meeting_score.html", meeting_score)
CELL_SCORECARD = Panel("scoring/panels/cell_scorecard.html", cell_scorecard)
MEMBER_RATING = Panel("scoring/panels/member_rating.html", member_rating)
