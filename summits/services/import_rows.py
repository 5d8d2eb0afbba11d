"""The checks of a bulk import's rows: the fields of each row as the model checks them, what
it names, its timeline and its evidence; a batch of good rows for `bulk_import` to write."""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard, cast

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

from summits.dates import parse_partial_date
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

# (summit, country) -> the attendance the database holds.
Existing = dict[tuple[int, int], Attendance]
# (attendance, status, as_of) of every step the database holds for those attendances.
Recorded = set[tuple[int, str, dt.date]]

# Errors reported at most: enough to fix a file, few enough to read; the rest are counted.
MAX_IMPORT_ERRORS = 100

_ROW_KEYS = frozenset({"summit", "country", "leader", "role", "note", "status_changes"})
_CHANGE_TEXT_KEYS = frozenset({"status", "as_of", "as_of_precision", "note"})
_CHANGE_KEYS = _CHANGE_TEXT_KEYS | {"citations"}
_CITATION_KEYS = frozenset({"source", "field", "quote", "start", "end", "basis"})
_ROW_TYPES: dict[str, type | tuple[type, ...]] = {
    "summit": str,
    "country": str,
    "leader": (str, type(None)),
    "role": (str, type(None)),
    "note": str,
    "status_changes": list,
}
# What a citation's offsets are; a bool, which Python counts as an int, is not one.
_OFFSET = (int, type(None))
_CITATION_TYPES: dict[str, type | tuple[type, ...]] = {
    "source": str,
    "field": str,
    "quote": str,
    "basis": str,
    "start": _OFFSET,
    "end": _OFFSET,
}
_TYPE_NAMES: dict[type | tuple[type, ...], str] = {
    str: "A string.",
    (str, type(None)): "A string or null.",
    list: "A list of status changes.",
    _OFFSET: "An integer or null.",
}


@dataclass
class RowBatch:
    """One batch of rows, validated and matched to what the database holds, before its write."""

    attendances: list[Attendance] = field(default_factory=list)  # one per good row, in order
    status_changes: list[list[StatusChange]] = field(default_factory=list)  # new ones, per row
    new: list[Attendance] = field(default_factory=list)
    changed: list[Attendance] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)  # of the new status changes

    def add(
        self,
        attendance: Attendance,
        current: Attendance | None,
        changes: list[StatusChange],
        citations: list[Citation],
    ) -> None:
        """A good row: its attendance (new, changed or as it was) and its new steps."""
        self.attendances.append(attendance)
        self.status_changes.append(changes)
        self.citations.extend(citations)
        if current is None:
            self.new.append(attendance)
        elif (current.leader_id, current.role, current.note) != (
            attendance.leader_id,
            attendance.role,
            attendance.note,
        ):
            self.changed.append(attendance)


