"""How numbers and people read on every page, document and export: one place each.

- `percent`: a rate with one decimal in the language's format, "90,0 %" in Vietnamese
  (decimal comma, a non-breaking space before the sign) and "90.0%" in English; never
  rounded to a whole number (14.8 % must not read "15%" next to a rule that needs 15 %).
- `person`: a user by their full name, their login name only when they have none.

Templates: `{% load display %}` then `{{ value|percent }}` and `{{ user|person }}`.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import formats, translation
from django.utils.translation import get_language

register = template.Library()

EMPTY = "—"


@register.filter
def percent(value: float | None, digits: int = 1) -> str:
    """`value` (in per cent, 14.8 for 14.8 %) as the reader's language writes it."""
    return format_percent(value, digits=digits)


def format_percent(value: float | None, *, digits: int = 1, language: str | None = None) -> str:
    """`percent` in a given language (documents are in Vietnamese whoever makes them)."""
    if value is None:
        return EMPTY
    language = language or get_language() or "vi"
    with translation.override(language):
        number = formats.number_format(float(value), decimal_pos=digits, use_l10n=True)
    if language.startswith("vi"):
        return f"{number}\u00a0%"
    return f"{number}%"


def share(part: float, whole: float, digits: int = 1) -> str:
    """`part` of `whole` as a percentage (a ratio of 0.148 reads "14,8 %")."""
    return percent(100 * part / whole if whole else 0.0, digits)


@register.filter
def person(user: Any) -> str:
    """A user as people know them: the full name, else the login name; "—" for nobody."""
    if user is None or not getattr(user, "pk", None):
        return EMPTY
    return str(user.get_full_name().strip() or user.get_username())
