"""Delete the change feed's changes older than its retention, so that the log stays bounded;
a client whose token is older is then told to re-sync instead of missing them."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from summits.services import changes_prune

# A hundred years: more is no retention at all, and past what a date can count back.
MAX_DAYS = 36_500


class Command(BaseCommand):
    help = (
        "Delete the change feed's changes older than CHANGE_FEED_RETENTION_DAYS (or --days); "
        "a token from before what is kept is then refused as expired."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Keep this many days of changes (default: CHANGE_FEED_RETENTION_DAYS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days = (
            options["days"] if options["days"] is not None else settings.CHANGE_FEED_RETENTION_DAYS
        )
        if not 0 <= days <= MAX_DAYS:
            raise CommandError(f"--days is a number of days from 0 to {MAX_DAYS}.")
        before = timezone.now() - dt.timedelta(days=days)
        report = changes_prune(before=before)
        if not report.deleted:
            self.stdout.write(
                f"Nothing to delete: no change was made before {before:%Y-%m-%d %H:%M:%S} UTC."
            )
            return
        self.stdout.write(
            f"Deleted {report.deleted} change{'' if report.deleted == 1 else 's'} made before "
            f"{before:%Y-%m-%d %H:%M:%S} UTC; a token whose position (its first 16 digits) is "
            f"before {report.horizon:016x} is expired."
        )
