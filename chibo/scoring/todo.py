"""What waits on a person among scores and classifications (chibo.lib.todo): meeting scores
the upper level has to confirm, and the steps of the annual classification (the cell's and
the member's own self-assessment, the verification and the decision of the level above)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chibo.lib.dates import add_months
from chibo.lib.todo import TodoItem
from chibo.members.models import Member, MemberStatus
from chibo.orgs.access import duty_filter, duty_grants
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm, Scope
from chibo.scoring.models import AnnualRating, MeetingScore

if TYPE_CHECKING:
    from chibo.orgs.access import AnyUser

RATED = (MemberStatus.OFFICIAL, MemberStatus.PROBATIONARY)
# Scores wait on the upper level for the meetings of this month and the last: the month's
# review is when it confirms them; an older score unconfirmed stands as the cell proposed it
# (the dashboards count it so) and is not put on anyone's list.
CONFIRM_MONTHS = 2


def scores_to_confirm(user: AnyUser, today: datetime.date) -> Iterator[TodoItem]:
    """Scores proposed by cells for the meetings of the last CONFIRM_MONTHS months and not
    yet confirmed, for those who confirm them as the upper level (CONFIRM_SCORES: committee
    members, working groups). Budget: 1 query."""
    if not duty_grants(user, Perm.CONFIRM_SCORES):
        return
    since = add_months(today.replace(day=1), 1 - CONFIRM_MONTHS)
    scores = (
        MeetingScore.objects.visible_to(user, Perm.CONFIRM_SCORES)
        .filter(duty_filter(user, Perm.CONFIRM_SCORES, through="meeting__unit__"))
        .filter(proposed_at__isnull=False, confirmed_at__isnull=True, meeting__month__gte=since)
        .select_related("meeting__unit")
        .order_by("meeting__scheduled_at", "pk")
    )
    for score in scores:
        meeting = score.meeting
        day = timezone.localtime(meeting.scheduled_at).date()
        yield TodoItem(
            key=f"scoring.confirm:{score.pk}",
            kind="scoring.confirm",
            title=_("Confirm the score of the meeting of %(day)s") % {"day": f"{day:%d/%m/%Y}"},
            url=reverse("scoring:confirm", args=[meeting.pk]),
            unit=meeting.unit.name,
        )


def classification_year(today: datetime.date) -> int | None:
    """The year being classified in the season of the annual classification (December to
    February: QĐ 366 has it done at the year's end), None outside it."""
    if today.month == 12:
        return today.year
    if today.month <= 2:
        return today.year - 1
    return None


def self_assessments(user: AnyUser, today: datetime.date) -> Iterator[TodoItem]:
    """In the classification season: the cells whose self-assessment their leaders (ASSESS
    held on the cell) have not entered, and the person's own self-assessment as a member.
    Budget: 2 queries (the cells, the member)."""
    year = classification_year(today)
    if year is None or not user.is_authenticated:
        return
    rating_url = f"?year={year}"
    if any(g.unit.is_cell for g in duty_grants(user, Perm.ASSESS)):
        assessed = AnnualRating.objects.filter(
            year=year, unit=OuterRef("pk"), member__isnull=True
        ).exclude(self_level="")
        cells = (
            Unit.objects.visible_to(user, Perm.ASSESS)
            .cells()
            .filter(duty_filter(user, Perm.ASSESS, cells_only=True))
            .filter(~Exists(assessed))
            .order_by("path")
        )
        for cell in cells:
            yield TodoItem(
                key=f"scoring.self_cell:{cell.pk}:{year}",
                kind="scoring.self_cell",
                title=_("Self-assessment of the cell for %(year)s") % {"year": year},
                url=reverse("scoring:rate_cell", args=[cell.code]) + rating_url,
                unit=cell.name,
                due=datetime.date(year, 12, 31),
                overdue=datetime.date(year, 12, 31) < today,
            )
    assessed_self = AnnualRating.objects.filter(year=year, member=OuterRef("pk")).exclude(
        self_level=""
    )
    members = (
        Member.objects.filter(user_id=user.pk, status__in=RATED)
        .filter(~Exists(assessed_self))
        .select_related("unit")
    )
    for member in members:
        yield TodoItem(
            key=f"scoring.self_member:{member.pk}:{year}",
            kind="scoring.self_member",
            title=_("Your own self-assessment as a party member for %(year)s") % {"year": year},
            url=reverse("scoring:rate_member", args=[member.pk]) + rating_url,
            unit=member.unit.name,
            due=datetime.date(year, 12, 31),
            overdue=datetime.date(year, 12, 31) < today,
        )


def _units_right_below(user: AnyUser, perm: Perm) -> Q:
    """The units right below those on which the user holds `perm` over the subtree: the
    level above verifies and decides the classification of the level below it."""
    condition = Q(pk__in=[])
    for grant in duty_grants(user, perm):
        if grant.scope == Scope.SUBTREE:
            condition |= Q(unit__path__startswith=grant.unit.path, unit__depth=grant.unit.depth + 1)
    return condition


def classification_reviews(user: AnyUser, today: datetime.date) -> Iterator[TodoItem]:
    """In the classification season: the classifications of the units right below the
    person's committee waiting on their verification (VERIFY_RATINGS: self-assessed, not
    verified) or decision (DECIDE_RATINGS: verified, not decided). Budget: 1 query."""
    year = classification_year(today)
    if year is None:
        return
    verify = _units_right_below(user, Perm.VERIFY_RATINGS)
    decide = _units_right_below(user, Perm.DECIDE_RATINGS)
    if verify == Q(pk__in=[]) and decide == Q(pk__in=[]):
        return
    ratings = (
        AnnualRating.objects.visible_to(user, Perm.VIEW_MEMBERS)
        .filter(year=year, member__isnull=True, decided_level="")
        .filter(
            (verify & ~Q(self_level="") & Q(verified_level="")) | (decide & ~Q(verified_level=""))
        )
        .select_related("unit")
        .order_by("unit__path")
    )
    for rating in ratings:
        step = "decide" if rating.verified_level else "verify"
        title = (
            _("Decide the classification for %(year)s")
            if step == "decide"
            else _("Verify the classification for %(year)s")
        )
        yield TodoItem(
            key=f"scoring.{step}:{rating.pk}",
            kind=f"scoring.{step}",
            title=title % {"year": year},
            url=reverse("scoring:rate_cell", args=[rating.unit.code]) + f"?year={year}",
            unit=rating.unit.name,
        )


PROVIDERS = (scores_to_confirm, self_assessments, classification_reviews)
