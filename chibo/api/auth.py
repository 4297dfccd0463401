"""Bearer-token authentication, the per-token rate limit, and the marking of API writes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer
from ninja.throttling import AuthRateThrottle

from chibo.api.models import ApiToken
from chibo.api.tokens import find_token
from chibo.lib.history import reason_with_source

# Set (chibo.lib.history.WRITTEN_THROUGH) while a request of the API runs: the history of
# what it changes is marked "API".
MARK = "API"


class TokenAuth(HttpBearer):
    """`Authorization: Bearer chibo_…`: the request acts as the token's user, with the
    grants that user holds today (the access layer reads them), never more. A read-only
    token may only read."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = find_token(token.strip())
        if found is None:
            return None
        if found.read_only and request.method not in ("GET", "HEAD", "OPTIONS"):
            return None
        request.user = found.user
        return found


class TokenRateThrottle(AuthRateThrottle):
    """Requests per token (settings.CHIBO_API_RATE, e.g. "600/m"), read on every request so
    that a change of setting needs no restart; 429 with Retry-After beyond it."""

    def __init__(self) -> None:
        super().__init__(settings.CHIBO_API_RATE)

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = settings.CHIBO_API_RATE
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)


def mark_api_history(sender: Any, history_instance: Any, **kwargs: Any) -> None:
    """Receiver of django-simple-history's pre_create_historical_record: a change written
    during an API request says so in its reason."""
    history_instance.history_change_reason = reason_with_source(
        history_instance.history_change_reason
    )