class RowChecks:
    """What the rows seen so far name (by key, filled in by the import), and what is wrong."""

    def __init__(self) -> None:
        self.summits: dict[str, Summit] = {}
        self.countries: dict[str, Country] = {}
        self.leaders: dict[str, Leader] = {}
        self.sources: dict[str, Source] = {}  # by key, with their texts
        self.seen: set[tuple[int, int]] = set()  # (summit, country) of every row so far
        self.errors: dict[str, list[str]] = {}
        self.error_count = 0

    def error(self, where: str, message: str) -> None:
        """Count an error, and keep it while fewer than `MAX_IMPORT_ERRORS` are kept."""
        self.error_count += 1
        if self.error_count <= MAX_IMPORT_ERRORS:
            self.errors.setdefault(where, []).append(message)

    def add_row(
        self, batch: RowBatch, number: int, row: object, existing: Existing, recorded: Recorded
    ) -> None:
        """Check one row and add it to the batch, or record what is wrong with it."""
        where = str(number)
        errors_before = self.error_count
        if not self.row_is_well_formed(row, where):
            return
        targets = self.row_targets(where, row)
        if targets is None:
            return
        summit, country, leader = targets
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
        self.validate(where, attendance, exclude=["summit", "country", "leader"])
        changes, citations = self.timeline(where, row, current, recorded)
        if self.error_count == errors_before:
            batch.add(attendance, current, changes, citations)

    def unknown_fields(self, where: str, raw: Mapping[str, Any], known: frozenset[str]) -> bool:
        """Record an error for each field of `raw` not `known`; True when there was any."""
        unknown = sorted(set(raw) - known)
        for key in unknown:
            self.error(f"{where}.{key}", "Unknown field.")
        return bool(unknown)

    def row_is_well_formed(self, row: object, where: str) -> TypeGuard[Mapping[str, Any]]:
        """An object of known fields, each of its type; False when not (the errors recorded)."""
        if not isinstance(row, Mapping):
            self.error(where, "Each row is an object.")
            return False
        errors_before = self.error_count
        self.unknown_fields(where, row, _ROW_KEYS)
        for key, types in _ROW_TYPES.items():
            if key in row and not isinstance(row[key], types):
                self.error(f"{where}.{key}", _TYPE_NAMES[types])
        return self.error_count == errors_before

    def row_targets(
        self, where: str, row: Mapping[str, Any]
    ) -> tuple[Summit, Country, Leader | None] | None:
        """The summit, country and leader a row names, the first row to name that summit and
        country; None when any is missing (the errors recorded)."""
        errors_before = self.error_count
        summit = self.named(where, row, "summit", self.summits, "slug", required=True)
        country = self.named(where, row, "country", self.countries, "code", required=True)
        leader = self.named(where, row, "leader", self.leaders, "slug", required=False)
        if summit is None or country is None or self.error_count > errors_before:
            return None
        if (summit.pk, country.pk) in self.seen:
            self.error(f"{where}.country", "An earlier row names the same summit and country.")
            return None
        self.seen.add((summit.pk, country.pk))
        return summit, country, leader

    def named(
        self,
        where: str,
        row: Mapping[str, Any],
        key: str,
        found: Mapping[str, Any],
        what: str,
        *,
        required: bool,
    ) -> Any:
        """The row `row[key]` names by its `what` among those `found`; None when it names none
        (an error recorded, unless it may be left out)."""
        value = row.get(key)
        named = found.get(value) if value is not None else None
        if named is not None:
            return named
        if key not in row:
            if required:
                self.error(f"{where}.{key}", "This field is required.")
        elif row[key] is not None:
            self.error(f"{where}.{key}", f"No {key} has the {what} {row[key]!r}.")
        return None

    def timeline(
        self,
        where: str,
        row: Mapping[str, Any],
        current: Attendance | None,
        recorded: Recorded,
    ) -> tuple[list[StatusChange], list[Citation]]:
        """A row's steps not recorded yet, and their citations; the errors recorded."""
        changes: list[StatusChange] = []
        citations: list[Citation] = []
        dates: set[tuple[str, dt.date]] = set()
        for index, raw in enumerate(row.get("status_changes", [])):
            at = f"{where}.status_changes.{index}"
            change = self.status_change(at, raw)
            if change is None:
                continue
            key = (change.status, change.as_of)
            if key in dates:
                self.error(f"{at}.as_of", "This status is already recorded as of this date.")
                continue
            dates.add(key)
            evidence = self.evidence(at, change, raw.get("citations", []))
            if evidence is not None and (current is None or (current.pk, *key) not in recorded):
                changes.append(change)
                citations.extend(evidence)
        return changes, citations

    def status_change(self, where: str, raw: Any) -> StatusChange | None:
        """One step of a row's timeline, validated; None when it is wrong (the errors recorded)."""
        if not isinstance(raw, Mapping):
            self.error(where, "Each status change is an object.")
            return None
        errors_before = self.error_count
        self.unknown_fields(where, raw, _CHANGE_KEYS)
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
            # A string, or None when left out, which `validate` reports as the model does ("This
            # field cannot be null."): Django's constructor takes any value and `full_clean`
            # judges it, while the stubs type it by what a saved row holds.
            status=cast(str, raw.get("status")),
            as_of=as_of,
            as_of_precision=precision,
            note=raw.get("note", ""),
        )
        if not self.validate(where, change, exclude=["attendance"]):
            return None
        return change

    def evidence(self, where: str, change: StatusChange, raws: list[Any]) -> list[Citation] | None:
        """A status change's citations, each checked against its source's text (in memory);
        None when any is wrong (the errors recorded)."""
        citations = []
        for index, raw in enumerate(raws):
            at = f"{where}.citations.{index}"
            if not isinstance(raw, Mapping):
                self.error(at, "Each citation is an object.")
                return None
            well_formed = self.citation_is_well_formed(at, raw)
            key = raw.get("source")
            source = self.sources.get(key) if isinstance(key, str) else None
            if source is None and isinstance(key, str):
                self.error(f"{at}.source", f"No source has the key {key!r}.")
            if not well_formed or source is None:
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

    def citation_is_well_formed(self, where: str, raw: Mapping[str, Any]) -> bool:
        """Known fields, each of its type, a source among them; False when not (the errors
        recorded)."""
        errors_before = self.error_count
        self.unknown_fields(where, raw, _CITATION_KEYS)
        for key, types in _CITATION_TYPES.items():
            value = raw.get(key)
            if key in raw and (not isinstance(value, types) or isinstance(value, bool)):
                self.error(f"{where}.{key}", _TYPE_NAMES[types])
        if "source" not in raw:
            self.error(f"{where}.source", "This field is required.")
        return self.error_count == errors_before

    def validate(self, where: str, instance: models.Model, *, exclude: list[str]) -> bool:
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


def citation_sources(rows: list[Any]) -> set[str]:
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


def strings(rows: list[Any], key: str) -> set[str]:
    return {row[key] for row in rows if isinstance(row, Mapping) and isinstance(row.get(key), str)}
