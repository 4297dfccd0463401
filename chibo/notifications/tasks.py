"""Background work: telling people of their new to-do items (`chibo notify` queues it)."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import translation
from django_tasks import task

from chibo.notifications.services import notify_user
from chibo.orgs.models import RoleGrant

logger = logging.getLogger(__name__)

# People told per task: a failure retries a batch, not the whole province.
BATCH = 200


def people(on: datetime.date) -> QuerySet[Any]:
    """Everyone who can sign in and holds a grant on `on` (what a to-do list is made from)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=RoleGrant.objects.active(on).values("user_id"))
        .order_by("pk")
    )


@task()
def notify_people(day: str, user_ids: list[int]) -> dict[str, int]:
    """Tell each of `user_ids` of their new to-do items of `day` (ISO): notifications, Web
    Push and the day's digest. Safe to run again: what was told is not told twice."""
    today = datetime.date.fromisoformat(day)
    totals = {"people": 0, "notifications": 0, "pushes": 0, "digests": 0}
    with translation.override(settings.LANGUAGE_CODE):
        for user in get_user_model().objects.filter(pk__in=user_ids).order_by("pk"):
            told = notify_user(user=user, today=today)
            totals["people"] += 1
            totals["notifications"] += len(told.new)
            totals["pushes"] += told.pushes
            totals["digests"] += 1 if told.digest_items else 0
    logger.info("notify %s: %s", day, totals)
    return totals
