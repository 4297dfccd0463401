"""The phone without signal (issue 22): the service worker's script, the list of pages it
keeps for its user, and the page it shows for a page it did not keep.

The worker itself is a static file (chibo/static/chibo/sw.js); it is served through
`service_worker` so that it lives at the site's root (a worker controls only the pages
below its own address) and is told, in its first lines, the addresses it needs. Whatever
it keeps is its user's own: docs/security.md ("The phone's copies").
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.views.decorators.http import require_GET

from chibo.meetings.offline import offline_pages

# The scripts the service worker runs, in this order (static paths), each imported with
# importScripts: the worker's own, then the notifications' Web Push handler.
WORKER_SCRIPTS: tuple[str, ...] = ("chibo/sw.js", "chibo/push-sw.js")

# Changes the worker queues when there is no connection: the live minutes' saves and the
# attendance form (names of `chibo.meetings.urls`, each taking the meeting's pk).
QUEUED_POSTS = (
    "meetings:live_text",
    "meetings:live_head",
    "meetings:live_speech",
    "meetings:live_vote",
    "meetings:live_task",
    "meetings:attendance",
)
# Sent on the version this phone's own queued saves reached, but never queued: approval.
REBASED_POSTS = ("meetings:approve",)
_PK = 987654321  # stands for the meeting's pk while the addresses are turned into patterns


def user_key(user: Any) -> str:
    """Who the worker works for, without saying who: a keyed hash of the user's id. Another
    key on the page than the one the worker holds means another user: the worker then drops
    what it kept for the previous one."""
    if not getattr(user, "is_authenticated", False):
        return ""
    return salted_hmac("chibo.offline.user", str(user.pk), algorithm="sha256").hexdigest()[:32]


def _pattern(name: str) -> str:
    address = reverse(name, args=[_PK])
    return "^" + re.escape(address).replace(str(_PK), r"(\d+)") + "$"


@functools.cache
def _config(prefix: str) -> dict[str, Any]:
    scripts = [staticfiles_storage.url(path) for path in WORKER_SCRIPTS]
    return {
        # The static addresses carry their content's hash in production (the manifest
        # storage); a new release then names new files, and the worker starts a new cache.
        "version": hashlib.sha256(" ".join(scripts).encode()).hexdigest()[:12],
        "hashed": not settings.DEBUG,
        "static": settings.STATIC_URL
        if settings.STATIC_URL.startswith("/")
        else prefix + settings.STATIC_URL,
        "pages": reverse("portal:offline_pages"),
        "fallback": reverse("portal:offline"),
        "login": reverse("login"),
        "queued": [_pattern(name) for name in QUEUED_POSTS],
        "rebased": [_pattern(name) for name in REBASED_POSTS],
        # A kept page is not shown later than a session could have lasted.
        "pageMaxAge": settings.SESSION_COOKIE_AGE,
        "scripts": scripts,
    }


@login_not_required
@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The worker's script: its settings, then its code (importScripts). Open to all: the
    browser checks it for updates with or without a session; it holds no personal data."""
    config = _config(request.META.get("SCRIPT_NAME", "") + "/")
    body = (
        "// chibo's service worker: settings, then the scripts (chibo.portal.offline).\n"
        f"self.CHIBO_SW = {json.dumps(config)};\n"
        f"importScripts({', '.join(json.dumps(s) for s in config['scripts'])});\n"
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    # Checked at every visit (browsers cap it at a day anyway).
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline_pages_list(request: HttpRequest) -> JsonResponse:
    """The pages the worker keeps for this user (the current and next meetings), and whose
    they are."""
    return JsonResponse(
        {
            "user": user_key(request.user),
            "pages": offline_pages(request.user),
            "fallback": reverse("portal:offline"),
        }
    )


@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """Shown by the worker, without a connection, for a page it did not keep."""
    return render(request, "portal/offline.html")
