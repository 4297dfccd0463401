"""One search over what a user may see, grouped by type.

Each type is read through its app's access layer (`visible_to(user, …)`, docs/security.md
"The access layer"), never around it; the text is matched by chibo.lib.fulltext (the same
words on PostgreSQL and SQLite). Each type is one query (minutes and inspections two or
three), whatever the term and however much is found: at most PER_TYPE hits each.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from chibo.content.models import Material
from chibo.lib.fulltext import TextMatch, snippet, words
from chibo.meetings.models import AgendaItem, Meeting, Speech, Task
from chibo.members.access import citizen_id_search_filter
from chibo.members.models import Member
from chibo.supervision.models import Finding, InspectionItem

if TYPE_CHECKING:
    from chibo.orgs.access import AnyUser

PER_TYPE = 20


@dataclass(frozen=True)
class Hit:
    title: str
    url: str
    unit: str
    date: datetime.date | datetime.datetime | None
    excerpt: SafeString | str = ""


@dataclass(frozen=True)
class Group:
    key: str
    label: str | Promise
    hits: list[Hit]
    more: bool  # more than PER_TYPE were found: the term should be narrowed


@dataclass
class Found:
    words: list[str]
    groups: list[Group] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(group.hits) for group in self.groups)


def search(user: AnyUser, term: str) -> Found:
    """What `term` finds among the records `user` may see, grouped by type, newest first.
    A term with no letter or digit finds nothing (`Found.words` is empty)."""
    found = Found(words=words(term))
    if not found.words:
        return found
    for key, label, source in SOURCES:
        hits = list(source(user, found.words))
        if hits:
            found.groups.append(Group(key, label, hits[:PER_TYPE], len(hits) > PER_TYPE))
    return found


def _members(user: AnyUser, found: list[str]) -> Iterator[Hit]:
    # The members' own search: names with or without diacritics, card numbers, and citizen
    # ID numbers only where the user may see them (members.access's field rule).
    members = (
        Member.objects.visible_to(user)
        .search(" ".join(found), citizen_id_within=citizen_id_search_filter(user))
        .select_related("unit")[: PER_TYPE + 1]
    )
    for member in members:
        yield Hit(
            member.full_name,
            reverse("members:member", args=[member.pk]),
            member.unit.name,
            member.admitted_on,
        )


def _meetings(user: AnyUser, found: list[str]) -> Iterator[Hit]:
    meetings = (
        Meeting.objects.visible_to(user)
        .filter(TextMatch(found, "topic", "place", "state_reason"))
        .select_related("unit")
        .order_by("-scheduled_at", "-pk")[: PER_TYPE + 1]
    )
    for meeting in meetings:
        yield Hit(
            meeting.get_kind_display(),
            reverse("meetings:meeting", args=[meeting.pk]),
            meeting.unit.name,
            meeting.scheduled_at,
            snippet(" · ".join(filter(None, [meeting.topic, meeting.place])), found),
        )


def _minutes(user: AnyUser, found: list[str]) -> Iterator[Hit]:
    # The minutes are read on their meeting's page: whoever sees the meeting sees them.
    visible = Meeting.objects.visible_to(user).values("pk")
    hits: list[tuple[datetime.datetime, int, Hit]] = []
    conclusions = (
        Meeting.objects.visible_to(user)
        .filter(TextMatch(found, "conclusion"))
        .select_related("unit")
        .order_by("-scheduled_at", "-pk")[: PER_TYPE + 1]
    )
    for meeting in conclusions:
        hits.append(
            (
                meeting.scheduled_at,
                meeting.pk,
                _minutes_hit(meeting, _("Conclusion"), meeting.conclusion, found),
            )
        )
    items = (
        AgendaItem.objects.filter(meeting__in=visible)
        .filter(TextMatch(found, "title", "notes"))
        .select_related("meeting", "meeting__unit")
        .order_by("-meeting__scheduled_at", "-pk")[: PER_TYPE + 1]
    )
    for item in items:
        text = f"{item.title} · {item.notes}" if item.notes else item.title
        hits.append(
            (
                item.meeting.scheduled_at,
                item.meeting.pk,
                _minutes_hit(item.meeting, item.title, text, found),
            )
        )
    speeches = (
        Speech.objects.filter(item__meeting__in=visible)
        .filter(TextMatch(found, "gist"))
        .select_related("item", "item__meeting", "item__meeting__unit")
        .order_by("-item__meeting__scheduled_at", "-pk")[: PER_TYPE + 1]
    )
    for speech in speeches:
        meeting = speech.item.meeting
        hits.append(
            (
                meeting.scheduled_at,
                meeting.pk,
                _minutes_hit(meeting, speech.item.title, speech.gist, found),
            )
        )
    hits.sort(key=lambda hit: (hit[0], hit[1]), reverse=True)
    for *_ignored, hit in hits:
        yield hit


def _minutes_hit(meeting: Meeting, title: str | Promise, text: str, found: list[str]) -> Hit:
    return Hit(
        f"{meeting.get_kind_display()}: {title}",
        reverse("meetings:meeting", args=[meeting.pk]),
        meeting.unit.name,
        meeting.scheduled_at,
        snippet(text, found),
    )


def _resolutions(user: AnyUser, found: list[str]) -> Iterator[Hit]:
    meetings = (
        Meeting.objects.visible_to(user)
        .filter(TextMatch(found, "resolution", "draft_resolution"))
        .select_related("unit")
        .order_by("-scheduled_at", "-pk")[: PER_TYPE + 1]
    )
    for meeting in meetings:
        yield Hit(
            meeting.get_kind_display(),
            reverse("meetings:meeting", args=[meeting.pk]),
            meeting.unit.name,
            meeting.scheduled_at,
            snippet(meeting.resolution or meeting.draft_resolution, found),
        )


def _tasks(user: AnyUser, found: list[str]) -> Iterator[Hit]:
    # A task is shown on its meeting's page (its own page is for those who change it).
    tasks = (
        Task.objects.visible_to(user)
        .filter(TextMatch(found, "title", "progress"))
        .select_related("meeting", "meeting__unit")
        .order_by("-deadline", "-pk")[: PER_TYPE + 1]
    )
    for task in tasks:
        yield Hit(
            task.title,
            reverse("meetings:meeting", args=[task.meeting_id]),
            task.meeting.unit.name,
            task.deadline,
            snippet(task.progress, found) if task.progress else "",
        )


def _materials(user: AnyUser, found: list[str]) -> Iterator[Hit]:
    materials = (
        Material.objects.visible_to(user)
        .filter(TextMatch(found, "title", "summary", "topic"))
        .select_related("unit")
        .order_by("-month", "-pk")[: PER_TYPE + 1]
    )
    for material in materials:
        yield Hit(
            material.title,
            reverse("content:material", args=[material.pk]),
            material.unit.name,
            material.month,
            snippet(" · ".join(filter(None, [material.topic, material.summary])), found),
        )


def _inspections(user: AnyUser, found: list[str]) -> Iterator[Hit]:
    # Subjects, findings and conclusions only to whoever may open the inspection
    # (supervision.access's field rule): both queries go through InspectionItem.visible_to.
    visible = InspectionItem.objects.visible_to(user)
    hits: list[tuple[datetime.date, int, Hit]] = []
    items = (
        visible.filter(TextMatch(found, "subject", "conclusion"))
        .select_related("target")
        .order_by("-starts_on", "-pk")[: PER_TYPE + 1]
    )
    for item in items:
        hits.append(
            (
                item.starts_on,
                item.pk,
                _inspection_hit(item, f"{item.subject} · {item.conclusion}", found),
            )
        )
    findings = (
        Finding.objects.filter(item__in=visible.values("pk"))
        .filter(TextMatch(found, "text", "correction", "follow_up"))
        .select_related("item", "item__target")
        .order_by("-item__starts_on", "-pk")[: PER_TYPE + 1]
    )
    for finding in findings:
        text = " · ".join(filter(None, [finding.text, finding.correction, finding.follow_up]))
        hits.append(
            (finding.item.starts_on, finding.item.pk, _inspection_hit(finding.item, text, found))
        )
    hits.sort(key=lambda hit: (hit[0], hit[1]), reverse=True)
    for *_ignored, hit in hits:
        yield hit


def _inspection_hit(item: InspectionItem, text: str, found: list[str]) -> Hit:
    return Hit(
        item.subject,
        reverse("supervision:inspection", args=[item.pk]),
        item.target.name,
        item.starts_on,
        snippet(text, found),
    )


SOURCES: list[tuple[str, Promise, Callable[[AnyUser, list[str]], Iterator[Hit]]]] = [
    ("members", _("Members"), _members),
    ("meetings", _("Meetings"), _meetings),
    ("minutes", _("Minutes"), _minutes),
    ("resolutions", _("Resolutions"), _resolutions),
    ("tasks", _("Tasks"), _tasks),
    ("materials", _("Materials"), _materials),
    ("inspections", _("Inspections and findings"), _inspections),
]
