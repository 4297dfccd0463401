"""`chibo seed`: load the deterministic demo province."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from chibo.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, SIZES, seed_province
from chibo.orgs.models import Unit


class Command(BaseCommand):
    help = "Load the demo province (invented names and places) and the demo accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=sorted(SIZES), default="demo")
        parser.add_argument("--random-seed", type=int, default=2026)
        parser.add_argument(
            "--months",
            type=int,
            default=None,
            help="Months of meeting history (default: the size's).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and succeed) when the database already holds units.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if Unit.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already holds data; nothing seeded.")
                self.print_accounts()
                return
            raise CommandError("The database already holds units: seed needs an empty one.")
        started = time.monotonic()
        counts = seed_province(
            size=options["size"],
            random_seed=options["random_seed"],
            months=options["months"],
            progress=lambda line: self.stdout.write(f"  {line}"),
        )
        elapsed = time.monotonic() - started
        figures = ", ".join(f"{value} {name}" for name, value in counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Seeded {options['size']}: {figures} in {elapsed:.1f} s")
        )
        self.print_accounts()

    def print_accounts(self) -> None:
        self.stdout.write(f"Demo accounts (password {DEMO_PASSWORD}):")
        for username, description in DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<10} {description}")
