"""The "first" labels' check: every attendance's stored labels against the definition.

The database keeps `Attendance.first_for_country` and `first_for_leader` on every write
(migration 0013's triggers). `firsts_refresh` works each label out again the other way, with
`summits.records.attendances_with_firsts` (an EXISTS per label) and `first_label`, and reports
(and repairs) any stored label that differs: after a write that bypassed the triggers (a table
restored without them, `session_replication_role = replica`), or a bug in either definition.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction

from summits.models import Attendance, AttendanceStatus
from summits.records import attendances_with_firsts, first_label

LABELS = ("first_for_country", "first_for_leader")
# Attendances read per query: each row costs two index probes.
CHUNK = 5_000
# Drifted labels listed in a report; all of them are counted and repaired.
EXAMPLES = 10


@dataclass(frozen=True)
class Drift:
    attendance: int
    label: str
    stored: str | None
    expected: str | None


@dataclass
class FirstsReport:
    checked: int = 0
    drifted: int = 0
    repaired: int = 0
    examples: list[Drift] = field(default_factory=list)


_COLUMNS = (
    "id",
    "status",
    "leader_id",
    "summit__organization_id",
    "summit__organization__records_complete_from",
    "summit__start_date",
    "country_attended_before",
    "leader_attended_before",
    *LABELS,
)


def _expected(row: dict, *, label: str) -> str | None:
    if row["status"] != AttendanceStatus.ATTENDED or row["summit__organization_id"] is None:
        return None
    if label == "first_for_leader" and row["leader_id"] is None:
        return None
    before = "country_attended_before" if label == "first_for_country" else "leader_attended_before"
    return first_label(
        complete_from=row["summit__organization__records_complete_from"],
        start_date=row["summit__start_date"],
        has_earlier=row[before],
    )


def firsts_refresh(*, repair: bool, chunk: int = CHUNK) -> FirstsReport:
    """Compare every stored label with its definition; with `repair`, write the expected value
    where they differ. One transaction: on PostgreSQL a repair first takes the data version's
    row lock, which every writer takes, so no write lands between the reading and the repair;
    a check reads one REPEATABLE READ snapshot and blocks no one."""
    report = FirstsReport()
    # Inside a caller's transaction, the check reads in the caller's.
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        _begin(repair=repair, outermost=outermost)
        fixes: dict[tuple[str, str | None], list[int]] = {}
        after = 0
        while rows := list(
            attendances_with_firsts(Attendance.objects.filter(pk__gt=after))
            .order_by("pk")
            .values(*_COLUMNS)[:chunk]
        ):
            after = rows[-1]["id"]
            report.checked += len(rows)
            for drift in _drifts(rows):
                report.drifted += 1
                if len(report.examples) < EXAMPLES:
                    report.examples.append(drift)
                fixes.setdefault((drift.label, drift.expected), []).append(drift.attendance)
        if repair:
            for (label, expected), ids in fixes.items():
                for start in range(0, len(ids), chunk):
                    report.repaired += Attendance.objects.filter(
                        pk__in=ids[start : start + chunk]
                    ).update(**{label: expected})
    return report


def _begin(*, repair: bool, outermost: bool) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite: one writer at a time, and the transaction is it
    with connection.cursor() as cursor:
        if outermost and not repair:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        # Reads every attendance: longer than any request may take.
        cursor.execute("SET LOCAL statement_timeout = 0")
        if repair:
            cursor.execute("SELECT 1 FROM summits_dataversion WHERE id = 1 FOR UPDATE")


def _drifts(rows: list[dict]) -> Iterator[Drift]:
    for row in rows:
        for label in LABELS:
            expected = _expected(row, label=label)
            if row[label] != expected:
                yield Drift(row["id"], label, row[label], expected)
