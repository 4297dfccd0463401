"""What supervision adds to the pages of the apps below it (chibo.lib.panels,
settings.CHIBO_PANELS): from a meeting's upper-level attendees to their observations, and
from the province's scoring rules to the other half of its settings. The pages linked to
ask their own getters (`get_meeting_for_user` with the visits read through
`Visit.objects.visible_to`; the rules with MANAGE_RULES)."""

from __future__ import annotations

from typing import Any

from chibo.lib.panels import Panel
from chibo.meetings.models import Meeting
from chibo.orgs.models import Unit


def meeting_visits(user: Any, meeting: Meeting) -> dict[str, Any] | None:
    return {"meeting": meeting}


def supervision_rules(user: Any, province: Unit) -> dict[str, Any] | None:
    return {"province": province}


MEETING_VISITS = Panel("supervision/panels/meeting_visits.html", meeting_visits)
SUPERVISION_RULES = Panel("supervision/panels/rules.html", supervision_rules)
