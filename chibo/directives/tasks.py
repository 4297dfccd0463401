"""Reminders of late answers, sent by the background worker (django-tasks).

Each late recipient is reminded once per step of the reminder rule (LATE-REMIND: 1, 7 and
14 days after the due date; a worker that was down for days sends only the latest step
reached). The unique `Reminder` row of (answer, step) is written in the transaction that
sends the mails: a retried or doubled worker finds it and sends nothing again.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from chibo.directives.models import Answer, Reminder
from chibo.orgs.access import roles_with
from chibo.orgs.models import RoleGrant
from chibo.orgs.permissions import Perm

logger = logging.getLogger(__name__)

# Days after the due date on which a late recipient is reminded.
REMINDER_DAYS = (1, 7, 14)


def reminder_step(due_on: datetime.date, today: datetime.date) -> int | None:
    """The latest step of the reminder rule reached on `today` (None before the first)."""
    late = (today - due_on).days
    reached = [days for days in REMINDER_DAYS if late >= days]
    return max(reached) if reached else None


def answerers(unit_ids: list[int], on: datetime.date) -> dict[int, list[str]]:
    """The e-mail addresses of those who answer for each unit (a grant on the unit itself)."""
    emails: dict[int, list[str]] = {}
    for unit_id, email in (
        RoleGrant.objects.active(on)
        .filter(unit_id__in=unit_ids, role__in=roles_with(Perm.ANSWER_REQUESTS))
        .exclude(user__email="")
        .values_list("unit_id", "user__email")
        .order_by("unit_id", "user__email")
    ):
        if email not in emails.setdefault(unit_id, []):
            emails[unit_id].append(email)
    return emails


def remind_late_answers(*, today: datetime.date | None = None) -> int:
    """Remind the late recipients whose step of the rule has no reminder yet; return how
    many reminders were recorded. Runs in a fixed number of queries, plus two per
    reminder sent."""
    today = today or timezone.localdate()
    late = list(
        Answer.objects.late(today)
        .select_related("request__unit", "unit")
        .order_by("request__due_on", "pk")
    )
    done = set(
        Reminder.objects.filter(answer__in=[a.pk for a in late]).values_list("answer_id", "step")
    )
    due = []
    for answer in late:
        step = reminder_step(answer.request.due_on, today)
        if step is not None and (answer.pk, step) not in done:
            due.append((answer, step))
    if not due:
        return 0
    emails = answerers(sorted({a.unit_id for a, _s in due}), today)
    base = settings.SITE_URL.rstrip("/")
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for answer, step in due:
            with transaction.atomic():
                reminder, created = Reminder.objects.get_or_create(answer=answer, step=step)
                if not created:  # another worker got there first
                    continue
                body = render_to_string(
                    "directives/email/late_answer.txt",
                    {
                        "answer": answer,
                        "request": answer.request,
                        "days": (today - answer.request.due_on).days,
                        "link": f"{base}{answer.get_absolute_url()}",
                    },
                )
                subject = _("Late answer: %(title)s") % {"title": answer.request.title}
                messages = [
                    EmailMessage(subject, body, to=[email])
                    for email in emails.get(answer.unit_id, [])
                ]
                if messages:
                    with get_connection() as connection:
                        connection.send_messages(messages)
                reminder.mails = len(messages)
                reminder.save(update_fields=["mails"])
                sent += 1
    return sent


@task()
def send_request_reminders() -> int:
    """The daily run of the reminders (`chibo remind_requests` queues it)."""
    return remind_late_answers()
