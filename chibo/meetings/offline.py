"""The pages of a meeting a phone keeps for a village hall without signal (issue 22): the
meeting page, and for the cell's record keepers its attendance and live minutes, of the
meetings being held now and the next ones. The service worker (chibo/static/chibo/sw.js)
asks for this list when its user opens their home or a meeting page online."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone

from chibo.meetings.models import Meeting, MeetingState
from chibo.orgs.permissions import Perm

if TYPE_CHECKING:
    from chibo.orgs.access import AnyUser

# A meeting held up to a week ago whose minutes are still being written is "current".
CURRENT_FOR = datetime.timedelta(days=7)
# Planned meetings further away than this are not kept: they will be kept nearer the day.
NEXT_WITHIN = datetime.timedelta(days=45)
# At most this many meetings (a commune's officer sees dozens of cells).
MEETINGS_KEPT = 4


def offline_meetings(user: AnyUser) -> list[tuple[Meeting, bool]]:
    """The current and next meetings `user` may see, soonest first, each with whether the
    user keeps its records (then its attendance and live minutes are kept too). Two queries,
    whatever the number of cells."""
    now = timezone.now()
    meetings = list(
        Meeting.objects.visible_to(user)
        .filter(
            state__in=[MeetingState.PLANNED, MeetingState.POSTPONED, MeetingState.HELD],
            scheduled_at__gte=now - CURRENT_FOR,
            scheduled_at__lte=now + NEXT_WITHIN,
        )
        .order_by("scheduled_at", "pk")[:MEETINGS_KEPT]
    )
    managed = set(
        Meeting.objects.visible_to(user, Perm.MANAGE_MEETINGS)
        .filter(pk__in=[m.pk for m in meetings])
        .values_list("pk", flat=True)
    )
    return [(m, m.pk in managed) for m in meetings]


def offline_pages(user: AnyUser) -> list[str]:
    """The addresses of the pages to keep, in the order they are fetched."""
    pages: list[str] = []
    for meeting, manages in offline_meetings(user):
        pages.append(reverse("meetings:meeting", args=[meeting.pk]))
        if manages:
            pages.append(reverse("meetings:attendance", args=[meeting.pk]))
            pages.append(reverse("meetings:live", args=[meeting.pk]))
    return pages
