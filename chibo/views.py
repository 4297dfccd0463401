"""The project's own endpoints, outside every app."""

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse


@login_not_required
def health(request: HttpRequest) -> HttpResponse:
    """For load balancers and the benchmark's floor: answers without touching the database."""
    return HttpResponse("ok", content_type="text/plain")


class LogoutView(auth_views.LogoutView):
    """Django's, telling the browser to drop what this site stored (Clear-Site-Data): the
    pages and queued changes the phone's service worker kept for the user, the worker
    itself. The page's script does it too (chibo/offline.js); this holds when scripts
    did not run."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        response["Clear-Site-Data"] = '"storage"'
        return response
