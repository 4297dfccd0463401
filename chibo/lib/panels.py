"""Panels: what an app adds to the page of an app below it, as NetBox's template
extensions. The lower app's template declares a slot where its page may show more:

    {% load panels %}{% panels "meetings.meeting.quality" meeting %}

and the apps above register their panels for it in `settings.CHIBO_PANELS` (slot → the
dotted paths of `Panel` objects, in the order shown). A panel is a template of its own app
(so that its links to its own URLs stay in its own app's templates, and no lower template
links upward) and a context function called with the reader and the page's object: it
reads through its own app's access layer and decides what the reader sees, or returns
None to show nothing. The lower app neither imports nor names the apps above it.

A panel renders once per page, inside the page's rendering (with the page's request, user
and CSRF token), never per row of a list; its context function should answer from what the
object and the reader's cached grants already hold (`tests/test_panels.py` counts the
queries)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django import template
from django.conf import settings
from django.template.engine import Engine
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString

register = template.Library()

# What a panel's template sees of the page's context, besides its own context.
PASSED = ("csrf_token", "user", "request", "LANGUAGE_CODE")


@dataclass(frozen=True)
class Panel:
    """What an app adds to a slot of a lower app's page: a template of its own, and the
    function that gives it its context for one reader and one object (None: nothing)."""

    template: str
    context: Callable[[Any, Any], Mapping[str, Any] | None]


def panels_for(slot: str) -> list[Panel]:
    """The panels registered for `slot`, in order."""
    registered: dict[str, list[str]] = getattr(settings, "CHIBO_PANELS", {})
    return [import_string(path) for path in registered.get(slot, [])]


@register.simple_tag(takes_context=True)
def panels(context: template.Context, slot: str, obj: Any) -> SafeString:
    """Render the panels of `slot` for the page's reader and `obj`."""
    request = getattr(context, "request", None)
    user = context.get("user") or getattr(request, "user", None)
    engine = context.template.engine if context.template is not None else Engine.get_default()
    parts = []
    for panel in panels_for(slot):
        values = panel.context(user, obj)
        if values is None:
            continue
        passed = {name: context[name] for name in PASSED if name in context}
        # `new` keeps the request and the page's rendering state; the context processors'
        # values are passed by name (they are not run again).
        rendered = engine.get_template(panel.template).render(context.new({**passed, **values}))
        parts.append(rendered)
    return SafeString("".join(parts))
