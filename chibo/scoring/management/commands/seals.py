"""`chibo seals [--unit CODE] [--year YYYY] [--seal-missing]`: recompute the seals of approved
minutes, confirmed scores and decided classifications and list every record whose content no
longer matches (exit status 1 when there is one)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from chibo.meetings import seals as meeting_seals
from chibo.meetings.models import Meeting
from chibo.orgs.models import Unit
from chibo.scoring import seals
from chibo.scoring.models import AnnualRating, MeetingScore


class Command(BaseCommand):
    help = (
        "Check the seals of approved minutes, confirmed scores and decided classifications; "
        "list what no longer matches."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", help="Only this unit and the units below it.")
        parser.add_argument("--year", type=int, help="Only meetings and ratings of this year.")
        parser.add_argument(
            "--seal-missing",
            action="store_true",
            help="Seal the records made final before seals were kept (once, after upgrading).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        meetings = Meeting.objects.all()
        scores = MeetingScore.objects.all()
        ratings = AnnualRating.objects.all()
        if options["unit"]:
            unit = Unit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"No unit {options['unit']}.")
            meetings = meetings.filter(unit__path__startswith=unit.path)
            scores = scores.filter(meeting__unit__path__startswith=unit.path)
            ratings = ratings.filter(unit__path__startswith=unit.path)
        if options["year"]:
            meetings = meetings.filter(month__year=options["year"])
            scores = scores.filter(meeting__month__year=options["year"])
            ratings = ratings.filter(year=options["year"])
        fix = options["seal_missing"]
        broken = 0
        with transaction.atomic():
            for label, audit in (
                ("approved minutes", meeting_seals.audit_minutes(meetings, seal_missing=fix)),
                ("confirmed scores", seals.audit_scores(scores, seal_missing=fix)),
                ("decided classifications", seals.audit_ratings(ratings, seal_missing=fix)),
            ):
                self.stdout.write(
                    f"{label}: {audit.intact} intact, {len(audit.broken)} changed, "
                    f"{audit.unsealed} not sealed, {audit.sealed_now} sealed now"
                )
                for line in audit.broken:
                    self.stdout.write(f"  CHANGED {line}")
                broken += len(audit.broken)
        if broken:
            raise CommandError(f"{broken} record(s) no longer match their seal.", returncode=1)
