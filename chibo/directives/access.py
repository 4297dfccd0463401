"""The access to requests and answers, on the grants of chibo.orgs.access.

- Senders: whoever holds SEND_REQUESTS over the unit that sent a request (its own staff,
  and the staff above who oversee it) sees the request and every answer to it. Sending
  from a unit, returning and accepting answers take a grant on that unit itself
  (`acts_for`): a unit's staff speak for it, not the staff above.
- Recipients: whoever holds ANSWER_REQUESTS over a recipient unit sees the request and
  that unit's answer, never the other units' answers; writing the answer takes a grant
  on the recipient unit itself.
- Everybody else: nothing (404 for absent and forbidden alike).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q
from django.http import Http404

from chibo.directives.models import Answer, Request
from chibo.orgs.access import grants_with, is_superuser, unit_filter
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm

if TYPE_CHECKING:
    from chibo.orgs.access import AnyUser


def acts_for(user: AnyUser, perm: Perm, unit: Unit) -> bool:
    """Whether `user` holds `perm` by a grant on `unit` itself (no query once the grants
    are loaded)."""
    return is_superuser(user) or any(g.unit_id == unit.pk for g in grants_with(user, perm))


def acting_units(user: AnyUser, perm: Perm) -> list[Unit]:
    """The units `user` holds `perm` on by a grant on the unit itself (every unit that is
    not a cell, for a superuser), in the tree's order."""
    if is_superuser(user):
        return list(
            Unit.objects.filter(kind__holds_meetings=False).select_related("kind").order_by("path")
        )
    units = {g.unit_id: g.unit for g in grants_with(user, perm)}
    return sorted(units.values(), key=lambda u: u.path)


def acting_q(user: AnyUser, perm: Perm, *, through: str) -> Q:
    """A filter on the units (through the relation `through`) `user` acts for with `perm`."""
    if is_superuser(user):
        return Q(**{f"{through}pk__isnull": False})
    return Q(**{f"{through}pk__in": sorted({g.unit_id for g in grants_with(user, perm)})})


def requests_q(user: AnyUser, action: Perm = Perm.VIEW_UNIT) -> Q:
    """Requests seen by `user`: sent by a unit they hold SEND_REQUESTS over, or addressed
    to a unit they hold ANSWER_REQUESTS over. For `action` SEND_REQUESTS, the first only."""
    sent = unit_filter(user, Perm.SEND_REQUESTS, through="unit__")
    if action == Perm.SEND_REQUESTS:
        return sent
    received = Exists(
        Answer.objects.filter(request=OuterRef("pk")).filter(
            unit_filter(user, Perm.ANSWER_REQUESTS, through="unit__")
        )
    )
    return sent | Q(received)


def answers_q(user: AnyUser, action: Perm = Perm.VIEW_UNIT) -> Q:
    """Answers seen by `user`: all of a request sent by a unit they hold SEND_REQUESTS
    over, and those of the units they hold ANSWER_REQUESTS over. For `action`
    ANSWER_REQUESTS, those of the units they answer for by a grant on the unit itself."""
    if action == Perm.ANSWER_REQUESTS:
        return acting_q(user, Perm.ANSWER_REQUESTS, through="unit__")
    return unit_filter(user, Perm.SEND_REQUESTS, through="request__unit__") | unit_filter(
        user, Perm.ANSWER_REQUESTS, through="unit__"
    )


def get_request_for_user(user: AnyUser, pk: int, *, action: Perm = Perm.VIEW_UNIT) -> Request:
    request = (
        Request.objects.visible_to(user, action)
        .select_related("unit__kind", "sent_by")
        .filter(pk=pk)
        .first()
    )
    if request is None:
        raise Http404
    return request


def get_answer_for_user(user: AnyUser, pk: int, *, action: Perm = Perm.VIEW_UNIT) -> Answer:
    answer = (
        Answer.objects.visible_to(user, action)
        .select_related("request__unit__kind", "unit__kind", "submitted_by", "reviewed_by")
        .filter(pk=pk)
        .first()
    )
    if answer is None:
        raise Http404
    return answer


def sees_all_answers(user: AnyUser, request: Request) -> bool:
    """Whether `user` sees every answer to `request` (its sender's side)."""
    from chibo.orgs.access import has_perm

    return has_perm(user, Perm.SEND_REQUESTS, request.unit)
