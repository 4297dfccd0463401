"""The access to periodic reports, on the grants of chibo.orgs.access.

- `PeriodicReport.objects.visible_to(user, action)`: reports of the units over which the
  user holds `action` (VIEW_MEETINGS by default). Dashboards read other apps' records
  through those apps' own `visible_to` and `chibo.orgs.access.unit_filter`
  (`chibo.reports.figures`); the background task writes a report with the figures its
  requester may see (`chibo.reports.tasks`).

The getter takes the user (never a request) and filters in the query: an absent and a
forbidden report give the same 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.http import Http404

from chibo.orgs.permissions import Perm
from chibo.reports.models import PeriodicReport

if TYPE_CHECKING:
    from chibo.orgs.access import AnyUser


def get_report_for_user(
    user: AnyUser, pk: str, *, action: Perm = Perm.VIEW_MEETINGS
) -> PeriodicReport:
    """The periodic report `pk` if `user` holds `action` over its unit; 404 otherwise
    (also for a malformed id)."""
    try:
        report = (
            PeriodicReport.objects.visible_to(user, action)
            .select_related("unit")
            .filter(pk=pk)
            .first()
        )
    except ValidationError:
        report = None
    if report is None:
        raise Http404
    return report
