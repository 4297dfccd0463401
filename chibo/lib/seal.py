"""Content seals: the SHA-256 of a record's content in a canonical form, stored when the
record becomes final (approved minutes, a confirmed score, a decided classification) and
printed on its documents. Recomputing it later shows whether the content still is what was
approved; a change that bypassed the application (the database edited by hand, a restore
of the wrong file) no longer matches.

The content is made of identifiers and values, never of display names: renaming a unit or
correcting a member's name does not break the seal of minutes approved before."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"cannot seal {type(value).__name__}")


def digest(content: Mapping[str, Any]) -> str:
    text = json.dumps(
        content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain
    )
    return hashlib.sha256(text.encode()).hexdigest()


def display(seal: str) -> str:
    """The printed form: the first 80 bits in five groups, enough to compare by eye."""
    return "-".join(seal[i : i + 4] for i in range(0, 20, 4)).upper()


class Status:
    """What a recomputed seal says about a record."""

    def __init__(self, seal: str, current: str | None) -> None:
        self.seal = seal
        self.current = current

    @property
    def sealed(self) -> bool:
        return bool(self.seal)

    @property
    def intact(self) -> bool:
        return self.sealed and self.current == self.seal

    @property
    def code(self) -> str:
        return display(self.seal) if self.seal else ""

    @property
    def label(self) -> Any:
        if not self.sealed:
            return _("not sealed (final before seals were kept)")
        if self.intact:
            return _("the content matches its seal")
        return _("the content no longer matches its seal: it was changed outside the application")
