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

from summits.dates import DatePrecision, is_first_of_period
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
# Errors reported at most: enough to fix a file, few enough to read.
MAX_IMPORT_ERRORS = 100


def attendances_import(
    *, rows: Iterable[Mapping[str, Any]], user: Any | None = None
) -> ImportReport:
    """Create or update many attendances with their timelines, in bulk; all or nothing.

    Each row is `{"summit": slug, "country": code, "leader": slug | None, "role": str | None,
    "note": str, "status_changes": [{"status", "as_of": "YYYY-MM-DD", "as_of_precision",
    "note", "citations": [{"source": key, "quote", "start", "end", "basis", "field"}]}, ...]}`;
    `leader`, `role`, `note`, `status_changes` and `citations` may be left out (a citation's
    `field` defaults to "status", its offsets are found when left out). Every quote is checked
    against its source's text in memory, the sources read once (summits.evidence). A row
    updates the attendance of its country at its summit, or creates it; a status change already
    recorded (same status, same date) is left alone, so importing a file twice changes nothing.
    Every row is validated as the model validates it (fields, choices, the leader's country,
    the date at its precision) before anything is written; any error raises one ValidationError
    keyed by row (`"12.leader"`, `"12.status_changes.0.as_of"`) and writes nothing. Rows are
    written with `bulk_create`/`bulk_update` and their history with django-simple-history's
    bulk helpers (by `user`, when given); then every imported attendance's status is refreshed
    from its timeline.
    """
    rows = list(rows)
    with transaction.atomic():
        plan = _ImportPlan.build(rows)
        if plan.errors:
            raise ValidationError(plan.errors)
        created = bulk_create_with_history(
            plan.new,
            Attendance,
            batch_size=_LOOKUP_BATCH,
            default_user=user,
            default_change_reason="Bulk import",
        )
        if plan.changed:
            bulk_update_with_history(
                plan.changed,
                Attendance,
                ["leader", "role", "note"],
                batch_size=_LOOKUP_BATCH,
                default_user=user,
                default_change_reason="Bulk import",
            )
        changes = []
        for attendance, row_changes in zip(plan.attendances, plan.status_changes, strict=True):
            for change in row_changes:
                change.attendance_id = attendance.pk
                changes.append(change)
        bulk_create_with_history(
            changes,
            StatusChange,
            batch_size=_LOOKUP_BATCH,
            default_user=user,
            default_change_reason="Bulk import",
        )
        for citation in plan.citations:
            citation.status_change_id = citation.status_change.pk
        bulk_create_with_history(
            plan.citations,
            Citation,
            batch_size=_LOOKUP_BATCH,
            default_user=user,
            default_change_reason="Bulk import",
        )
        attendances_refresh_status_by_id(ids=[attendance.pk for attendance in plan.attendances])
    return ImportReport(
        created=len(created),
        updated=len(plan.changed),
        unchanged=len(plan.attendances) - len(created) - len(plan.changed),
        status_changes=len(changes),
        citations=len(plan.citations),
    )


