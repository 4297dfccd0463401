"""The little formatting a minutes secretary may use (paragraphs, lists, emphasis), cleaned
with nh3 when saved and again when shown, so that text written to the database by any
other path (a restore, a hand edit, a future import) still renders inert.

Templates: `{% load richtext %}` then `{{ value|rich }}`."""

from __future__ import annotations

import nh3
from django import template
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "u"}


def clean_html(text: str) -> str:
    return nh3.clean(text or "", tags=ALLOWED_TAGS, attributes={}).strip()


register = template.Library()


@register.filter
def rich(value: str | None) -> SafeString:
    return mark_safe(clean_html(value or ""))  # noqa: S308 - cleaned just above
