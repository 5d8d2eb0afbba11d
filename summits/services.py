"""Writes that are more than one save: recording a status change, keeping the current status."""

import datetime as dt

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery

from summits.dates import DatePrecision
from summits.models import Attendance, Citation, StatusChange

# Enough rows per UPDATE to be quick, few enough for SQLite's limit on query parameters.
_REFRESH_BATCH = 500


def attendance_record_status(
    *,
    attendance: Attendance,
    status: str,
    as_of: dt.date,
    as_of_precision: str = DatePrecision.DAY,
    note: str = "",
    citation: dict | None = None,
) -> StatusChange:
    """Add a step to an attendance's timeline (and its evidence), then refresh its current status.

    `citation`, when given, holds `source` (a Source), `quote`, `basis` and optionally `start`
    and `end`; it cites the new change's `status` field.
    """
    with transaction.atomic():
        locked = Attendance.objects.select_for_update().get(pk=attendance.pk)
        change = StatusChange(
            attendance=locked,
            status=status,
            as_of=as_of,
            as_of_precision=as_of_precision,
            note=note,
        )
        change.full_clean()
        change.save()
        if citation is not None:
            evidence = Citation(status_change=change, field="status", **citation)
            try:
                evidence.full_clean()
            except ValidationError as error:
                raise ValidationError(
                    {
                        "citation" if field == NON_FIELD_ERRORS else f"citation.{field}": messages
                        for field, messages in error.error_dict.items()
                    }
                ) from error
            evidence.save()
        attendance_refresh_status(attendances=Attendance.objects.filter(pk=locked.pk))
    attendance.refresh_from_db(fields=["status"])
    return change


def attendance_refresh_status(*, attendances: QuerySet[Attendance]) -> int:
    """Copy each attendance's latest status change (by as_of, then id) into `status`.

    The only writer of `Attendance.status`. It locks the rows with `select_for_update` first, so
    a writer that records a change for the same attendance waits for this one to commit and then
    sees its change; returns the number of rows updated.
    """
    latest = (
        StatusChange.objects.filter(attendance=OuterRef("pk"))
        .order_by("-as_of", "-id")
        .values("status")[:1]
    )
    database = attendances.db
    updated = 0
    with transaction.atomic(using=database):
        pks = list(attendances.select_for_update().order_by("pk").values_list("pk", flat=True))
        for offset in range(0, len(pks), _REFRESH_BATCH):
            batch = pks[offset : offset + _REFRESH_BATCH]
            rows = Attendance.objects.using(database).filter(pk__in=batch)
            updated += rows.update(status=Subquery(latest))
    return updated
