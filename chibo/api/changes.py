"""The changes feed (`/api/v1/changes/?since=`): what changed, oldest first, among the
records a user may see, read from the history the models keep (django-simple-history), so
that another system stays in step without reading everything again.

The cursor is opaque to clients: the time of the last change read, the type and the history
row, so that changes made in the same microsecond are neither skipped nor repeated. Each
type is read with one query (its visibility a subquery of the access layer): the feed costs
a fixed number of queries whatever the data."""

from __future__ import annotations

import base64
import binascii
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from chibo.meetings.models import Attendance, Meeting, Task
from chibo.members.models import Member
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm
from chibo.scoring.models import MeetingScore

KINDS = {"+": "created", "~": "changed", "-": "deleted"}


class BadCursor(ValueError):
    pass


def _meetings(user: Any) -> QuerySet[Meeting, Any]:
    return Meeting.objects.visible_to(user, Perm.VIEW_MEETINGS).order_by().values("pk")


# (type, the history of the model, the filter of what `user` may see among its rows)
FEEDS: list[tuple[str, Any, Callable[[Any], Q]]] = [
    ("unit", Unit.history,
     lambda u: Q(id__in=Unit.objects.visible_to(u, Perm.VIEW_UNIT).order_by().values("pk"))),
    ("member", Member.history,
     lambda u: Q(unit_id__in=Unit.objects.visible_to(u, Perm.VIEW_MEMBERS).order_by()
                 .values("pk"))),
    ("meeting", Meeting.history, lambda u: Q(id__in=_meetings(u))),
    ("attendance", Attendance.history, lambda u: Q(meeting_id__in=_meetings(u))),
    ("task", Task.history, lambda u: Q(meeting_id__in=_meetings(u))),
    ("score", MeetingScore.history, lambda u: Q(meeting_id__in=_meetings(u))),
]  # fmt: skip
ORDER = {name: index for index, (name, _history, _q) in enumerate(FEEDS)}


@dataclass(frozen=True)
class Change:
    cursor: str
    type: str
    id: int
    change: str
    at: datetime.datetime


def encode(at: datetime.datetime, kind: str, history_id: int) -> str:
    raw = f"{at.isoformat()}|{kind}|{history_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime.datetime, str, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, kind, history_id = raw.split("|")
        moment = datetime.datetime.fromisoformat(at)
        if kind not in ORDER or moment.tzinfo is None:
            raise BadCursor(cursor)
        return moment, kind, int(history_id)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadCursor(cursor) from exc


def read(user: Any, since: str, limit: int) -> tuple[list[Change], str]:
    """Up to `limit` changes after `since`, and the cursor to read on from."""
    after = decode(since) if since else None
    found: list[tuple[tuple[datetime.datetime, int, int], Change]] = []
    for name, history, visible in FEEDS:
        rows = history.filter(visible(user))
        if after is not None:
            at, kind, history_id = after
            if ORDER[name] > ORDER[kind]:
                rows = rows.filter(history_date__gte=at)
            elif name == kind:
                rows = rows.filter(
                    Q(history_date__gt=at) | Q(history_date=at, history_id__gt=history_id)
                )
            else:
                rows = rows.filter(history_date__gt=at)
        for history_id, object_id, moment, change in rows.order_by(
            "history_date", "history_id"
        ).values_list("history_id", "id", "history_date", "history_type")[:limit]:
            cursor = encode(moment, name, history_id)
            found.append(
                (
                    (moment, ORDER[name], history_id),
                    Change(cursor, name, object_id, KINDS.get(change, change), moment),
                )
            )
    found.sort(key=lambda pair: pair[0])
    changes = [change for _key, change in found[:limit]]
    return changes, (changes[-1].cursor if changes else since)
