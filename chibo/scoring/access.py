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
"""

from __future__ import annotations
