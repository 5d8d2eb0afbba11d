"""Writes that are more than one save: recording a status change, keeping the current status,
importing attendances in bulk."""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import OuterRef, QuerySet, Subquery
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from summits.dates import DatePrecision, parse_partial_date
from summits.evidence import citation_verify
from summits.models import (
    Attendance,
    Citation,
    CitationBasis,
    Country,
    Leader,
    Source,
    StatusChange,
    Summit,
)

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


def attendances_refresh_status_by_id(*, ids: Iterable[int], using: str = DEFAULT_DB_ALIAS) -> int:
    """`attendance_refresh_status` for the attendances with these ids, in batches of ids that
    SQLite's limit on query parameters allows."""
    ids = sorted(ids)
    updated = 0
    for offset in range(0, len(ids), _LOOKUP_BATCH):
        batch = Attendance.objects.using(using).filter(pk__in=ids[offset : offset + _LOOKUP_BATCH])
        updated += attendance_refresh_status(attendances=batch)
    return updated


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


_ROW_KEYS = frozenset({"summit", "country", "leader", "role", "note", "status_changes"})
_CHANGE_TEXT_KEYS = frozenset({"status", "as_of", "as_of_precision", "note"})
_CHANGE_KEYS = _CHANGE_TEXT_KEYS | {"citations"}
_CITATION_KEYS = frozenset({"source", "field", "quote", "start", "end", "basis"})
_ROW_TYPES = {
    "summit": str,
    "country": str,
    "leader": (str, type(None)),
    "role": (str, type(None)),
    "note": str,
    "status_changes": list,
}
_TYPE_NAMES = {
    str: "A string.",
    (str, type(None)): "A string or null.",
    list: "A list of status changes.",
}
# Keys per `IN (...)` lookup: below SQLite's oldest limit on query parameters (999).
_LOOKUP_BATCH = 900
# Rows validated and written at a time: memory stays flat whatever the file's length.
IMPORT_BATCH = 2_000
# Errors reported at most: enough to fix a file, few enough to read; the rest are counted.
MAX_IMPORT_ERRORS = 100


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
    `field` defaults to "status", its offsets are found when left out). `as_of` carries its
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


@dataclass
class _Batch:
    """One batch of rows, validated and matched to what the database holds, before its write."""

    attendances: list[Attendance] = field(default_factory=list)  # one per good row, in order
    status_changes: list[list[StatusChange]] = field(default_factory=list)  # new ones, per row
    new: list[Attendance] = field(default_factory=list)
    changed: list[Attendance] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)  # of the new status changes


