"""A sketch of the bulk import path the benchmark asks the product for, to measure what it can do.

Not product code: it shows the shape the benchmark calls (`attendances_import(rows=..., using=...)`)
and that the rows can load an order of magnitude faster than `loaddata`, all or nothing. Run it
with `make bench IMPORT_FUNC=bench.prototype_import:attendances_import` (see README.md).
"""

import datetime as dt
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction

from summits.dates import DatePrecision
from summits.models import (
    Attendance,
    AttendanceRole,
    AttendanceStatus,
    Country,
    Leader,
    StatusChange,
    Summit,
)
from summits.services import attendance_refresh_status

CHUNK = 5000  # keys per IN (...) lookup: well under SQLite's limit on query parameters


def _lookup(queryset, field: str, keys: set, *values: str) -> dict:
    found = {}
    keys = sorted(keys)
    for start in range(0, len(keys), CHUNK):
        chunk = queryset.filter(**{f"{field}__in": keys[start : start + CHUNK]})
        for row in chunk.values_list(field, *values):
            found[row[0]] = row[1:] if len(values) > 1 else row[1]
    return found


def attendances_import(*, rows: Iterable[Mapping], using: str = DEFAULT_DB_ALIAS) -> int:
    """Create or update attendances (by summit slug and country code) and add their status
    changes, then refresh their statuses; any bad row raises ValidationError and writes nothing.
    """
    rows = list(rows)
    with transaction.atomic(using=using):
        summits = _lookup(Summit.objects.using(using), "slug", {r["summit"] for r in rows}, "id")
        countries = _lookup(
            Country.objects.using(using), "code", {r["country"] for r in rows}, "id"
        )
        leaders = _lookup(
            Leader.objects.using(using),
            "slug",
            {r["leader"] for r in rows if r.get("leader")},
            "id",
            "country__code",
        )
        errors, seen, parsed = [], set(), []
        for number, row in enumerate(rows):
            where = f"row {number} ({row.get('summit')}/{row.get('country')})"
            if row["summit"] not in summits or row["country"] not in countries:
                errors.append(f"{where}: unknown summit or country")
                continue
            leader = leaders.get(row.get("leader")) if row.get("leader") else None
            if row.get("leader") and (leader is None or leader[1] != row["country"]):
                errors.append(f"{where}: leader {row['leader']} is not of {row['country']}")
                continue
            key = (summits[row["summit"]], countries[row["country"]])
            if key in seen:
                errors.append(f"{where}: listed twice")
            seen.add(key)
            if row.get("role") not in (None, *AttendanceRole.values):
                errors.append(f"{where}: unknown role")
            changes = []
            for change in row.get("status_changes", []):
                as_of = dt.date.fromisoformat(change["as_of"])
                precision = change.get("as_of_precision", DatePrecision.DAY)
                if change["status"] not in AttendanceStatus.values:
                    errors.append(f"{where}: unknown status {change['status']!r}")
                if precision not in DatePrecision.values or (
                    precision != DatePrecision.DAY
                    and (as_of.day != 1 or (precision == DatePrecision.YEAR and as_of.month != 1))
                ):
                    errors.append(f"{where}: {change['as_of']} is not the first of its {precision}")
                changes.append((change["status"], as_of, precision, change.get("note", "")))
            parsed.append((key, leader[0] if leader else None, row, changes))
        if errors:
            raise ValidationError(
                errors[:20] + ([f"... {len(errors) - 20} more"] * (len(errors) > 20))
            )

        existing = {}
        summit_ids = sorted({key[0] for key, *_ in parsed})
        for start in range(0, len(summit_ids), CHUNK):
            chunk = Attendance.objects.using(using).filter(
                summit_id__in=summit_ids[start : start + CHUNK]
            )
            for pk, summit, country in chunk.values_list("id", "summit_id", "country_id"):
                existing[(summit, country)] = pk
        new, updated = [], []
        for (summit, country), leader, row, _ in parsed:
            attendance = Attendance(
                pk=existing.get((summit, country)),
                summit_id=summit,
                country_id=country,
                leader_id=leader,
                role=row.get("role"),
                note=row.get("note", ""),
            )
            (updated if attendance.pk else new).append(attendance)
        Attendance.objects.using(using).bulk_create(new, batch_size=2000)
        Attendance.objects.using(using).bulk_update(updated, ["leader", "role", "note"], 2000)
        ids = {(a.summit_id, a.country_id): a.pk for a in [*new, *updated]}

        recorded = set()
        if updated:
            old = StatusChange.objects.using(using).filter(
                attendance_id__in=[a.pk for a in updated]
            )
            recorded = set(old.values_list("attendance_id", "status", "as_of"))
        StatusChange.objects.using(using).bulk_create(
            (
                StatusChange(
                    attendance_id=ids[key],
                    status=status,
                    as_of=as_of,
                    as_of_precision=precision,
                    note=note,
                )
                for key, _, _, changes in parsed
                for status, as_of, precision, note in changes
                if (ids[key], status, as_of) not in recorded
            ),
            batch_size=2000,
        )
        touched = sorted(ids.values())
        for start in range(0, len(touched), CHUNK):
            attendance_refresh_status(
                attendances=Attendance.objects.using(using).filter(
                    pk__in=touched[start : start + CHUNK]
                )
            )
    return len(parsed)
