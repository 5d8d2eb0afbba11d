"""Attendances imported in bulk, with their timelines and evidence: all rows or none."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from summits.models import Attendance, Citation, Country, Leader, Source, StatusChange, Summit
from summits.services.batching import LOOKUP_BATCH, in_batches
from summits.services.import_rows import (
    MAX_IMPORT_ERRORS,
    Existing,
    Recorded,
    RowBatch,
    RowChecks,
    citation_sources,
    strings,
)
from summits.services.statuses import attendances_refresh_status_by_id

__all__ = [
    "IMPORT_BATCH",
    "MAX_IMPORT_ERRORS",
    "ImportRejected",
    "ImportReport",
    "attendances_import",
]


@dataclass(frozen=True)
class ImportReport:
    """What `attendances_import` wrote."""

    created: int
    updated: int
    unchanged: int
    status_changes: int
    citations: int = 0

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged


class ImportRejected(ValidationError):
    """An import with bad rows: the first `MAX_IMPORT_ERRORS` errors by row and field, and how
    many there were in all (`error_count`)."""

    def __init__(self, errors: dict[str, list[str]], *, error_count: int) -> None:
        super().__init__(errors)
        self.error_count = error_count

    @property
    def more(self) -> int:
        """How many errors the message leaves out."""
        return self.error_count - sum(len(messages) for messages in self.message_dict.values())


# Rows validated and written at a time: memory stays flat whatever the file's length.
IMPORT_BATCH = 2_000


def attendances_import(
    *,
    rows: Iterable[Mapping[str, Any]],
    user: Any | None = None,
    batch_size: int = IMPORT_BATCH,
) -> ImportReport:
    """Create or update many attendances with their timelines, in bulk; all or nothing.

    Each row is `{"summit": slug, "country": code, "leader": slug | None, "role": str | None,
    "note": str, "status_changes": [{"status", "as_of": "YYYY" | "YYYY-MM" | "YYYY-MM-DD",
    "note", "citations": [{"source": key, "quote", "start", "end", "basis", "field"}]}, ...]}`;
    `leader`, `role`, `note`, `status_changes` and `citations` may be left out (a citation's
    `field` defaults to "status", its offsets, integers or null, are found when left out); a
    value of another type (a list for a key, a number for a quote) is an error of its field. `as_of` carries its
    precision; an `as_of_precision` beside it (the older form) must agree with it
    (summits.dates.parse_partial_date). Every quote is checked against its source's text in
    memory. A row updates the attendance of its country at its summit, or creates it; a status
    change already recorded (same status, same date) is left alone, so importing a file twice
    changes nothing.

    `rows` is read once, lazily, `batch_size` rows at a time: each batch is validated as the
    model validates it (fields, choices, the leader's country, the date at its precision),
    then written with `bulk_create`/`bulk_update` and django-simple-history's bulk helpers (by
    `user`, when given), and its statuses refreshed from their timelines, so memory does not
    grow with the file. Everything runs in one transaction: once a row is wrong nothing more is
    written, the remaining rows are still checked (every error is counted, the first
    `MAX_IMPORT_ERRORS` kept, keyed by row: `"12.leader"`, `"12.status_changes.0.as_of"`), and
    `ImportRejected` rolls back what earlier batches wrote. An exception raised while reading
    `rows` (a malformed file) rolls it back too.
    """
    importer = _Import(user=user)
    with transaction.atomic():
        batch: list[Mapping[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= batch_size:
                importer.add(batch)
                batch = []
        if batch:
            importer.add(batch)
        if importer.error_count:
            raise ImportRejected(importer.errors, error_count=importer.error_count)
    return importer.report


class _Import(RowChecks):
    """An import under way: its rows checked (`RowChecks`), how many so far, what it wrote."""

    def __init__(self, *, user: Any | None) -> None:
        super().__init__()
        self.user = user
        self.rows = 0
        self.report = ImportReport(created=0, updated=0, unchanged=0, status_changes=0)

    def add(self, rows: list[Mapping[str, Any]]) -> None:
        """Validate a batch of rows and, while no row so far is wrong, write it."""
        _fetch_missing(self.summits, Summit.objects.all(), "slug", strings(rows, "summit"))
        _fetch_missing(self.countries, Country.objects.all(), "code", strings(rows, "country"))
        _fetch_missing(
            self.leaders, Leader.objects.select_related("country"), "slug", strings(rows, "leader")
        )
        _fetch_missing(self.sources, Source.objects.all(), "key", citation_sources(rows))
        summit_pks = {
            self.summits[key].pk for key in strings(rows, "summit") if key in self.summits
        }
        existing = _existing_attendances(summit_pks)
        recorded = _recorded_changes([attendance.pk for attendance in existing.values()])
        batch = RowBatch()
        for row in rows:
            self.add_row(batch, self.rows, row, existing, recorded)
            self.rows += 1
        if not self.error_count:
            self.write(batch)

    def write(self, batch: RowBatch) -> None:
        """Write a batch's good rows with their history, then refresh their statuses."""
        history = {"default_user": self.user, "default_change_reason": "Bulk import"}
        created = bulk_create_with_history(
            batch.new, Attendance, batch_size=LOOKUP_BATCH, **history
        )
        if batch.changed:
            bulk_update_with_history(
                batch.changed,
                Attendance,
                ["leader", "role", "note"],
                batch_size=LOOKUP_BATCH,
                **history,
            )
        changes = []
        for attendance, row_changes in zip(batch.attendances, batch.status_changes, strict=True):
            for change in row_changes:
                change.attendance_id = attendance.pk
                changes.append(change)
        bulk_create_with_history(changes, StatusChange, batch_size=LOOKUP_BATCH, **history)
        for citation in batch.citations:
            cited = citation.status_change  # each is built with its change, saved just above
            if cited is not None:
                citation.status_change_id = cited.pk
        bulk_create_with_history(batch.citations, Citation, batch_size=LOOKUP_BATCH, **history)
        attendances_refresh_status_by_id(ids=[attendance.pk for attendance in batch.attendances])
        report = self.report
        self.report = ImportReport(
            created=report.created + len(created),
            updated=report.updated + len(batch.changed),
            unchanged=report.unchanged + len(batch.attendances) - len(created) - len(batch.changed),
            status_changes=report.status_changes + len(changes),
            citations=report.citations + len(batch.citations),
        )


def _fetch_missing(
    found: dict[str, Any], queryset: QuerySet, field_name: str, keys: set[str]
) -> None:
    """Add to `found` the rows whose `field_name` is one of `keys` and not yet in `found`."""
    missing = sorted(key for key in keys if key not in found)
    for batch in in_batches(missing):
        for row in queryset.filter(**{f"{field_name}__in": batch}):
            found[getattr(row, field_name)] = row


def _existing_attendances(summit_pks: set[int]) -> Existing:
    found: Existing = {}
    for batch in in_batches(sorted(summit_pks)):
        for attendance in Attendance.objects.filter(summit__in=batch).order_by():
            found[(attendance.summit_id, attendance.country_id)] = attendance
    return found


def _recorded_changes(attendance_pks: list[int]) -> Recorded:
    found: Recorded = set()
    for batch in in_batches(sorted(attendance_pks)):
        rows = StatusChange.objects.filter(attendance__in=batch).order_by()
        found.update(rows.values_list("attendance", "status", "as_of"))
    return found