class _Import:
    """An import under way: the rows seen so far, what they name, what went wrong, what it wrote."""

    def __init__(self, *, user: Any | None) -> None:
        self.user = user
        self.rows = 0
        self.summits: dict[str, Summit] = {}
        self.countries: dict[str, Country] = {}
        self.leaders: dict[str, Leader] = {}
        self.sources: dict[str, Source] = {}  # by key, with their texts
        self.seen: set[tuple[int, int]] = set()  # (summit, country) of every row so far
        self.errors: dict[str, list[str]] = {}
        self.error_count = 0
        self.report = ImportReport(created=0, updated=0, unchanged=0, status_changes=0)

    def add(self, rows: list[Mapping[str, Any]]) -> None:
        """Validate a batch of rows and, while no row so far is wrong, write it."""
        _fetch_missing(self.summits, Summit.objects.all(), "slug", _strings(rows, "summit"))
        _fetch_missing(self.countries, Country.objects.all(), "code", _strings(rows, "country"))
        _fetch_missing(
            self.leaders, Leader.objects.select_related("country"), "slug", _strings(rows, "leader")
        )
        _fetch_missing(self.sources, Source.objects.all(), "key", _citation_sources(rows))
        summit_pks = {
            self.summits[key].pk for key in _strings(rows, "summit") if key in self.summits
        }
        existing = _existing_attendances(summit_pks)
        recorded = _recorded_changes([attendance.pk for attendance in existing.values()])
        batch = _Batch()
        for row in rows:
            self.add_row(batch, self.rows, row, existing, recorded)
            self.rows += 1
        if not self.error_count:
            self.write(batch)

    def write(self, batch: _Batch) -> None:
        history = {"default_user": self.user, "default_change_reason": "Bulk import"}
        created = bulk_create_with_history(
            batch.new, Attendance, batch_size=_LOOKUP_BATCH, **history
        )
        if batch.changed:
            bulk_update_with_history(
                batch.changed,
                Attendance,
                ["leader", "role", "note"],
                batch_size=_LOOKUP_BATCH,
                **history,
            )
        changes = []
        for attendance, row_changes in zip(batch.attendances, batch.status_changes, strict=True):
            for change in row_changes:
                change.attendance_id = attendance.pk
                changes.append(change)
        bulk_create_with_history(changes, StatusChange, batch_size=_LOOKUP_BATCH, **history)
        for citation in batch.citations:
            citation.status_change_id = citation.status_change.pk
        bulk_create_with_history(batch.citations, Citation, batch_size=_LOOKUP_BATCH, **history)
        attendances_refresh_status_by_id(ids=[attendance.pk for attendance in batch.attendances])
        report = self.report
        self.report = ImportReport(
            created=report.created + len(created),
            updated=report.updated + len(batch.changed),
            unchanged=report.unchanged + len(batch.attendances) - len(created) - len(batch.changed),
            status_changes=report.status_changes + len(changes),
            citations=report.citations + len(batch.citations),
        )

    def error(self, where: str, message: str) -> None:
        self.error_count += 1
        if self.error_count <= MAX_IMPORT_ERRORS:
            self.errors.setdefault(where, []).append(message)

    def add_row(self, batch: _Batch, number: int, row, existing, recorded) -> None:
        if not isinstance(row, Mapping):
            self.error(str(number), "Each row is an object.")
            return
        errors_before = self.error_count
        for key in sorted(set(row) - _ROW_KEYS):
            self.error(f"{number}.{key}", "Unknown field.")
        for key, types in _ROW_TYPES.items():
            if key in row and not isinstance(row[key], types):
                self.error(f"{number}.{key}", _TYPE_NAMES[types])
        if self.error_count > errors_before:
            return
        summit = self.summits.get(row.get("summit"))
        country = self.countries.get(row.get("country"))
        leader = self.leaders.get(row.get("leader"))
        for key, found, what in (("summit", summit, "slug"), ("country", country, "code")):
            if key not in row:
                self.error(f"{number}.{key}", "This field is required.")
            elif found is None:
                self.error(f"{number}.{key}", f"No {key} has the {what} {row[key]!r}.")
        if row.get("leader") is not None and leader is None:
            self.error(f"{number}.leader", f"No leader has the slug {row['leader']!r}.")
        if summit is None or country is None or self.error_count > errors_before:
            return
        if (summit.pk, country.pk) in self.seen:
            self.error(f"{number}.country", "An earlier row names the same summit and country.")
            return
        self.seen.add((summit.pk, country.pk))

        current = existing.get((summit.pk, country.pk))
        attendance = Attendance(
            pk=current.pk if current else None,
            summit=summit,
            country=country,
            leader=leader,
            role=row.get("role"),
            note=row.get("note", ""),
            status=current.status if current else None,
        )
        self.validate(f"{number}", attendance, exclude=["summit", "country", "leader"])

        changes: list[StatusChange] = []
        citations: list[Citation] = []
        dates: set[tuple[str, dt.date]] = set()
        for index, raw in enumerate(row.get("status_changes", [])):
            where = f"{number}.status_changes.{index}"
            change = self.status_change(where, raw)
            if change is None:
                continue
            key = (change.status, change.as_of)
            if key in dates:
                self.error(f"{where}.as_of", "This status is already recorded as of this date.")
                continue
            dates.add(key)
            evidence = self.evidence(where, change, raw.get("citations", []))
            if evidence is not None and (current is None or (current.pk, *key) not in recorded):
                changes.append(change)
                citations.extend(evidence)
        if self.error_count > errors_before:
            return

        batch.attendances.append(attendance)
        batch.status_changes.append(changes)
        batch.citations.extend(citations)
        if current is None:
            batch.new.append(attendance)
        elif (current.leader_id, current.role, current.note) != (
            attendance.leader_id,
            attendance.role,
            attendance.note,
        ):
            batch.changed.append(attendance)

    def status_change(self, where: str, raw) -> StatusChange | None:
        """One step of a row's timeline, validated; None when it is wrong (the errors recorded)."""
        if not isinstance(raw, Mapping):
            self.error(where, "Each status change is an object.")
            return None
        errors_before = self.error_count
        for key in sorted(set(raw) - _CHANGE_KEYS):
            self.error(f"{where}.{key}", "Unknown field.")
        for key in sorted(_CHANGE_TEXT_KEYS):
            if key in raw and not isinstance(raw[key], str):
                self.error(f"{where}.{key}", _TYPE_NAMES[str])
        if not isinstance(raw.get("citations", []), list):
            self.error(f"{where}.citations", "A list of citations.")
        if self.error_count > errors_before:
            return None
        if "as_of" not in raw:
            self.error(f"{where}.as_of", "This field is required.")
            return None
        try:
            as_of, precision = parse_partial_date(raw["as_of"], raw.get("as_of_precision"))
        except ValueError as error:
            self.error(f"{where}.as_of", str(error))
            return None
        change = StatusChange(
            status=raw.get("status"),
            as_of=as_of,
            as_of_precision=precision,
            note=raw.get("note", ""),
        )
        if not self.validate(where, change, exclude=["attendance"]):
            return None
        return change

    def evidence(self, where: str, change: StatusChange, raws: list) -> list[Citation] | None:
        """A status change's citations, each checked against its source's text (in memory);
        None when any is wrong (the errors recorded)."""
        citations = []
        for index, raw in enumerate(raws):
            at = f"{where}.citations.{index}"
            if not isinstance(raw, Mapping):
                self.error(at, "Each citation is an object.")
                return None
            unknown = sorted(set(raw) - _CITATION_KEYS)
            for key in unknown:
                self.error(f"{at}.{key}", "Unknown field.")
            source = self.sources.get(raw.get("source"))
            if source is None:
                self.error(f"{at}.source", f"No source has the key {raw.get('source')!r}.")
            if unknown or source is None:
                return None
            citation = Citation(
                source=source,
                status_change=change,
                field=raw.get("field", "status"),
                quote=raw.get("quote", ""),
                start=raw.get("start"),
                end=raw.get("end"),
                basis=raw.get("basis", CitationBasis.STATED),
            )
            try:
                citation.clean_fields(exclude=["status_change", "source"])
                # The change is not saved yet: name it as the citation's target.
                citation_verify(citation, text=source.text, target=change)
            except ValidationError as error:
                self.record(at, error)
                return None
            citations.append(citation)
        return citations

    def validate(self, where: str, instance, *, exclude: list[str]) -> bool:
        """The model's own field and `clean()` checks; the database's constraints back them."""
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            self.record(where, error)
            return False
        return True

    def record(self, where: str, error: ValidationError) -> None:
        for name, messages in error.message_dict.items():
            key = where if name == NON_FIELD_ERRORS else f"{where}.{name}"
            for message in messages:
                self.error(key, message)


