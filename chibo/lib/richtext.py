"""The little formatting a minutes secretary may use (paragraphs, lists, emphasis), cleaned
with nh3 when saved and again when shown, so that text written to the database by any
other path (a restore, a hand edit, a future import) still renders inert.

Templates: `{% load richtext %}` then `{{ value|rich }}`."""

from __future__ import annotations

import re

import nh3
from django import template
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {"p", "br", "ul", "ol", "li", "strong", "em", "b", "i", "u"}


def clean_html(text: str) -> str:
    return nh3.clean(text or "", tags=ALLOWED_TAGS, attributes={}).strip()


register = template.Library()


# Text typed in a plain textarea has no markup: its line breaks are its only structure.
_MARKUP = re.compile(r"<(p|br|ul|ol|li)\b", re.IGNORECASE)


def _paragraphs(html: str) -> str:
    """Plain text's blank lines made paragraphs and its single line breaks <br>."""
    text = html.replace("\r\n", "\n").replace("\r", "\n")
    parts = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join("<p>" + p.replace("\n", "<br>") + "</p>" for p in parts)


@register.filter
def rich(value: str | None) -> SafeString:
    cleaned = clean_html(value or "")
    if "\n" in cleaned and not _MARKUP.search(cleaned):
        cleaned = _paragraphs(cleaned)
    return mark_safe(cleaned)  # noqa: S308 - cleaned just above, only tags added
