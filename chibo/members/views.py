"""Member pages: the roster of a unit, one member, a member's history."""

from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from chibo.lib.history import history_entries
from chibo.members.models import Member, MemberStatus
from chibo.orgs.access import get_unit_for_user, has_perm
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm

ROSTER_PAGE_SIZE = 100
_DERIVED_FIELDS = frozenset({"sort_key", "search_name", "family_name", "middle_name", "given_name"})


def get_member_for_user(request: HttpRequest, pk: int, perm: Perm = Perm.VIEW_MEMBERS) -> Member:
    """The member `pk` if the user holds `perm` over the member's unit; 404 otherwise."""
    member = Member.objects.select_related("unit", "unit__kind").filter(pk=pk).first()
    if member is None or not has_perm(request.user, perm, member.unit):
        raise Http404
    return member


def roster(request: HttpRequest, code: str) -> HttpResponse:
    """Members of the unit and the units below it, in Vietnamese name order."""
    unit = get_unit_for_user(request.user, code, Perm.VIEW_MEMBERS)
    # Filter on the unit ids of the visible subtree: the databases then reach the rows
    # through the unit index instead of walking the whole name index.
    units = Unit.objects.visible_to(request.user, Perm.VIEW_MEMBERS).filter(
        path__startswith=unit.path
    )
    members = (
        Member.objects.filter(unit__in=units.order_by().values("pk"))
        .select_related("unit")
        .in_vietnamese_order()
    )
    page = Paginator(members, ROSTER_PAGE_SIZE).get_page(request.GET.get("page"))
    status_counts = {
        row["status"]: row["n"]
        for row in members.order_by().values("status").annotate(n=Count("pk"))
    }
    return render(
        request,
        "members/roster.html",
        {
            "unit": unit,
            "page": page,
            "status_counts": [
                (label, status_counts.get(value, 0)) for value, label in MemberStatus.choices
            ],
        },
    )


def member_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member_for_user(request, pk)
    return render(request, "members/member.html", {"member": member})


def member_history(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_member_for_user(request, pk)
    records = list(member.history.select_related("history_user").order_by("-history_date"))
    return render(
        request,
        "history.html",
        {"object": member, "entries": history_entries(records, hidden=_DERIVED_FIELDS)},
    )
