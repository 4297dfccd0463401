"""The record audit's vocabulary (`chibo audit_records`, the page "Hồ sơ chưa đúng quy định").

A violation is one stored record that breaks one rule of docs/rules.md. Each app checks its
own records in its `audit.py`: a tuple `CHECKS` of functions that take an `AuditScope` and
yield `Violation`s, each calling the rule's one function rather than a copy of it.
`chibo.reports.record_audit` runs them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from django.db.models import Q


@dataclass(frozen=True)
class Violation:
    """One record breaking one rule."""

    rule: str  # the rule's id in docs/rules.md, e.g. "VOTE-1"
    record: str  # what the record is, for people: "Sinh hoạt thường kỳ 03/2026 — Chi bộ 1"
    url: str  # where a person with access sees it ("" when it has no page)
    message: str  # what is wrong, translated


@dataclass(frozen=True)
class AuditScope:
    """Which records an audit reads: those of the unit at `path` and below (all when empty),
    of the year `year` (all years when None)."""

    path: str = ""
    year: int | None = None

    def units(self, through: str = "unit__") -> Q:
        """A filter on the records whose unit (reached through `through`) is in scope."""
        return Q(**{f"{through}path__startswith": self.path}) if self.path else Q()


Check = Callable[[AuditScope], Iterable[Violation]]
C = TypeVar("C", bound=Check)


def covers(*rules: str) -> Callable[[C], C]:
    """Declare the ids of the rules (docs/rules.md) a check can report. The rule book's
    column "audit" and the test that breaks each rule once read these declarations."""

    def mark(check: C) -> C:
        check.rules = frozenset(rules)  # type: ignore[attr-defined]
        return check

    return mark


def rules_of(check: Check) -> frozenset[str]:
    """The rule ids `check` declared with `covers` (empty when it declared none)."""
    return frozenset(getattr(check, "rules", ()))
