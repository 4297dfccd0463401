from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from chibo.lib.fulltext import TERM_LENGTH
from chibo.lib.replica import reads_from_replica
from chibo.search.search import search as run_search


@reads_from_replica()
def search(request: HttpRequest) -> HttpResponse:
    """Everything within the user's reach that the term finds, grouped by type."""
    term = request.GET.get("q", "")[:TERM_LENGTH].strip()
    found = run_search(request.user, term) if term else None
    return render(
        request,
        "search/search.html",
        {"term": term, "found": found, "term_length": TERM_LENGTH},
    )