@dataclass
class _ImportPlan:
    """The import's rows, validated and matched to what the database holds, before any write."""

    attendances: list[Attendance] = field(default_factory=list)  # one per row, in row order
    status_changes: list[list[StatusChange]] = field(default_factory=list)  # new ones, per row
    new: list[Attendance] = field(default_factory=list)
    changed: list[Attendance] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)  # of the new status changes
    sources: dict[str, Source] = field(default_factory=dict)  # by key, with their texts
    errors: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, rows: list[Mapping[str, Any]]) -> "_ImportPlan":
        plan = cls()
        summits = _by_key(Summit.objects.all(), "slug", _strings(rows, "summit"))
        countries = _by_key(Country.objects.all(), "code", _strings(rows, "country"))
        leaders = _by_key(
            Leader.objects.select_related("country"), "slug", _strings(rows, "leader")
        )
        plan.sources = _by_key(Source.objects.all(), "key", _citation_sources(rows))
        existing = _existing_attendances({summit.pk for summit in summits.values()})
        recorded = _recorded_changes([attendance.pk for attendance in existing.values()])
        seen: set[tuple[int, int]] = set()
        for number, row in enumerate(rows):
            if len(plan.errors) >= MAX_IMPORT_ERRORS:
                break
            plan.add_row(number, row, summits, countries, leaders, existing, recorded, seen)
        return plan

    def error(self, where: str, message: str) -> None:
        self.errors.setdefault(where, []).append(message)

    def add_row(self, number, row, summits, countries, leaders, existing, recorded, seen) -> None:
        if not isinstance(row, Mapping):
            self.error(str(number), "Each row is an object.")
            return
        for key in sorted(set(row) - _ROW_KEYS):
            self.error(f"{number}.{key}", "Unknown field.")
        for key, types in _ROW_TYPES.items():
            if key in row and not isinstance(row[key], types):
                self.error(f"{number}.{key}", _TYPE_NAMES[types])
        if any(key.startswith(f"{number}.") for key in self.errors):
            return
        summit = summits.get(row.get("summit"))
        country = countries.get(row.get("country"))
        leader = leaders.get(row.get("leader"))
        for key, found, what in (("summit", summit, "slug"), ("country", country, "code")):
            if key not in row:
                self.error(f"{number}.{key}", "This field is required.")
            elif found is None:
                self.error(f"{number}.{key}", f"No {key} has the {what} {row[key]!r}.")
        if row.get("leader") is not None and leader is None:
            self.error(f"{number}.leader", f"No leader has the slug {row['leader']!r}.")
        if summit is None or country is None or f"{number}.leader" in self.errors:
            return
        if (summit.pk, country.pk) in seen:
            self.error(f"{number}.country", "An earlier row names the same summit and country.")
            return
        seen.add((summit.pk, country.pk))

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
        row_ok = self.validate(f"{number}", attendance, exclude=["summit", "country", "leader"])

        changes = []
        raw_changes = row.get("status_changes", [])
        dates: set[tuple[str, dt.date]] = set()
        for index, raw in enumerate(raw_changes):
            where = f"{number}.status_changes.{index}"
            if not isinstance(raw, Mapping):
                self.error(where, "Each status change is an object.")
                row_ok = False
                continue
            for key in sorted(set(raw) - _CHANGE_KEYS):
                self.error(f"{where}.{key}", "Unknown field.")
                row_ok = False
            for key in sorted(_CHANGE_TEXT_KEYS):
                if key in raw and not isinstance(raw[key], str):
                    self.error(f"{where}.{key}", _TYPE_NAMES[str])
                    row_ok = False
            if not isinstance(raw.get("citations", []), list):
                self.error(f"{where}.citations", "A list of citations.")
                row_ok = False
            if not row_ok:
                continue
            change = StatusChange(
                status=raw.get("status"),
                as_of=raw.get("as_of"),
                as_of_precision=raw.get("as_of_precision", DatePrecision.DAY),
                note=raw.get("note", ""),
            )
            if not self.validate(where, change, exclude=["attendance"]):
                row_ok = False
                continue
            if not is_first_of_period(change.as_of, change.as_of_precision):
                self.error(
                    f"{where}.as_of",
                    "At month or year precision the date is the period's first day.",
                )
                row_ok = False
                continue
            key = (change.status, change.as_of)
            if key in dates:
                self.error(f"{where}.as_of", "This status is already recorded as of this date.")
                row_ok = False
                continue
            dates.add(key)
            evidence = self.evidence(where, change, raw.get("citations", []))
            if evidence is None:
                row_ok = False
                continue
            if current is None or (current.pk, *key) not in recorded:
                changes.append(change)
                self.citations.extend(evidence)
        if not row_ok:
            return

        self.attendances.append(attendance)
        self.status_changes.append(changes)
        if current is None:
            self.new.append(attendance)
        elif (current.leader_id, current.role, current.note) != (
            attendance.leader_id,
            attendance.role,
            attendance.note,
        ):
            self.changed.append(attendance)

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


def _by_key(queryset: QuerySet, field_name: str, keys: set) -> dict:
    """The rows whose `field_name` is one of `keys`, by that key."""
    keys = sorted(keys)
    found = {}
    for offset in range(0, len(keys), _LOOKUP_BATCH):
        for row in queryset.filter(**{f"{field_name}__in": keys[offset : offset + _LOOKUP_BATCH]}):
            found[getattr(row, field_name)] = row
    return found


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
