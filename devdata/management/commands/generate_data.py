"""`generate_data`: fill the database with synthetic summits for benchmarks, keyed by a seed."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DEFAULT_DB_ALIAS, DatabaseError

from devdata.generator import synthetic_generate
from devdata.vocabulary import generated_prefix, synthetic_scale
from summits.management.streaming import progress_bar


class Command(BaseCommand):
    help = (
        "Generate deterministic synthetic data: about 200 countries and, for N attendances, "
        "N/200 leaders and N/40 summits with status timelines, roles and citations. Rows are "
        "keyed by the prefix gen-<seed>-: running it again with the same seed replaces them "
        "with the same rows. Countries are shared by code and never take the article's codes. "
        "A progress bar shows on a terminal."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default: 1).")
        parser.add_argument(
            "--attendances",
            type=int,
            default=10_000,
            help="How many attendances to generate (default: 10000); the rest scales with it.",
        )
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="The database alias to write to."
        )

    def handle(self, *args: Any, seed: int, attendances: int, database: str, **options: Any):
        if seed < 0:
            raise CommandError("--seed is a whole number, 0 or more.")
        if attendances < 1:
            raise CommandError("--attendances is a whole number, 1 or more.")
        scale = synthetic_scale(attendances)
        if options["verbosity"] >= 1:
            planned = ", ".join(f"{count} {name}" for name, count in scale.items())
            self.stdout.write(f"Generating {generated_prefix(seed)}*: {planned}...")
        bar = progress_bar(options.get("stderr"), unit=" rows", unit_scale=True, desc="Writing")

        def progress(table: str, rows: int) -> None:
            bar.desc = f"Writing {table}"
            bar.update(rows)

        try:
            with bar:
                report = synthetic_generate(
                    seed=seed, attendances=attendances, using=database, progress=progress
                )
        except (ValueError, DatabaseError) as error:
            raise CommandError(f"Nothing was generated: {error}") from error
        if options["verbosity"] >= 1:
            written = ", ".join(
                f"{count} {name}" for name, count in report.counts.items() if name != "deleted"
            )
            timings = ", ".join(
                f"{name} {seconds:.1f}s" for name, seconds in report.timings.items()
            )
            self.stdout.write(
                f"Wrote {written} (replacing {report.counts['deleted']} rows) in "
                f"{report.timings['total']:.1f}s ({timings})."
            )
