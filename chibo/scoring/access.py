"""The access to scores and classifications, on the grants of chibo.orgs.access.

- `MeetingScore.objects.visible_to(user, action)`: scores of meetings of the cells over
  which the user holds `action` (VIEW_MEETINGS). The score pages reach a score through its
  meeting (`chibo.meetings.access.get_meeting_for_user`, with MANAGE_MEETINGS to propose,
  CONFIRM_SCORES to confirm).
- `AnnualRating.objects.visible_to(user, action)`: classifications of cells and their
  members over which the user holds `action` (VIEW_MEMBERS).

The rating pages show what other apps add to the evidence (`settings.
CHIBO_RATING_EVIDENCE`): each source is given the user and filters through its own app's
access layer (for supervision: `chibo.supervision.access`).

Field rules of a classification, applied alike to the rating pages and the classification
export:
- the "disciplined" mark (written by supervision) follows the discipline rule of the app
  that records discipline (`discipline_rule`, `settings.CHIBO_DISCIPLINE_VISIBLE`);
- the notes of its steps (self-assessment, verification, decision) and of its amendments
  are free text in which the cell, the advisory body and the deciding level give their
  reasons, a discipline or an inspection's conclusion among them: they follow the same
  rule (`sees_rating_notes`). Whoever may not see them reads the levels, who and when.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.module_loading import import_string

if TYPE_CHECKING:
    from chibo.members.models import Member
    from chibo.orgs.models import Unit


def discipline_rule() -> Callable[[Any, Unit, Member | None], bool]:
    """Whether a user may see the discipline of a member (or of a cell, for None): the rule
    of the app that records discipline (`settings.CHIBO_DISCIPLINE_VISIBLE`); without one,
    everyone who sees the classification."""
    path = getattr(settings, "CHIBO_DISCIPLINE_VISIBLE", "")
    rule: Callable[[Any, Unit, Member | None], bool] = (
        import_string(path) if path else (lambda _user, _unit, _member: True)
    )
    return rule


def sees_rating_notes(user: Any, unit: Unit, member: Member | None) -> bool:
    """Whether `user` may read the notes of the classification of `member` (of the cell,
    for None): those who may see its discipline (no query)."""
    return discipline_rule()(user, unit, member)
