"""The integration API (`/api/v1/`): django-ninja, its OpenAPI 3.1 document generated from
the typed endpoints (chibo.api.endpoints); one JSON error shape; the access layer of each
app, as for the web pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from chibo.api.auth import TokenAuth, TokenRateThrottle


class Conflict(Exception):
    """The record was saved by someone else since the version the client sent."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


api = NinjaAPI(
    title="chibo API",
    version="1",
    description=(
        "The records of chibo for other systems, with the access of the token's user. "
        "Errors: {code, message, field}; 404 for absent and forbidden alike; 409 on a stale "
        "version; 422 on invalid input; 429 with Retry-After beyond the rate limit."
    ),
    auth=TokenAuth(),
    throttle=[TokenRateThrottle()],
    urls_namespace="api",
    docs=Swagger(),  # served from django-ninja's own static files, no CDN
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def error(
    request: HttpRequest, status: int, code: str, message: str, field: str | None = None
) -> HttpResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if field:
        body["field"] = field
    return api.create_response(request, body, status=status)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error(request, 404, "not_found", _("Not found."))


@api.exception_handler(AuthenticationError)
def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error(
        request, 401, "unauthorized", _("A valid, unexpired and unrevoked API token is needed.")
    )
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(Throttled)
def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    return error(request, 429, "rate_limited", _("Too many requests with this token; wait."))


@api.exception_handler(NinjaValidationError)
def invalid_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query")]
    field = ".".join(location[-2:] if location[:1] == ["payload"] else location) or None
    if field and field.startswith("payload."):
        field = field[len("payload.") :]
    detail = first.get("msg", "")
    return error(
        request,
        422,
        "invalid",
        _("This value is not valid: %(detail)s") % {"detail": detail},
        field,
    )


@api.exception_handler(DjangoValidationError)
def refused(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    found = (
        [e for errors in exc.error_dict.values() for e in errors]
        if hasattr(exc, "error_dict")
        else exc.error_list
    )
    if any(getattr(e, "code", None) == "stale" for e in found):
        return error(request, 409, "stale", " ".join(exc.messages))
    field = None
    if hasattr(exc, "error_dict"):
        field = next((name for name in exc.error_dict if name != "__all__"), None)
    return error(request, 422, "refused", " ".join(exc.messages), field)


@api.exception_handler(Conflict)
def conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
    return error(request, 409, "stale", exc.message)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error(request, exc.status_code, "error", str(exc))


from chibo.api import endpoints  # noqa: E402,F401  (registers the routes on `api`)
