"""`chibo classify FILE.json [--unit CODE]`: the annual classification rules on one subject."""

import datetime
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chibo.lib.jsonfile import read_json
from chibo.orgs.models import Unit
from chibo.scoring.classify import ClassifyError, classify_json
from chibo.scoring.models import ScoringRules


class Command(BaseCommand):
    help = (
        "Check a proposed annual classification of a cell or member described in a JSON "
        "file against the rules and print the result as JSON (see docs/scoring.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--unit",
            metavar="CODE",
            help="Use the settings of this unit's province (default: the documented ones).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        data = read_json(path)
        rules = ScoringRules()
        if options["unit"]:
            unit = Unit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"No unit {options['unit']}.")
            year = data.get("year") if isinstance(data, dict) else None
            on = datetime.date(year, 12, 31) if isinstance(year, int) and year > 0 else None
            rules = ScoringRules.for_unit(unit, on=on)
        try:
            result = classify_json(data, rules)
        except ClassifyError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
