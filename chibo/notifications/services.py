"""The writers of notifications: telling each person of their new to-do items (in the app,
on their phones), the daily e-mail digest, and the person's choices.

Every send is claimed in the database before it is made (a unique row, or a conditional
update of an empty column), so that a retry of the background worker, or two workers at
once, never tell a person twice of the same thing."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chibo.lib.todo import TodoItem
from chibo.notifications.collector import todo_items
from chibo.notifications.models import Digest, Notification, Preference, PushSubscription
from chibo.notifications.push import push_enabled, send_push

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass
class Told:
    """What one person is (or would be) told on a day."""

    user: str
    new: list[TodoItem] = field(default_factory=list)
    pushes: int = 0
    digest_items: int = 0  # 0: no digest


def wants_digest(user: User) -> bool:
    preference = Preference.objects.filter(user=user).first()
    return bool(user.email) and (preference is None or preference.daily_digest)


def notify_user(*, user: User, today: datetime.date, dry_run: bool = False) -> Told:
    """Tell `user` of their to-do items that are new since the last run: a notification
    each, one Web Push message to each of their browsers, and the day's e-mail digest
    (unless they opted out). With `dry_run`, only say what would be sent."""
    told = Told(user=user.get_username())
    items = todo_items(user, today)
    known = set(
        Notification.objects.filter(user=user, key__in=[i.key for i in items]).values_list(
            "key", flat=True
        )
    )
    told.new = [item for item in items if item.key not in known]
    subscriptions = list(PushSubscription.objects.filter(user=user)) if push_enabled() else []
    digest_due = (
        bool(items)
        and wants_digest(user)
        and not Digest.objects.filter(user=user, day=today).exists()
    )
    if dry_run:
        told.pushes = len(subscriptions) if told.new else 0
        told.digest_items = len(items) if digest_due else 0
        return told
    _create(user, told.new)
    if told.new and subscriptions:
        told.pushes = _push(user, subscriptions)
    if digest_due:
        told.digest_items = _send_digest(user, today, items)
    return told


def _create(user: User, items: list[TodoItem]) -> None:
    Notification.objects.bulk_create(
        [
            Notification(
                user=user,
                key=item.key,
                kind=item.kind,
                title=item.title[:300],
                url=item.url,
                unit=item.unit[:200],
                due=item.due,
            )
            for item in items
        ],
        ignore_conflicts=True,  # made by another run meanwhile: it is told already
    )


def _push(user: User, subscriptions: list[PushSubscription]) -> int:
    """One message per browser for the notifications not pushed yet, claimed first."""
    now = timezone.now()
    waiting = list(
        Notification.objects.filter(user=user, pushed_at__isnull=True).order_by("created_at", "pk")
    )
    claimed = [
        n
        for n in waiting
        if Notification.objects.filter(pk=n.pk, pushed_at__isnull=True).update(pushed_at=now)
    ]
    if not claimed:
        return 0
    title = ngettext("%(n)s new thing to do", "%(n)s new things to do", len(claimed)) % {
        "n": len(claimed)
    }
    payload = {
        "title": title,
        "body": claimed[0].title,
        "url": claimed[0].url if len(claimed) == 1 else reverse("notifications:list"),
        "tag": "chibo-todo",
    }
    return sum(1 for subscription in subscriptions if send_push(subscription, payload))


def _send_digest(user: User, today: datetime.date, items: list[TodoItem]) -> int:
    try:
        with transaction.atomic():
            Digest.objects.create(user=user, day=today, items=len(items))
    except IntegrityError:  # sent by another run today
        return 0
    site = settings.SITE_URL.rstrip("/")
    body = render_to_string(
        "notifications/email/digest.txt",
        {
            "items": items,
            "overdue": sum(1 for i in items if i.overdue),
            "site": site,
            "settings_url": site + reverse("notifications:settings"),
        },
    )
    subject = _("chibo: %(n)s things wait for you") % {"n": len(items)}
    send_mail(subject, body, None, [user.email])
    Notification.objects.filter(user=user, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    return len(items)


@transaction.atomic
def mark_read(*, user: User, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notifications `notification_ids` (all when None) as read."""
    unread = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())


@transaction.atomic
def set_preference(*, user: User, daily_digest: bool) -> Preference:
    preference, _created = Preference.objects.update_or_create(
        user=user, defaults={"daily_digest": daily_digest}
    )
    return preference


@transaction.atomic
def save_push_subscription(*, user: User, endpoint: str, p256dh: str, auth: str) -> None:
    """Remember a browser that allowed Web Push (the same browser again replaces its keys;
    a browser passed to another person is theirs now)."""
    PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"user": user, "p256dh": p256dh, "auth": auth}
    )


@transaction.atomic
def remove_push_subscription(*, user: User, endpoint: str) -> int:
    deleted, _kinds = PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()
    return deleted
