"""Optimistic locking: a form sends the version of the record it was read at, and a save
made from an older version is refused, so that of two people editing at once the second is
told instead of silently overwriting the first."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F, Model
from django.utils.translation import gettext_lazy as _

STALE = _(
    "Someone else saved this record after you opened it. Your changes were not saved: they "
    "are still in the form below; reload the page to see the other changes, then enter yours "
    "again."
)


def claim(obj: Model, version: int | None) -> None:
    """Take `obj`'s next version, or raise ValidationError if it was saved since `version`
    (None: the version it was read at). Call inside the transaction that saves it."""
    current: int = obj.version  # type: ignore[attr-defined]
    expected = current if version is None else version
    manager: Any = type(obj)._default_manager
    if not manager.filter(pk=obj.pk, version=expected).update(version=F("version") + 1):
        raise ValidationError(STALE, code="stale")
    obj.version = expected + 1  # type: ignore[attr-defined]


class VersionField(forms.IntegerField):
    """The hidden field that carries the version a form was read at."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.HiddenInput)
        kwargs.setdefault("min_value", 0)
        super().__init__(**kwargs)