def _citation_sources(rows: list) -> set[str]:
    """The source keys the rows' citations name."""
    return {
        citation["source"]
        for row in rows
        if isinstance(row, Mapping) and isinstance(row.get("status_changes"), list)
        for change in row["status_changes"]
        if isinstance(change, Mapping) and isinstance(change.get("citations"), list)
        for citation in change["citations"]
        if isinstance(citation, Mapping) and isinstance(citation.get("source"), str)
    }


def _strings(rows: list, key: str) -> set[str]:
    return {row[key] for row in rows if isinstance(row, Mapping) and isinstance(row.get(key), str)}


def _fetch_missing(found: dict, queryset: QuerySet, field_name: str, keys: set) -> None:
    """Add to `found` the rows whose `field_name` is one of `keys` and not yet in `found`."""
    missing = sorted(key for key in keys if key not in found)
    for offset in range(0, len(missing), _LOOKUP_BATCH):
        batch = missing[offset : offset + _LOOKUP_BATCH]
        for row in queryset.filter(**{f"{field_name}__in": batch}):
            found[getattr(row, field_name)] = row


def _existing_attendances(summit_pks: set[int]) -> dict[tuple[int, int], Attendance]:
    pks = sorted(summit_pks)
    found = {}
    for offset in range(0, len(pks), _LOOKUP_BATCH):
        batch = Attendance.objects.filter(summit__in=pks[offset : offset + _LOOKUP_BATCH])
        for attendance in batch.order_by():
            found[(attendance.summit_id, attendance.country_id)] = attendance
    return found


def _recorded_changes(attendance_pks: list[int]) -> set[tuple[int, str, dt.date]]:
    pks = sorted(attendance_pks)
    found = set()
    for offset in range(0, len(pks), _LOOKUP_BATCH):
        batch = StatusChange.objects.filter(attendance__in=pks[offset : offset + _LOOKUP_BATCH])
        found.update(batch.order_by().values_list("attendance", "status", "as_of"))
    return found
