"""Reads that compute what the article reasons with: attendance records, runs of years, firsts.

Everything here is derived from the stored attendances at request time and never uses today's
date: "pending" means an attendance whose latest status is still open (proposed, invited,
considering, confirmed), whatever the calendar says.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Q, QuerySet

from summits.dates import display_date_range, iso_partial_date
from summits.models import Attendance, AttendanceStatus, Country, Leader, Organization, Summit

ATTENDED = AttendanceStatus.ATTENDED
# An attendance in one of these states may still turn into an attendance, or not.
PENDING = frozenset(
    {
        AttendanceStatus.PROPOSED,
        AttendanceStatus.INVITED,
        AttendanceStatus.CONSIDERING,
        AttendanceStatus.CONFIRMED,
    }
)

FIRST = "first"
FIRST_RECORDED = "first recorded"


@dataclass(frozen=True)
class RecordedSummit:
    """One summit in a record, with the attendance's status and its dates at their precision."""

    slug: str
    name: str
    year: int
    start_date: str
    dates: str
    status: str | None
    first: str | None = None


@dataclass(frozen=True)
class Run:
    """Consecutive calendar years of attendance, from `first_year` to `last_year`."""

    years: int
    first_year: int
    last_year: int


@dataclass(frozen=True)
class AttendanceRecord:
    """A leader's or a country's attendance at one organization's ordinary summits."""

    organization: str
    organization_name: str
    attended: list[RecordedSummit]
    pending: list[RecordedSummit]
    longest_run: Run | None
    current_run: Run | None
    next_pending: RecordedSummit | None
    run_if_next_attended: int | None


def first_label(
    *, complete_from: dt.date | None, start_date: dt.date, has_earlier: bool
) -> str | None:
    """ "first" or "first recorded" for an attendance at an organization's summit (starting on
    `start_date`) with no earlier attended one, else None.

    A first is only "first" once the organization's records are complete (`complete_from`, its
    `records_complete_from`, on or before the summit): from that date on the data claims to hold
    every summit of the organization.
    """
    if has_earlier:
        return None
    if complete_from is not None and complete_from <= start_date:
        return FIRST
    return FIRST_RECORDED


def attendances_with_firsts(queryset: QuerySet[Attendance]) -> QuerySet[Attendance]:
    """Annotate whether an earlier summit of the same organization was attended by the same
    country (`country_attended_before`) and by the same leader (`leader_attended_before`)."""
    return queryset.annotate(
        country_attended_before=Exists(_attended_earlier(same="country")),
        leader_attended_before=Exists(_attended_earlier(same="leader")),
    )


def _attended_earlier(*, same: str) -> QuerySet[Attendance]:
    earlier = Q(summit__start_date__lt=OuterRef("summit__start_date")) | Q(
        summit__start_date=OuterRef("summit__start_date"), summit__slug__lt=OuterRef("summit__slug")
    )
    return Attendance.objects.filter(
        earlier,
        **{same: OuterRef(same)},
        status=ATTENDED,
        summit__organization=OuterRef("summit__organization"),
        # Implied by `earlier`, and what lets the database read the organization's summits up
        # to this one as one range of its (organization, start date) index.
        summit__start_date__lte=OuterRef("summit__start_date"),
    )


def leader_attendance_records(
    *, leader: Leader, organization: str | None = None
) -> list[AttendanceRecord]:
    """The leader's record at each organization whose ordinary summits the leader has records at."""
    return _records(Attendance.objects.filter(leader=leader), organization=organization)


def country_attendance_records(
    *, country: Country, organization: str | None = None
) -> list[AttendanceRecord]:
    """The country's record at each organization whose ordinary summits it has records at."""
    return _records(Attendance.objects.filter(country=country), organization=organization)


class RecordRow(NamedTuple):
    """What a record reads of one attendance: its status and its summit, in `ROW_COLUMNS`."""

    status: str | None
    slug: str
    name: str
    kind: str
    start_date: dt.date
    end_date: dt.date | None
    date_precision: str


# A record's query: one row per attendance, the summit's columns, then its organization's.
ROW_COLUMNS = (
    "status",
    "summit__slug",
    "summit__name",
    "summit__kind",
    "summit__start_date",
    "summit__end_date",
    "summit__date_precision",
)
ORGANIZATION_COLUMNS = (
    "summit__organization__slug",
    "summit__organization__name",
    "summit__organization__short_name",
    "summit__organization__records_complete_from",
)
ROW_ORDERING = ("summit__organization__slug", "summit__start_date", "summit__slug")


