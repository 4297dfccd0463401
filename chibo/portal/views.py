"""The pages that gather links to every app: the home page (what concerns the person who
is logged in) and the unit page. They sit above every app (docs/architecture.md), so that
no lower app's template links upward."""

from django.db.models import DateTimeField, IntegerField, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from chibo.lib.statements import Statement
from chibo.meetings.models import Attendance, Meeting, Task, coming_since
from chibo.members.models import Member
from chibo.notifications.collector import remember_count, todo_count, todo_items
from chibo.notifications.models import Notification
from chibo.orgs.access import (
    active_grants,
    get_unit_for_user,
    has_perm,
    top_units,
    visible_children,
)
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm
from chibo.supervision.access import groups_of

# The member's coming meetings: a statement, a fifth of the home page's CPU compiled each
# time; the page's other reads save less than a tenth each (docs/performance.md).
UPCOMING = Statement(
    lambda *, cell, attached, since: (
        Meeting.objects.filter(Q(unit_id=cell) | Q(unit_id=attached))
        .upcoming(since=since)
        .select_related("unit")[:3]
    ),
    cell=IntegerField(),
    attached=IntegerField(),
    since=DateTimeField(),
)


def home(request: HttpRequest) -> HttpResponse:
    member = None
    if request.user.is_authenticated:  # always, past LoginRequiredMiddleware
        member = (
            Member.objects.select_related("unit", "unit__kind").filter(user=request.user).first()
        )
    meetings: list[Meeting] = []
    tasks: list[Task] = []
    attended: list[Attendance] = []
    if member is not None:
        meetings = UPCOMING(
            cell=member.unit_id,
            attached=member.attached_to_id or 0,  # 0: attached to no other cell
            since=coming_since(),
        )
        tasks = list(Task.objects.filter(owner=member).still_open().select_related("meeting")[:5])
        attended = list(
            Attendance.objects.filter(member=member)
            .select_related("meeting")
            .order_by("-meeting__scheduled_at")[:12]
        )
    return render(
        request,
        "portal/home.html",
        {
            "member": member,
            "meetings": meetings,
            "tasks": tasks,
            "attended": attended,
            "grants": active_grants(request.user),
            "working_groups": list(groups_of(request.user).select_related("unit")[:5]),
            "top_units": top_units(request.user),
        },
    )


def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_unit_for_user(request.user, code)
    ancestors = (
        list(Unit.objects.get_ancestors(unit).select_related("kind")) if unit.depth > 1 else []
    )
    children = visible_children(request.user, unit)
    counts = Unit.objects.subtree_counts([unit, *children])
    return render(
        request,
        "portal/unit.html",
        {
            "unit": unit,
            "counts": counts[unit.pk],
            "breadcrumb": [(a, has_perm(request.user, Perm.VIEW_UNIT, a)) for a in ancestors],
            "rows": [(child, counts[child.pk]) for child in children],
            "can_see_members": has_perm(request.user, Perm.VIEW_MEMBERS, unit),
            "can_see_meetings": unit.is_cell and has_perm(request.user, Perm.VIEW_MEETINGS, unit),
            "can_see_league": not unit.is_cell and has_perm(request.user, Perm.VIEW_MEETINGS, unit),
            "can_see_dashboard": has_perm(request.user, Perm.VIEW_MEETINGS, unit),
            "can_see_visits": not unit.is_cell
            and has_perm(request.user, Perm.VIEW_SUPERVISION, unit),
            "can_set_rules": unit.depth == 1 and has_perm(request.user, Perm.MANAGE_RULES, unit),
        },
    )


def todo(request: HttpRequest) -> HttpResponse:
    """What waits on the person ("Việc cần làm"), overdue first, each item linking to where
    it is done (chibo.notifications.collector gathers every app's providers)."""
    items = todo_items(request.user)
    remember_count(request.user, len(items))
    return render(
        request,
        "portal/todo.html",
        {
            "items": items,
            "overdue": sum(1 for item in items if item.overdue),
            "unread": Notification.objects.filter(
                user_id=request.user.pk or 0, read_at__isnull=True
            ).count(),
        },
    )


@never_cache
def todo_badge(request: HttpRequest) -> HttpResponse:
    """The count in the header, loaded after the page (htmx) so that no page waits for it."""
    return render(request, "portal/_todo_badge.html", {"count": todo_count(request.user)})
