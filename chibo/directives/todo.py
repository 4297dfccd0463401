"""What waits on a person among the requests and answers (chibo.lib.todo): requests their
units are to answer, and submitted answers to the requests their units sent, to review."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from chibo.directives.access import acting_q
from chibo.directives.models import OWED, Answer, AnswerState
from chibo.lib.todo import TodoItem
from chibo.orgs.permissions import Perm

if TYPE_CHECKING:
    from chibo.orgs.access import AnyUser

LIMIT = 200  # items of one kind at most: a list, not an archive


def requests_to_answer(user: AnyUser, today: date) -> Iterable[TodoItem]:
    """The answers still owed (or returned) by the units the user answers for. One query."""
    answers = (
        Answer.objects.filter(acting_q(user, Perm.ANSWER_REQUESTS, through="unit__"))
        .filter(state__in=[*OWED, AnswerState.RETURNED])
        .select_related("request", "unit")
        .order_by("request__due_on", "pk")[:LIMIT]
    )
    for answer in answers:
        returned = answer.state == AnswerState.RETURNED
        yield TodoItem(
            key=f"directives.answer:{answer.pk}",
            kind="directives.answer",
            title=(
                _("Correct and resubmit: %(title)s")
                if returned
                else _("Answer the request: %(title)s")
            )
            % {"title": answer.request.title},
            url=answer.get_absolute_url(),
            unit=answer.unit.name,
            due=answer.request.due_on,
            overdue=answer.is_late(today),
        )


def answers_to_review(user: AnyUser, today: date) -> Iterable[TodoItem]:
    """Submitted answers to the requests of the units the user sends for. One query."""
    answers = (
        Answer.objects.filter(acting_q(user, Perm.SEND_REQUESTS, through="request__unit__"))
        .filter(state=AnswerState.SUBMITTED)
        .select_related("request", "unit")
        .order_by("submitted_at", "pk")[:LIMIT]
    )
    for answer in answers:
        yield TodoItem(
            key=f"directives.review:{answer.pk}",
            kind="directives.review",
            title=_("Review the answer of %(unit)s: %(title)s")
            % {"unit": answer.unit.name, "title": answer.request.title},
            url=answer.get_absolute_url(),
            unit=answer.unit.name,
        )


PROVIDERS = (requests_to_answer, answers_to_review)
