"""The organisation tree browser and the unit pages."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from chibo.lib.history import history_entries
from chibo.lib.http import HtmxHttpRequest
from chibo.orgs.access import get_unit_for_user, has_perm, top_units, unit_filter
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm

# Fields of the tree mechanics that mean nothing to a reader of the history.
_TREE_FIELDS = frozenset({"path", "depth"})


def _rows(units: list[Unit]) -> list[tuple[Unit, object]]:
    counts = Unit.objects.subtree_counts(units)
    return [(unit, counts[unit.pk]) for unit in units]


def _visible_children(request: HttpRequest, unit: Unit) -> list[Unit]:
    """The units right below `unit` that the user may open: a grant on a unit alone does
    not reveal what lies below it."""
    children = Unit.objects.get_children(unit).filter(unit_filter(request.user, Perm.VIEW_UNIT))
    return list(children.select_related("kind").order_by("code"))


def tree(request: HtmxHttpRequest) -> HttpResponse:
    """The units the user may see, from the top; htmx asks for one unit's children."""
    parent_code = request.GET.get("parent")
    if parent_code:
        parent = get_unit_for_user(request.user, parent_code)
        children = _visible_children(request, parent)
        context = {"rows": _rows(children)}
        if request.htmx:
            return render(request, "orgs/_tree_rows.html", context)
        return render(request, "orgs/tree.html", {**context, "parent": parent})
    return render(request, "orgs/tree.html", {"rows": _rows(top_units(request.user))})


def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_unit_for_user(request.user, code)
    ancestors = (
        list(Unit.objects.get_ancestors(unit).select_related("kind")) if unit.depth > 1 else []
    )
    children = _visible_children(request, unit)
    counts = Unit.objects.subtree_counts([unit, *children])
    return render(
        request,
        "orgs/unit.html",
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


def unit_history(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_unit_for_user(request.user, code)
    records = list(unit.history.select_related("history_user").order_by("-history_date"))
    return render(
        request,
        "history.html",
        {"object": unit, "entries": history_entries(records, hidden=_TREE_FIELDS)},
    )