def _records(
    attendances: QuerySet[Attendance], *, organization: str | None
) -> list[AttendanceRecord]:
    attendances = attendances.filter(summit__organization__isnull=False)
    if organization is not None:
        attendances = attendances.filter(summit__organization__slug=organization)
    rows = attendances.order_by(*ROW_ORDERING).values_list(*ROW_COLUMNS, *ORGANIZATION_COLUMNS)
    return records_from_rows(rows)


def records_from_rows(rows: Iterable[tuple]) -> list[AttendanceRecord]:
    """The records of rows of `ROW_COLUMNS` then `ORGANIZATION_COLUMNS`, in `ROW_ORDERING`.

    Plain rows rather than model instances: a leader's record reads hundreds of attendances, and
    building an Attendance, a Summit and an Organization for each was most of its time.
    """
    split = len(ROW_COLUMNS)
    return [
        _record(
            Organization(slug=slug, name=name, short_name=short_name, records_complete_from=since),
            [RecordRow._make(row[:split]) for row in group],
        )
        for (slug, name, short_name, since), group in groupby(rows, key=lambda row: row[split:])
    ]


def _record(organization: Organization, attendances: list[RecordRow]) -> AttendanceRecord:
    """The record over the ordinary summits; a first counts the organization's every summit."""
    first_attended = next((row for row in attendances if row.status == ATTENDED), None)
    ordinary = [row for row in attendances if row.kind == Summit.Kind.ORDINARY]
    attended = [row for row in ordinary if row.status == ATTENDED]
    pending = [row for row in ordinary if row.status in PENDING]
    attended_years = {row.start_date.year for row in attended}
    pending_years = {row.start_date.year for row in pending}
    runs = consecutive_runs(attended_years=attended_years, pending_years=pending_years)

    current_run = next(
        (run for run in runs if run.last_year == max(attended_years, default=None)), None
    )
    latest = attended[-1].start_date if attended else None
    upcoming = [row for row in pending if latest is None or row.start_date > latest]
    next_pending = upcoming[0] if upcoming else None
    run_if_next_attended = None
    if next_pending is not None:
        year = next_pending.start_date.year
        hypothetical = consecutive_runs(
            attended_years=attended_years | {year}, pending_years=pending_years
        )
        run_if_next_attended = next(
            run.years for run in hypothetical if run.first_year <= year <= run.last_year
        )

    return AttendanceRecord(
        organization=organization.slug,
        organization_name=str(organization),
        attended=[
            _recorded(
                row,
                first=first_label(
                    complete_from=organization.records_complete_from,
                    start_date=row.start_date,
                    has_earlier=row is not first_attended,
                ),
            )
            for row in attended
        ],
        pending=[_recorded(row) for row in pending],
        longest_run=max(runs, key=lambda run: (run.years, run.last_year), default=None),
        current_run=current_run,
        next_pending=_recorded(next_pending) if next_pending is not None else None,
        run_if_next_attended=run_if_next_attended,
    )


def consecutive_runs(*, attended_years: Iterable[int], pending_years: Iterable[int]) -> list[Run]:
    """Runs of consecutive calendar years with an attendance, oldest first.

    A year with only pending records neither extends nor breaks a run; any other year without an
    attendance (no summit, or one not attended) ends it.
    """
    attended = set(attended_years)
    transparent = set(pending_years) - attended
    runs: list[Run] = []
    if not attended:
        return runs
    first: int | None = None
    last = count = 0
    for year in range(min(attended), max(attended) + 1):
        if year in attended:
            first = year if first is None else first
            last = year
            count += 1
        elif year not in transparent and first is not None:
            runs.append(Run(years=count, first_year=first, last_year=last))
            first = None
            count = 0
    if first is not None:
        runs.append(Run(years=count, first_year=first, last_year=last))
    return runs


def _recorded(row: RecordRow, *, first: str | None = None) -> RecordedSummit:
    return RecordedSummit(
        slug=row.slug,
        name=row.name,
        year=row.start_date.year,
        start_date=iso_partial_date(row.start_date, row.date_precision),
        dates=display_date_range(row.start_date, row.end_date, row.date_precision),
        status=row.status,
        first=first,
    )
