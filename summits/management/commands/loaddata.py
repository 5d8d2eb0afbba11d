"""`loaddata`, with the checks that raw saves skip.

Django's `loaddata` saves rows raw: no `clean()`, no services. This one loads inside a transaction,
refuses (and rolls back) data that breaks the rule a leader belongs to the attendance's country,
and refreshes every attendance's current status from its timeline.
"""

from django.core.management.base import CommandError
from django.core.management.commands import loaddata
from django.db import transaction

from summits.models import Attendance
from summits.services import attendance_refresh_status


class Command(loaddata.Command):
    help = loaddata.Command.help + " Checks the summit data and refreshes attendance statuses."

    def handle(self, *fixture_labels, **options):
        using = options["database"]
        with transaction.atomic(using=using):
            super().handle(*fixture_labels, **options)
            mismatched = Attendance.objects.using(using).with_leader_of_another_country()
            problems = [
                f"{attendance.summit.slug}/{attendance.country.code}: leader "
                f"{attendance.leader.slug} belongs to {attendance.leader.country.code}"
                for attendance in mismatched.select_related("summit", "country", "leader__country")
            ]
            if problems:
                raise CommandError(
                    "Nothing was loaded: a leader must belong to the attendance's country ("
                    + "; ".join(problems)
                    + ")."
                )
            attendance_refresh_status(attendances=Attendance.objects.using(using).all())
