"""The project's own endpoints, outside every app."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse


@login_not_required
def health(request: HttpRequest) -> HttpResponse:
    """For load balancers and the benchmark's floor: answers without touching the database."""
    return HttpResponse("ok", content_type="text/plain")
