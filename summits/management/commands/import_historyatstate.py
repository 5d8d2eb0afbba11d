"""Import files of the Office of the Historian's visits and travels datasets."""

import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from summits.historyatstate.importer import historyatstate_import
from summits.historyatstate.records import RecordsRefused
from summits.historyatstate.report import ImportReport


class Command(BaseCommand):
    help = (
        "Import files of the U.S. State Department's visits (foreign leaders' visits to the "
        "United States) or travels (presidents' and secretaries' trips abroad) datasets: each "
        "record becomes a source, the summits it names are matched or created, the attendances "
        "it shows are added or confirmed with a citation of its words. Adds, never overwrites; "
        "each file is imported whole or not at all."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="path", help="A visits or trips XML file.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Do everything and report it, then roll it back: nothing is written.",
        )

    def handle(self, *args: Any, paths: list[str], dry_run: bool, **options: Any) -> None:
        failed = False
        for path in paths:
            try:
                report = self.import_one(path, dry_run=dry_run)
            except (RecordsRefused, ValidationError, OSError) as error:
                failed = True
                reason = error.strerror if isinstance(error, OSError) else _reason(error)
                self.stderr.write(f"{path}: refused, nothing was imported: {reason}")
                continue
            self.stdout.write(self.style.SUCCESS(f"{path}:"))
            for line in report.lines():
                self.stdout.write(f"  {line}")
        if failed:
            raise CommandError("Some files were not imported.")

    def import_one(self, path: str, *, dry_run: bool) -> ImportReport:
        # A bar on a terminal; nothing when the output is a file or a pipe.
        with (
            open(path, "rb") as stream,
            tqdm(
                desc=path,
                unit=" records",
                disable=None,
                file=sys.stderr,
                leave=False,
            ) as bar,
        ):
            return historyatstate_import(
                stream, dry_run=dry_run, progress=lambda record: bar.update()
            )


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(error.messages)
    return str(error)
