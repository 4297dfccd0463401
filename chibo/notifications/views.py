"""A person's notifications: the list (read and unread), marking them read, the choice of
the daily digest, and the browsers that receive Web Push. Everyone sees only their own."""

from __future__ import annotations

import json

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from chibo.notifications import services
from chibo.notifications.models import Notification, Preference, PushSubscription
from chibo.notifications.push import push_enabled

# The list shows the latest notifications only.
LIST_SIZE = 100


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]  # past LoginRequiredMiddleware
    return user


def notification_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    notifications = list(Notification.objects.filter(user=user)[:LIST_SIZE])
    return render(
        request,
        "notifications/list.html",
        {
            "notifications": notifications,
            "unread": sum(1 for n in notifications if n.read_at is None),
        },
    )


@require_POST
def read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and open what it is about."""
    user = _user(request)
    # Another person's notification is as absent as one that never was.
    notification = get_object_or_404(Notification, user=user, pk=pk)
    services.mark_read(user=user, notification_ids=[notification.pk])
    return redirect(notification.url if notification.url.startswith("/") else "/")


@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    services.mark_read(user=_user(request))
    messages.success(request, _("All notifications are marked as read."))
    return redirect("notifications:list")


class PreferenceForm(forms.Form):
    daily_digest = forms.BooleanField(
        label=gettext_lazy("Send me a daily e-mail digest of what waits for me"), required=False
    )


def preferences(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    current = Preference.objects.filter(user=user).first()
    initial = {"daily_digest": current.daily_digest if current else True}
    # An unticked box posts nothing: the form is bound on every POST.
    form = PreferenceForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.set_preference(user=user, daily_digest=form.cleaned_data["daily_digest"])
        messages.success(request, _("Your choice is saved."))
        return redirect("notifications:settings")
    return render(
        request,
        "notifications/settings.html",
        {
            "form": form,
            "has_email": bool(user.email),
            "push_key": settings.VAPID_PUBLIC_KEY if push_enabled() else "",
            "browsers": PushSubscription.objects.filter(user=user).count(),
        },
    )


class SubscriptionForm(forms.Form):
    """A browser's PushSubscription, as its `toJSON()` gives it."""

    endpoint = forms.URLField(max_length=1000, assume_scheme="https")
    p256dh = forms.CharField(max_length=200)
    auth = forms.CharField(max_length=100)


@require_POST
def subscribe(request: HttpRequest) -> JsonResponse:
    """Remember the browser that allowed Web Push (a JSON body: the subscription)."""
    try:
        data = json.loads(request.body or b"{}")
        keys = data.get("keys") or {}
        fields = {"p256dh": keys.get("p256dh"), "auth": keys.get("auth")}
        form = SubscriptionForm({"endpoint": data.get("endpoint"), **fields})
    except (ValueError, AttributeError):
        return JsonResponse({"error": _("This is not a push subscription.")}, status=400)
    if not form.is_valid():
        return JsonResponse({"error": _("This is not a push subscription.")}, status=400)
    services.save_push_subscription(user=_user(request), **form.cleaned_data)
    return JsonResponse({"saved": True})


@require_POST
def unsubscribe(request: HttpRequest) -> JsonResponse:
    try:
        endpoint = str(json.loads(request.body or b"{}").get("endpoint", ""))
    except (ValueError, AttributeError):
        endpoint = ""
    removed = services.remove_push_subscription(user=_user(request), endpoint=endpoint)
    return JsonResponse({"removed": removed})
