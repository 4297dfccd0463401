"""The home page: what concerns the person who is logged in."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from chibo.members.models import Member
from chibo.orgs.access import active_grants, top_units


def home(request: HttpRequest) -> HttpResponse:
    member = None
    if request.user.is_authenticated:  # always, past LoginRequiredMiddleware
        member = (
            Member.objects.select_related("unit", "unit__kind").filter(user=request.user).first()
        )
    return render(
        request,
        "home.html",
        {
            "member": member,
            "grants": active_grants(request.user),
            "top_units": top_units(request.user),
        },
    )
