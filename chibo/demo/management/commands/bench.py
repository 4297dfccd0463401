"""`chibo bench [--size demo|province|small] [--months N] [--json FILE]`: measure the product
on a seeded province in its own database, beside the floors it cannot beat."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dj_database_url
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from chibo.demo.seed import SIZES
from chibo.orgs.models import Unit

INNER = "CHIBO_BENCH_INNER"


class SeedRecord:
    """How long the seed of a benchmark database took, kept with its data: in a file beside
    a SQLite database, as the comment of a PostgreSQL one (so that every checkout measuring
    the same database reports it; a file from before is still read)."""

    def __init__(self, path: Path, server: Mapping[str, Any] | None = None, name: str = "") -> None:
        self.path = path
        self.server = server
        self.name = name

    def read(self) -> dict[str, Any]:
        if self.server is not None:
            with _connect(self.server) as conn:
                row = conn.execute(
                    "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
                    " WHERE datname = %s",
                    [self.name],
                ).fetchone()
            if row and row[0]:
                return dict(json.loads(row[0]))
        if self.path.exists():
            return dict(json.loads(self.path.read_text()))
        return {}

    def write(self, record: dict[str, Any]) -> None:
        if self.server is None:
            self.path.write_text(json.dumps(record))
            return
        from psycopg import sql

        with _connect(self.server) as conn:
            conn.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                    sql.Identifier(self.name), sql.Literal(json.dumps(record))
                )
            )


def _connect(server: Mapping[str, Any]) -> Any:
    import psycopg

    return psycopg.connect(
        host=server["HOST"] or None,
        port=server["PORT"] or None,
        user=server["USER"] or None,
        password=server["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def bench_database(size: str, months: int, name: str = "") -> tuple[str, SeedRecord]:
    """The benchmark database for this size (or `name`): beside the configured one, never
    it; and the record of how long its seed took."""
    name = name or f"chibo_bench_{size}_{months}"
    url = os.environ.get("DATABASE_URL", "")
    if size == "national" and not url.startswith(("postgres://", "postgresql://")):
        raise CommandError(
            "The national size is for PostgreSQL only: set DATABASE_URL to a PostgreSQL database."
        )
    var = Path(settings.VAR_DIR)
    var.mkdir(parents=True, exist_ok=True)
    if url.startswith(("postgres://", "postgresql://")):
        server = dj_database_url.parse(url)
        with _connect(server) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
        base = url.rsplit("/", 1)[0]
        return f"{base}/{name}", SeedRecord(var / f"{name}.postgresql.json", server, name)
    path = var / f"{name}.sqlite3"
    return f"sqlite:///{path}", SeedRecord(var / f"{name}.sqlite.json")


def vacuum_after_seed() -> None:
    """A seed by COPY vacuums only its small tables (as a database in use leaves the rest to
    autovacuum): the measurements must not share the machine with autovacuum's pass over
    millions of new rows. Not part of the seed's time."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM")


