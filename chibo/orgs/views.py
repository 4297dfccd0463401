"""The organisation tree browser and a unit's change history (the unit page itself, which
links to every app, is the portal's)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from chibo.lib.history import history_entries
from chibo.lib.http import HtmxHttpRequest
from chibo.orgs.access import get_unit_for_user, top_units, visible_children
from chibo.orgs.models import Unit

# Fields of the tree mechanics that mean nothing to a reader of the history.
_TREE_FIELDS = frozenset({"path", "depth"})


def _rows(units: list[Unit]) -> list[tuple[Unit, object]]:
    counts = Unit.objects.subtree_counts(units)
    return [(unit, counts[unit.pk]) for unit in units]


def tree(request: HtmxHttpRequest) -> HttpResponse:
    """The units the user may see, from the top; htmx asks for one unit's children."""
    parent_code = request.GET.get("parent")
    if parent_code:
        parent = get_unit_for_user(request.user, parent_code)
        children = visible_children(request.user, parent)
        context = {"rows": _rows(children)}
        if request.htmx:
            return render(request, "orgs/_tree_rows.html", context)
        return render(request, "orgs/tree.html", {**context, "parent": parent})
    return render(request, "orgs/tree.html", {"rows": _rows(top_units(request.user))})


def unit_history(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_unit_for_user(request.user, code)
    records = list(unit.history.select_related("history_user").order_by("-history_date"))
    return render(
        request,
        "history.html",
        {"object": unit, "entries": history_entries(records, hidden=_TREE_FIELDS)},
    )
