"""Request types for views."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
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
