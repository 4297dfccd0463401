"""`chibo score FILE.json [--rubric CODE]`: evaluate one meeting given as JSON."""

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chibo.lib.jsonfile import read_json
from chibo.scoring.engine import FactsError, evaluate, facts_from_json
from chibo.scoring.models import Rubric


class Command(BaseCommand):
    help = (
        "Score one meeting described in a JSON file with a rubric and print the breakdown "
        "as JSON (see docs/scoring.md)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--rubric",
            metavar="CODE",
            help="Rubric code (latest version); default HD12-100, HD12-100-CD for thematic.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        data = read_json(path)
        try:
            facts = facts_from_json(data)
            code = options["rubric"] or ("HD12-100-CD" if facts.kind == "thematic" else "HD12-100")
            rubric = Rubric.objects.latest_of(code)
            if rubric is None:
                raise CommandError(f"No rubric has the code {code!r}.")
            breakdown = evaluate(facts, rubric.spec())
        except FactsError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(json.dumps(breakdown.as_dict(), ensure_ascii=False, indent=2))
