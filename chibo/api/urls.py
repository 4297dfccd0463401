"""`/api/v1/`: the API's routes, each run in the language of the request's Accept-Language
(an API has no language cookie) and marked as an API request for the history."""

from __future__ import annotations

import functools
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern
from django.utils import translation

from chibo.api.api import api
from chibo.api.auth import MARK
from chibo.lib.history import WRITTEN_THROUGH


def _through_api(view: Any) -> Any:
    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = translation.get_language_from_request(request)
        translation.activate(language)
        mark = WRITTEN_THROUGH.set(MARK)
        try:
            response: HttpResponse = view(request, *args, **kwargs)
        finally:
            WRITTEN_THROUGH.reset(mark)
        response.headers["Content-Language"] = language
        return response

    # The token, not the session, says who calls (LoginRequiredMiddleware lets it through;
    # the API answers 401 itself).
    wrapped.login_required = False  # type: ignore[attr-defined]
    return wrapped


def _patterns() -> list[Any]:
    patterns, _app, _namespace = api.urls
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            pattern.callback = _through_api(pattern.callback)
    return list(patterns)


app_name = "api"
urlpatterns = _patterns()
