"""Reminders of working-group reports past their due date (a `chibo send_reminders` source)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from chibo.supervision.models import WorkingGroup
from chibo.supervision.services import overdue_reports

# Days after the due date on which the group is reminded, then every week.
REMIND_ON = (1, 3, 7)


def overdue_report_reminders(today: datetime.date) -> tuple[list[EmailMessage], dict[str, int]]:
    messages = []
    recent = WorkingGroup.objects.filter(ends_on__gte=today - datetime.timedelta(days=366))
    for group, due in overdue_reports(recent, today):
        late = (today - due.due_on).days
        if late not in REMIND_ON and late % 7:
            continue
        path = reverse("supervision:report", args=[group.pk, due.period])
        body = render_to_string(
            "supervision/email/report_overdue.txt",
            {"group": group, "due": due, "link": f"{settings.SITE_URL.rstrip('/')}{path}"},
        )
        people = {group.leader, *group.members.all()}
        for email in sorted({p.email for p in people if p.email}):
            messages.append(
                EmailMessage(
                    _("Working group report overdue: %(name)s") % {"name": group.name},
                    body,
                    to=[email],
                )
            )
    return messages, {"overdue working-group report reminders": len(messages)}
