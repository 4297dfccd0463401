"""What inspection and supervision add to the evidence of an annual classification
(a `settings.CHIBO_RATING_EVIDENCE` source: scoring shows it without importing this app).

The lines are those the reader may see (chibo.supervision.access): an inspection's
subject and conclusion only to whoever may open the inspection, a discipline only to
whoever may see it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from chibo.members.models import Member
from chibo.orgs.models import Unit
from chibo.supervision.models import FindingKind, InspectionItem, Sanction

if TYPE_CHECKING:
    from chibo.orgs.access import AnyUser


def rating_evidence(user: AnyUser, unit: Unit, member: Member | None, year: int) -> list[str]:
    lines = []
    if member is None:
        for item in (
            InspectionItem.objects.visible_to(user)
            .filter(target=unit, year=year)
            .prefetch_related("findings")
            .order_by("starts_on")
        ):
            findings = list(item.findings.all())
            violations = sum(1 for f in findings if f.kind == FindingKind.VIOLATION)
            good = sum(1 for f in findings if f.kind == FindingKind.GOOD_PRACTICE)
            state = item.conclusion if item.done else _("not concluded yet")
            lines.append(
                _(
                    "%(kind)s: %(subject)s — %(state)s "
                    "(%(n)s findings, %(v)s violations, %(g)s good practices)"
                )
                % {
                    "kind": item.get_kind_display(),
                    "subject": item.subject,
                    "state": state,
                    "n": len(findings),
                    "v": violations,
                    "g": good,
                }
            )
    sanctions = Sanction.objects.visible_to(user).filter(
        unit=unit, member=member, decided_on__year=year
    )
    for sanction in sanctions.order_by("decided_on"):
        decision = f", {sanction.decision}" if sanction.decision else ""
        lines.append(
            f"{sanction.get_kind_display()}: {sanction.form} "
            f"({sanction.decided_on:%d/%m/%Y}{decision})"
        )
    return lines
