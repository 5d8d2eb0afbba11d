"""The status workflow: steps added to an attendance's timeline, edited or deleted, and the
attendance's current status kept equal to its latest step."""

import datetime as dt
from collections.abc import Iterable, Sequence

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import OuterRef, QuerySet, Subquery

from summits.dates import DatePrecision
from summits.models import Attendance, Citation, StatusChange
from summits.services.batching import in_batches
from summits.services.locking import writers_turn

# Enough rows per UPDATE to be quick, few enough for SQLite's limit on query parameters.
_REFRESH_BATCH = 500


class StatusRefused(ValidationError):
    """`attendances_record_status` refused the change for `attendance`: its errors by field
    (`NON_FIELD_ERRORS` for those of no field)."""

    def __init__(self, error: ValidationError, *, attendance: Attendance) -> None:
        if not hasattr(error, "error_dict"):
            error = ValidationError({NON_FIELD_ERRORS: error.messages})
        super().__init__(error.error_dict)
        self.attendance = attendance


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
        # Before the row lock: a writer whose trigger re-labels this row holds the other.
        writers_turn()
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
            _citation_add(change, citation)
        attendance_refresh_status(attendances=Attendance.objects.filter(pk=locked.pk))
    attendance.refresh_from_db(fields=["status"])
    return change


def _citation_add(change: StatusChange, citation: dict) -> None:
    """Cite `change`'s status; the citation's errors are keyed `citation.<field>`."""
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


def attendances_record_status(
    *,
    attendances: Sequence[Attendance],
    status: str,
    as_of: dt.date,
    as_of_precision: str = DatePrecision.DAY,
    note: str = "",
    citation: dict | None = None,
) -> list[StatusChange]:
    """The same step added to several timelines, all or none: `attendance_record_status` for
    each attendance, in order, in one transaction.

    A refusal raises `StatusRefused`, which names the attendance; nothing is recorded then.
    """
    changes = []
    with transaction.atomic():
        for attendance in attendances:
            try:
                change = attendance_record_status(
                    attendance=attendance,
                    status=status,
                    as_of=as_of,
                    as_of_precision=as_of_precision,
                    note=note,
                    citation=citation,
                )
            except ValidationError as error:
                raise StatusRefused(error, attendance=attendance) from error
            changes.append(change)
    return changes


def status_change_save(*, change: StatusChange) -> StatusChange:
    """Record a new step, or save an edit to one (its status, date, note or attendance), then
    refresh the current status of every attendance whose timeline it touched.

    A new step (no key yet) goes through `attendance_record_status`; `change` then stands for
    the row it wrote (its key set), so that the caller may go on with it.
    """
    if change.pk is None:
        recorded = attendance_record_status(
            attendance=change.attendance,
            status=change.status,
            as_of=change.as_of,
            as_of_precision=change.as_of_precision,
            note=change.note,
        )
        change.pk = recorded.pk
        change._state.adding = False
        change._state.db = recorded._state.db
        return change
    with transaction.atomic():
        # Moving a step to another attendance changes both timelines.
        previous = StatusChange.objects.filter(pk=change.pk).values_list("attendance_id", flat=True)
        touched = {change.attendance_id, *previous}
        change.save()
        attendances_refresh_status_by_id(ids=touched)
    return change


def status_change_delete(*, change: StatusChange) -> None:
    """Delete a step of a timeline, then refresh its attendance's current status."""
    with transaction.atomic():
        change.delete()
        attendances_refresh_status_by_id(ids=[change.attendance_id])


def status_changes_delete(*, status_changes: QuerySet[StatusChange]) -> None:
    """Delete steps of any timelines, then refresh the current status of their attendances."""
    with transaction.atomic(using=status_changes.db):
        touched = set(status_changes.values_list("attendance_id", flat=True))
        status_changes.delete()
        attendances_refresh_status_by_id(ids=touched, using=status_changes.db)


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
        writers_turn(using=database)
        pks = list(attendances.select_for_update().order_by("pk").values_list("pk", flat=True))
        for batch in in_batches(pks, _REFRESH_BATCH):
            rows = Attendance.objects.using(database).filter(pk__in=batch)
            updated += rows.update(status=Subquery(latest))
    return updated


def attendances_refresh_status_by_id(*, ids: Iterable[int], using: str = DEFAULT_DB_ALIAS) -> int:
    """`attendance_refresh_status` for the attendances with these ids, in batches of ids that
    SQLite's limit on query parameters allows."""
    updated = 0
    for batch in in_batches(sorted(ids)):
        updated += attendance_refresh_status(
            attendances=Attendance.objects.using(using).filter(pk__in=batch)
        )
    return updated
