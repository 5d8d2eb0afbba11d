"""`build_fixtures`: write fixtures/<name>.json from the facts file fixtures/facts/<name>.toml."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from summits.facts import FactsError, fixtures_stale, fixtures_write


class Command(BaseCommand):
    help = (
        "Build the fixtures (fixtures/<name>.json) from their facts files "
        "(fixtures/facts/<name>.toml). With --check, write nothing and fail if a committed "
        "fixture differs from a fresh build."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; exit non-zero if a fixture is missing or out of date.",
        )
        parser.add_argument(
            "--fixtures-dir",
            type=Path,
            default=Path(settings.BASE_DIR) / "fixtures",
            help="The directory holding the fixtures and their facts/ (default: fixtures/).",
        )

    def handle(self, *args: Any, check: bool, fixtures_dir: Path, **options: Any) -> None:
        seeds_dir = Path(settings.SEEDS_DIR)
        try:
            if check:
                stale = fixtures_stale(fixtures_dir=fixtures_dir, seeds_dir=seeds_dir)
            else:
                written = fixtures_write(fixtures_dir=fixtures_dir, seeds_dir=seeds_dir)
        except FactsError as error:
            raise CommandError(f"Cannot build the fixtures: {error}") from error
        if check:
            if stale:
                raise CommandError(
                    "Out of date with their facts files: "
                    + ", ".join(str(path) for path in stale)
                    + ". Run `python manage.py build_fixtures` and commit the result."
                )
            self.stdout.write("The fixtures are up to date.")
            return
        for path in written:
            self.stdout.write(f"Wrote {path}")
        if not written:
            self.stdout.write("The fixtures were already up to date.")
