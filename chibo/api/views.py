"""The user's own API tokens: list (with their last use), create (shown once), revoke."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from chibo.api import tokens
from chibo.api.forms import TokenForm
from chibo.api.models import ApiToken


def _owner(request: HttpRequest) -> User:
    return cast(User, request.user)  # the pages are behind the login


@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    created = ""
    if request.method == "POST" and form.is_valid():
        try:
            _token, created = tokens.create_token(
                user=_owner(request),
                name=form.cleaned_data["name"],
                expires_on=form.cleaned_data["expires_on"],
                read_only=form.cleaned_data["read_only"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            form = TokenForm()
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "created": created,
            "tokens": ApiToken.objects.filter(user=_owner(request)),
        },
    )


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = ApiToken.objects.filter(user=_owner(request), pk=pk).first()
    if token is None:
        raise Http404
    tokens.revoke_token(token=token)
    messages.success(request, _("The token %(name)s is revoked.") % {"name": token.name})
    return redirect("api_tokens")
