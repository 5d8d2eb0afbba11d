"""Check every attendance's stored "first" labels against their definition, and repair drift."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from summits.services import firsts_refresh


class Command(BaseCommand):
    help = (
        'Work out every attendance\'s "first" labels again from the attendances, report each '
        "stored label that differs, and write the right one (--check: only report, and exit 1 "
        "on drift)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Report drift without repairing it."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = firsts_refresh(repair=not options["check"])
        for drift in report.examples:
            self.stdout.write(
                f"attendance {drift.attendance}: {drift.label} is {drift.stored!r}, "
                f"should be {drift.expected!r}"
            )
        if report.drifted > len(report.examples):
            self.stdout.write(f"... and {report.drifted - len(report.examples)} more.")
        summary = (
            f"Checked {report.checked} attendance{'' if report.checked == 1 else 's'}: "
            f"{report.drifted} label{'' if report.drifted == 1 else 's'} drifted"
        )
        if options["check"]:
            if report.drifted:
                raise CommandError(f"{summary}; run without --check to repair.")
            self.stdout.write(f"{summary}.")
            return
        self.stdout.write(f"{summary}, {report.repaired} repaired.")
