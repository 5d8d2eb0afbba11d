"""`load_fixtures`: Django's `loaddata`, with the checks that raw saves skip.

`loaddata` saves rows raw: no `clean()`, no services (its JSON is still read through the
checked format, summits.fixture_format). This command runs it inside a transaction, refuses
(and rolls back) data that breaks the rule a leader belongs to the attendance's country, and
refreshes the current status of every attendance it loaded or added a status change to. Load
the tracker's fixtures with it; `loaddata` itself is left as Django ships it.
"""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.base import DeserializationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, transaction
from django.db.models.signals import post_save

from summits.models import Attendance, StatusChange
from summits.services import attendances_refresh_status_by_id


class Command(BaseCommand):
    help = (
        "Load fixtures as loaddata does, all or nothing, checking the summit data and "
        "refreshing attendance statuses."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("fixture_labels", nargs="+", metavar="fixture", help="Fixture labels.")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="The database to load into."
        )

    def handle(self, *args: str, **options: Any) -> None:
        fixture_labels, using = options["fixture_labels"], options["database"]
        loaded: set[int] = set()

        def collect(sender, instance, **kwargs):
            loaded.add(instance.pk if sender is Attendance else instance.attendance_id)

        with transaction.atomic(using=using):
            post_save.connect(collect, sender=Attendance, weak=False)
            post_save.connect(collect, sender=StatusChange, weak=False)
            try:
                call_command(
                    "loaddata",
                    *fixture_labels,
                    database=using,
                    verbosity=options["verbosity"],
                    stdout=self.stdout,
                    stderr=self.stderr,
                )
            except (DeserializationError, DatabaseError) as error:
                # What is wrong with the file, in one line, rather than loaddata's traceback.
                raise CommandError(f"Nothing was loaded: {error}") from error
            finally:
                post_save.disconnect(collect, sender=Attendance)
                post_save.disconnect(collect, sender=StatusChange)
            mismatched = Attendance.objects.using(using).with_leader_of_another_country()
            problems = [
                f"{summit}/{country}: leader {leader} belongs to {leader_country}"
                for summit, country, leader, leader_country in mismatched.values_list(
                    "summit__slug", "country__code", "leader__slug", "leader__country__code"
                )
            ]
            if problems:
                raise CommandError(
                    "Nothing was loaded: a leader must belong to the attendance's country ("
                    + "; ".join(problems)
                    + ")."
                )
            attendances_refresh_status_by_id(ids=loaded, using=using)
