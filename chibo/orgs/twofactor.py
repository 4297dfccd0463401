"""Two-factor login with a time-based one-time password (TOTP, django-otp): any user may turn
it on; the setting TWO_FACTOR_REQUIRED makes it required for administrators and province
staff (anyone with a grant on the province itself), who are then sent to set it up before
any other page. A user with a device is asked for a code after the password, every login.

A passkey (django-otp-webauthn) is the alternative second factor: signing in with it is
verified at once, and a user who must use a second factor, has a passkey but no TOTP device
and signs in with the password is asked for the passkey rather than sent to set up TOTP.
Between the password and that step only the passkey *authentication* endpoints are open,
never its registration (a passkey added then would vouch for itself)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key
from django_otp_webauthn.models import WebAuthnCredential  # type: ignore[import-untyped]

from chibo.orgs.access import active_grants

# The session key that records "this login needs no code".
CHECKED = "chibo_two_factor_checked"
# Pages a user between the password and the code may still open.
OPEN_PATHS = (
    "/accounts/two-factor/",
    "/accounts/logout/",
    "/accounts/passkeys/authentication/",
    "/accounts/passkeys/jsi18n/",
    "/static/",
    "/health/",
    "/i18n/",
)


def required_for(user: User | AnonymousUser) -> bool:
    """Whether this user must use a second factor (TWO_FACTOR_REQUIRED on)."""
    if not getattr(settings, "TWO_FACTOR_REQUIRED", False) or not user.is_authenticated:
        return False
    if user.is_superuser or user.is_staff:
        return True
    return any(grant.unit.depth == 1 for grant in active_grants(user))


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_passkey(user: User) -> bool:
    return bool(WebAuthnCredential.objects.filter(user=user, confirmed=True).exists())


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    # Where a login lands (the portal's home page), named in the settings rather than here:
    # the portal sits above orgs.
    return resolve_url(settings.LOGIN_REDIRECT_URL)


class TwoFactorMiddleware:
    """After OTPMiddleware: sends a user who has a device but has not given a code to the
    code page, and a user who must have a device but has none to its set-up page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        # The open paths first: they do not load the session's user (the health check).
        if (
            not request.path.startswith(OPEN_PATHS)
            and user.is_authenticated
            and not user.is_verified()  # type: ignore[attr-defined]
        ):
            # Checked once per login, not on every request: the session remembers that
            # this login needs no code (bound to the login's time, so that the next login
            # checks again).
            login_mark = str(user.last_login)
            if request.session.get(CHECKED) == login_mark:
                return self.get_response(request)
            query = (
                "?" + urlencode({"next": request.get_full_path()})
                if request.method == "GET"
                else ""
            )
            if confirmed_device(user) is not None:
                return redirect(reverse("two_factor_verify") + query)
            if required_for(user):
                step = "two_factor_verify" if has_passkey(user) else "two_factor_setup"
                return redirect(reverse(step) + query)
            request.session[CHECKED] = login_mark
        return self.get_response(request)


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code from the authenticator app"),
        max_length=8,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}
        ),
    )

    def __init__(self, device: TOTPDevice | None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.device = device

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if self.device is None or not code.isdigit():
            raise forms.ValidationError(_("Enter the six digits the app shows."))
        if self.device.pk is None:
            # A secret being set up, not stored yet: checked without django-otp's
            # throttling, which would store it (its owner sees the secret: nothing to guess).
            device = self.device
            totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
            if not totp.verify(int(code), device.tolerance):
                raise forms.ValidationError(_("This code is not valid. Check the phone's clock."))
            device.last_t = totp.t()
            return code
        allowed, _details = self.device.verify_is_allowed()
        if not allowed:
            raise forms.ValidationError(
                _("Too many wrong codes: wait a moment before trying again.")
            )
        if not self.device.verify_token(code):
            raise forms.ValidationError(_("This code is not valid. Check the phone's clock."))
        return code


def status(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    return render(
        request,
        "registration/two_factor.html",
        {
            "device": confirmed_device(user),
            "required": required_for(user),
            "passkeys": WebAuthnCredential.objects.filter(user=user).count(),
        },
    )


PENDING_KEY = "two_factor_pending_key"


def setup(request: HttpRequest) -> HttpResponse:
    """Show a new secret as a QR code; a correct code from the app confirms it."""
    user: User = request.user  # type: ignore[assignment]
    if confirmed_device(user) is not None:
        return redirect("two_factor")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        # The new secret waits in the session until a code is posted: showing the page is
        # a GET, which stores nothing.
        key = request.session.get(PENDING_KEY) or default_key()
        request.session[PENDING_KEY] = key
        device = TOTPDevice(user=user, name="chibo", confirmed=False, key=key)
    form = CodeForm(device, request.POST or None)
    if request.method == "POST" and form.is_valid():
        device.confirmed = True
        if device.pk is None:
            device.save()
        else:
            device.save(update_fields=["confirmed"])
        request.session.pop(PENDING_KEY, None)
        otp_login(request, device)
        messages.success(request, _("Two-factor login is on."))
        return redirect(_next(request))
    qr = segno.make(device.config_url, error="m").svg_inline(scale=4, omitsize=True)
    return render(
        request,
        "registration/two_factor_setup.html",
        {
            "form": form,
            "qr": mark_safe(qr),  # noqa: S308 - drawn by segno from our own URL
            "secret": device.config_url.split("secret=")[1].split("&")[0],
            "next": _next(request),
        },
    )


def verify(request: HttpRequest) -> HttpResponse:
    """The second step of the login: the code of the TOTP device, or the user's passkey."""
    user: User = request.user  # type: ignore[assignment]
    device = confirmed_device(user)
    passkey = has_passkey(user)
    if device is None and not (passkey and required_for(user)):
        return redirect(_next(request))
    form = CodeForm(device, request.POST or None) if device is not None else None
    if request.method == "POST" and form is not None and form.is_valid():
        otp_login(request, device)
        return redirect(_next(request))
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "passkey": passkey, "next": _next(request)},
    )


@require_POST
def disable(request: HttpRequest) -> HttpResponse:
    """Turn two-factor login off (with a current code), unless it is required."""
    user: User = request.user  # type: ignore[assignment]
    device = confirmed_device(user)
    if device is None:
        return redirect("two_factor")
    if required_for(user):
        messages.error(request, _("Two-factor login is required for your account."))
        return redirect("two_factor")
    form = CodeForm(device, request.POST)
    if not form.is_valid():
        messages.error(request, _("This code is not valid. Check the phone's clock."))
        return redirect("two_factor")
    TOTPDevice.objects.filter(user=user).delete()
    messages.success(request, _("Two-factor login is off."))
    return redirect("two_factor")


@receiver(user_logged_in)
def check_at_login(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    """Decide at login whether this login needs a code, so that pages need not ask (the
    receiver runs after Django's own, which sets `last_login`)."""
    if request is None or not hasattr(request, "session"):
        return
    if confirmed_device(user) is None and not required_for(user):
        request.session[CHECKED] = str(user.last_login)
