"""`loaddata`, with the checks that raw saves skip.

Django's `loaddata` saves rows raw: no `clean()`, no services. This one loads inside a transaction,
refuses (and rolls back) data that breaks the rule a leader belongs to the attendance's country,
and refreshes the current status of every attendance it loaded or added a status change to.
"""

from django.core.management.base import CommandError
from django.core.management.commands import loaddata
from django.db import transaction
from django.db.models.signals import post_save

from summits.models import Attendance, StatusChange
from summits.services import attendances_refresh_status_by_id


class Command(loaddata.Command):
    help = loaddata.Command.help + " Checks the summit data and refreshes attendance statuses."

    def handle(self, *fixture_labels, **options):
        using = options["database"]
        loaded: set[int] = set()

        def collect(sender, instance, **kwargs):
            loaded.add(instance.pk if sender is Attendance else instance.attendance_id)

        with transaction.atomic(using=using):
            post_save.connect(collect, sender=Attendance, weak=False)
            post_save.connect(collect, sender=StatusChange, weak=False)
            try:
                super().handle(*fixture_labels, **options)
            finally:
                post_save.disconnect(collect, sender=Attendance)
                post_save.disconnect(collect, sender=StatusChange)
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
            attendances_refresh_status_by_id(ids=loaded, using=using)
