"""Request types for views."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request that went through django-htmx's middleware."""

    htmx: HtmxDetails


def actor(request: HttpRequest) -> Any:
    """The user to record as the author of a change (None when nobody is logged in)."""
    return request.user if request.user.is_authenticated else None


def add_validation_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: by field where it names one."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


def year_param(request: HttpRequest) -> int:
    """The `year` of the query (or of the form posted), within 2000-2100; this year
    otherwise (a year out of range would make the date lookups fail)."""
    this_year = timezone.localdate().year
    try:
        year = int(request.POST.get("year") or request.GET.get("year") or this_year)
    except ValueError:
        return this_year
    return year if 2000 <= year <= 2100 else this_year


# A search term is cut to this length: no name or number stored is longer (full names are
# at most 120 characters, folded), and each word of a term is one more condition to test.
SEARCH_LENGTH = 100
# Page numbers beyond this are not pages (Django's paginator shows the last page then).
PAGE_DIGITS = 6


def search_param(request: HttpRequest, name: str = "q") -> str:
    """The search term of the query, at most SEARCH_LENGTH characters."""
    return request.GET.get(name, "").strip()[:SEARCH_LENGTH].strip()


def page_param(request: HttpRequest, name: str = "page") -> str:
    """The page number of the query for `Paginator.get_page` (which shows the first page
    for what is not a number and the last for a number past the end); a number of
    thousands of digits is not converted at all."""
    value = request.GET.get(name, "")
    return value if len(value) <= PAGE_DIGITS else ""


class PrivateCacheMiddleware:
    """Every answer to a logged-in user may carry personal data (names, ID numbers, minutes,
    exports): no cache may keep it, neither a shared proxy nor the browser's disk, unless
    the view said otherwise. Static files (WhiteNoise answers them before this runs) and
    the health check (which reads no session) stay cacheable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        # An answer that never read the session cannot be anybody's own (the health check):
        # asking who the user is would read it, a query per request for nothing.
        session = getattr(request, "session", None)
        if session is not None and session.accessed and request.user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
