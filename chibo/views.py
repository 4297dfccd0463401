"""The home page: what concerns the person who is logged in."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from chibo.meetings.models import Attendance, Meeting, Task
from chibo.members.models import Member
from chibo.orgs.access import active_grants, top_units


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
        cells = [member.unit_id] + ([member.attached_to_id] if member.attached_to_id else [])
        meetings = list(
            Meeting.objects.filter(unit__in=cells).upcoming().select_related("unit")[:3]
        )
        tasks = list(Task.objects.filter(owner=member).still_open().select_related("meeting")[:5])
        attended = list(
            Attendance.objects.filter(member=member)
            .select_related("meeting")
            .order_by("-meeting__scheduled_at")[:12]
        )
    return render(
        request,
        "home.html",
        {
            "member": member,
            "meetings": meetings,
            "tasks": tasks,
            "attended": attended,
            "grants": active_grants(request.user),
            "top_units": top_units(request.user),
        },
    )


@login_not_required
def health(request: HttpRequest) -> HttpResponse:
    """For load balancers and the benchmark's floor: answers without touching the database."""
    return HttpResponse("ok", content_type="text/plain")
