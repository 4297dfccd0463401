"""`chibo plan_visits --unit CODE | --group ID --year YYYY [--dry-run]`: the yearly attendance
plan of a committee, or of a working group under its own rule."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404
from django.utils import timezone, translation

from chibo.orgs.access import get_unit_for_user
from chibo.orgs.models import Unit
from chibo.orgs.permissions import Perm
from chibo.supervision.access import get_group_for_user
from chibo.supervision.models import WorkingGroup
from chibo.supervision.services import PlanReport, display_name, plan_group_visits, plan_visits


class Command(BaseCommand):
    help = (
        "Plan which committee members attend which cell meetings for the rest of a year "
        "(every cell monthly for a commune-level committee; the yearly quota to residential "
        "cells for the province), and list what cannot be covered."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--unit", metavar="CODE")
        target.add_argument("--group", type=int, metavar="ID", help="A working group's plan.")
        parser.add_argument("--year", type=int, default=None)
        parser.add_argument("--dry-run", action="store_true", help="Show the plan, save nothing.")
        parser.add_argument(
            "--as", dest="username", metavar="USER", help="Act as this user (checks rights)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate(settings.LANGUAGE_CODE)
        if options["group"] is not None:
            self._group(options)
            return
        unit = Unit.objects.filter(code=options["unit"]).first()
        if unit is None:
            raise CommandError(f"No unit has the code {options['unit']!r} (see `chibo units`).")
        user = None
        if options["username"]:
            user = get_user_model().objects.filter(username=options["username"]).first()
            try:
                if user is None:
                    raise Http404
                unit = get_unit_for_user(user, unit.code, action=Perm.MANAGE_SUPERVISION)
            except Http404:
                raise CommandError(
                    f"No unit has the code {options['unit']!r} (see `chibo units`)."
                ) from None
        year = options["year"] or timezone.localdate().year
        try:
            report = plan_visits(unit=unit, year=year, by=user, dry_run=options["dry_run"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self._print(report, options)

    def _group(self, options: dict[str, Any]) -> None:
        group = WorkingGroup.objects.select_related("unit", "leader").filter(pk=options["group"])
        found = group.first()
        user = None
        if options["username"]:
            user = get_user_model().objects.filter(username=options["username"]).first()
            try:
                if user is None or found is None:
                    raise Http404
                found = get_group_for_user(user, found.pk, action=Perm.MANAGE_SUPERVISION)
            except Http404:
                found = None
        if found is None:
            raise CommandError(f"No working group has the id {options['group']}.")
        year = options["year"] or timezone.localdate().year
        try:
            report = plan_group_visits(group=found, year=year, by=user, dry_run=options["dry_run"])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self._print(report, options)

    def _print(self, report: PlanReport, options: dict[str, Any]) -> None:
        people = report.people
        for user_id, n in sorted(report.plan.load.items(), key=lambda item: item[0]):
            self.stdout.write(f"{display_name(people[user_id])}: {n}")
        for line in report.gap_lines():
            self.stdout.write(f"- {line}")
        verb = "would be planned" if options["dry_run"] else "planned"
        self.stdout.write(
            f"{len(report.plan.assignments)} visits {verb}, {len(report.plan.gaps)} not covered."
        )
