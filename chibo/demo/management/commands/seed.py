"""`chibo seed`: load the deterministic demo province."""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from chibo.demo.national import NATIONAL_ACCOUNT, PROVINCES, seed_national
from chibo.demo.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, SIZES, seed_province
from chibo.orgs.models import Unit


class Command(BaseCommand):
    help = "Load the demo province (invented names and places) and the demo accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=[*sorted(SIZES), "national"], default="demo")
        parser.add_argument("--random-seed", type=int, default=2026)
        parser.add_argument(
            "--months",
            type=int,
            default=None,
            help="Months of meeting history (default: the size's).",
        )
        parser.add_argument(
            "--provinces",
            type=int,
            default=PROVINCES,
            help=f"National size: the number of provinces ({PROVINCES}).",
        )
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="National size: the share of each province's communes (1: the province size).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (and succeed) when the database already holds units.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["size"] == "national" and connection.vendor != "postgresql":
            raise CommandError(
                "The national size is for PostgreSQL only (5.6 million members and 65 million "
                "attendance rows, loaded with COPY): set DATABASE_URL to a PostgreSQL database."
            )
        if Unit.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already holds data; nothing seeded.")
                self.print_accounts()
                return
            raise CommandError("The database already holds units: seed needs an empty one.")
        if options["size"] == "national":
            self.seed_national(options)
            return
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

    def seed_national(self, options: dict[str, Any]) -> None:
        counts = seed_national(
            random_seed=options["random_seed"],
            months=12 if options["months"] is None else options["months"],
            provinces=options["provinces"],
            scale=options["scale"],
            progress=lambda line: self.stdout.write(f"  {line}"),
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded national: {counts['provinces']} provinces, {counts['cells']} cells, "
                f"{counts['members']} members, {counts['meetings']} meetings, "
                f"{counts['attendance_rows']} attendance rows in {counts['seconds']} s"
            )
        )
        self.print_accounts()
        self.stdout.write(f"  {NATIONAL_ACCOUNT:<10} Organisation commission of the centre")

    def print_accounts(self) -> None:
        self.stdout.write(f"Demo accounts (password {DEMO_PASSWORD}):")
        for username, description in DEMO_ACCOUNTS:
            self.stdout.write(f"  {username:<10} {description}")