class Command(BaseCommand):
    help = (
        "Seed (once) a benchmark database of the given size and measure pages, a real server "
        "under load, the month-end write load, the dashboard against raw SQL, a roster import "
        "and the periodic report."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--size", choices=[*sorted(SIZES), "national"], default="demo")
        parser.add_argument(
            "--provinces", type=int, default=34, help="National size: provinces (34)."
        )
        parser.add_argument(
            "--scale", type=float, default=1.0, help="National size: share of the communes (1)."
        )
        parser.add_argument(
            "--compare-json",
            type=Path,
            help="National size: a province-size run's JSON to compare Lâm Viên's pages with.",
        )
        parser.add_argument(
            "--db-name",
            default="",
            help="The benchmark database (default chibo_bench_SIZE_MONTHS).",
        )
        parser.add_argument("--months", type=int, default=None, help="Months of history.")
        parser.add_argument("--json", type=Path, help="Also write the results here.")
        parser.add_argument("--requests", type=int, default=50, help="Requests per page (50).")
        parser.add_argument(
            "--load-seconds", type=float, default=20, help="Seconds of load per page (20; 0: none)."
        )
        parser.add_argument(
            "--import-rows", type=int, default=150_000, help="Rows of the roster import (0: none)."
        )
        parser.add_argument(
            "--write-seconds",
            type=float,
            default=20,
            help="Seconds of the month-end write load (20; 0: none).",
        )
        parser.add_argument(
            "--write-clients", type=int, default=16, help="Clients of the write load (16)."
        )
        parser.add_argument(
            "--phone",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="The meeting page and attendance form in Chromium on Slow 3G (the `phone` key).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        size = options["size"]
        default_months = 12 if size == "national" else SIZES[size].history_months
        months = options["months"] if options["months"] is not None else default_months
        if not months:
            raise CommandError("The benchmark needs meeting history: give --months 12 or more.")
        if os.environ.get(INNER) != "1":
            self.outer(size, months, options)
            return
        self.inner(size, months, options)

    def outer(self, size: str, months: int, options: dict[str, Any]) -> None:
        """Run the measurements in a process of their own, on the benchmark database, with
        production settings."""
        url, _record = bench_database(size, months, options["db_name"])
        env = dict(os.environ)
        replica = env.get("DATABASE_REPLICA_URL", "")
        if replica:
            # The standby of the primary holds the benchmark database as soon as it has
            # replayed its creation.
            env["DATABASE_REPLICA_URL"] = f"{replica.rsplit('/', 1)[0]}/{url.rsplit('/', 1)[1]}"
        env.update(
            {
                INNER: "1",
                "DATABASE_URL": url,
                "DEBUG": "false",
                "SECRET_KEY": env.get("SECRET_KEY") or "benchmark-only-" + "x" * 40,
                "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
                "SECURE_SSL_REDIRECT": "false",
                "SECURE_HSTS_PRELOAD": "false",
            }
        )
        argv = [sys.executable, "-m", "chibo", "bench", "--size", size, "--months", str(months)]
        for name in ("requests", "load_seconds", "import_rows", "write_seconds", "write_clients"):
            argv += [f"--{name.replace('_', '-')}", str(options[name])]
        argv.append("--phone" if options["phone"] else "--no-phone")
        argv += ["--provinces", str(options["provinces"]), "--scale", str(options["scale"])]
        if options["db_name"]:
            argv += ["--db-name", options["db_name"]]
        if options["compare_json"]:
            argv += ["--compare-json", str(Path(options["compare_json"]).resolve())]
        if options["json"]:
            argv += ["--json", str(Path(options["json"]).resolve())]
        completed = subprocess.run(argv, env=env, check=False)  # noqa: S603 - ourselves
        if completed.returncode:
            raise CommandError(f"the benchmark failed (exit {completed.returncode})")

    def inner(self, size: str, months: int, options: dict[str, Any]) -> None:
        import logging

        from chibo.demo import bench
        from chibo.demo.seed import seed_province

        logging.getLogger("axes").setLevel(logging.WARNING)  # one line per login otherwise

        _url, record = bench_database(size, months, options["db_name"])
        call_command("migrate", verbosity=0)
        call_command("collectstatic", verbosity=0, interactive=False)
        if size == "national":
            self.national(months, options, record)
            return
        meta = record.read()
        if not Unit.objects.exists():
            self.stdout.write(f"Seeding {size} with {months} months of history…")
            start = time.perf_counter()
            seed_province(size=size, random_seed=2026, months=months)
            meta = {"seed_seconds": round(time.perf_counter() - start, 1)}
            record.write(meta)
            vacuum_after_seed()
        if meta.get("seed_seconds") and "plain_load" not in meta:
            # The seed's floor, taken once per database (a database seeded before this was
            # measured gets it on its next run).
            from chibo.demo.floor import plain_load

            self.stdout.write("Timing a plain bulk load of the same rows…")
            meta["plain_load"] = plain_load(progress=lambda line: self.stdout.write(f"  {line}"))
            record.write(meta)
        result = bench.run(
            size=size,
            requests=options["requests"],
            load_seconds=options["load_seconds"],
            import_rows=options["import_rows"],
            seed_seconds=meta.get("seed_seconds"),
            plain_load=meta.get("plain_load"),
            write_seconds=options["write_seconds"],
            write_clients=options["write_clients"],
            phone=options["phone"],
        )
        result["months"] = months
        self.stdout.write(bench.table(result))
        if options["json"]:
            Path(options["json"]).write_text(json.dumps(result, indent=2, ensure_ascii=False))

    def national(self, months: int, options: dict[str, Any], record: SeedRecord) -> None:
        """Seed the national size once (timing a plain COPY of the same rows beside it), then
        measure the national dashboard and Lâm Viên's pages."""
        from chibo.demo import bench
        from chibo.demo.national import plain_copy, seed_national

        meta = record.read()
        if not Unit.objects.exists():
            self.stdout.write(f"Seeding national ({options['provinces']} provinces)…")
            # As `chibo seed --size national` runs it; the floor's rows are read back after.
            counts = seed_national(
                random_seed=2026,
                months=months,
                provinces=options["provinces"],
                scale=options["scale"],
                progress=lambda line: self.stdout.write(f"  {line}", ending="\n"),
            )
            self.stdout.write("Timing a plain COPY of the same rows…")
            floor, _rows = plain_copy(progress=lambda line: self.stdout.write(f"  {line}"))
            meta = {
                "seed_seconds": counts["seconds"],
                "steps": counts["steps"],
                "rows": counts["rows"],
                "provinces": counts["provinces"],
                "plain_copy_seconds": round(floor, 1),
                "ratio": round(counts["seconds"] / floor, 2) if floor else None,
            }
            record.write(meta)
            vacuum_after_seed()
        province = None
        if options["compare_json"]:
            province = json.loads(Path(options["compare_json"]).read_text())
        result = bench.run_national(requests=options["requests"], seed=meta, province=province)
        result["months"] = months
        self.stdout.write(bench.national_table(result))
        if options["json"]:
            Path(options["json"]).write_text(json.dumps(result, indent=2, ensure_ascii=False))
