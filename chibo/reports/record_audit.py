"""The record audit: every stored record below a unit checked against the rule book.

Each app owns the checks of its own records in its `audit.py` (a tuple `CHECKS` of functions
taking an `AuditScope` and yielding `Violation`s, see chibo.lib.audit); this module, above
them all, finds those modules the way Django's admin finds `admin.py` and runs every check.
Used by `chibo audit_records` and the page "Hồ sơ chưa đúng quy định".
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from django.apps import apps
from django.utils.module_loading import module_has_submodule

from chibo.lib.audit import AuditScope, Check, Violation, rules_of
from chibo.orgs.access import has_perm
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm

# Those who verify classifications (organisation commission, committee members) and those
# who run inspections (inspection commission) answer for the records being right.
AUDITORS = (Perm.VERIFY_RATINGS, Perm.MANAGE_INSPECTION)

if TYPE_CHECKING:
    from chibo.orgs.access import AnyUser


def checks() -> list[Check]:
    """Every app's checks, in the order of INSTALLED_APPS (lower apps first)."""
    found: list[Check] = []
    for config in apps.get_app_configs():
        if config.name.startswith("chibo.") and module_has_submodule(config.module, "audit"):
            found.extend(import_module(f"{config.name}.audit").CHECKS)
    return found


def audited_rules() -> frozenset[str]:
    """The ids of every rule the audit checks on stored records, as the checks declare them
    (`chibo.lib.audit.covers`): the rule book's column "audit" lists the same."""
    return frozenset().union(*(rules_of(check) for check in checks()))


def violations(scope: AuditScope) -> list[Violation]:
    """Every violation in `scope`, by rule, then record."""
    found = [violation for check in checks() for violation in check(scope)]
    return sorted(found, key=lambda v: (v.rule, v.record, v.message))


def may_audit(user: AnyUser, unit: Unit) -> bool:
    """Whether `user` may list the records of `unit` and below that break the rule book."""
    return any(has_perm(user, perm, unit) for perm in AUDITORS)
