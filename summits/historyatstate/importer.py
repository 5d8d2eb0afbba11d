"""Importing a file of the visits or travels dataset: every record kept as a source, the summits
its text names found or created, the attendances it shows added or confirmed, each fact citing
the record's own words.

The import adds and never overwrites. An attendance the tracker has already gains the record's
citation and an "attended" step; a record that disagrees with the tracker (a summit of the same
series on dates the record does not overlap, another leader, a timeline that says the country
stayed away) is reported as a conflict and changes nothing. Summits created by the import cover
the dates of every record that names them. A file is imported whole or not at all; a dry run
does all of it and rolls it back, so its report is exactly what a real run would do. Importing a
file twice changes nothing the second time.
"""

import datetime as dt
from collections.abc import Callable
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction

from summits.historyatstate import meetings
from summits.historyatstate.attendances import Attendances
from summits.historyatstate.leaders import Leaders
from summits.historyatstate.matching import Summits
from summits.historyatstate.records import Record, RecordsRefused, read_records
from summits.historyatstate.report import ImportReport
from summits.historyatstate.sources import record_source, unusable
from summits.models import Country, Source

__all__ = ["FIRST_DAY", "ImportReport", "historyatstate_import"]

# The records start with the first presidency; none is dated more than a year ahead.
FIRST_DAY = dt.date(1789, 4, 30)
_FUTURE = dt.timedelta(days=366)


def historyatstate_import(
    source: str | IO[bytes],
    *,
    dry_run: bool = False,
    progress: Callable[[Record], None] | None = None,
) -> ImportReport:
    """Import a visits or travels file (a path or a binary file), all or nothing.

    Raises summits.historyatstate.records.RecordsRefused, naming the line, for a file that is
    not one of the datasets' two shapes; nothing is written then.
    """
    run = _Import(dry_run=dry_run)
    with transaction.atomic():
        for record in read_records(source):
            try:
                run.record(record)
            except ValidationError as error:
                # What the checks above let through and a model refuses: the whole file is.
                raise RecordsRefused(
                    record.line, f"record {record.id}: {'; '.join(error.messages)}"
                ) from error
            if progress is not None:
                progress(record)
        run.finish()
        if dry_run:
            transaction.set_rollback(True)
    return run.report


class _Import:
    """One import: each record in turn, then what is settled only once all are read."""

    def __init__(self, *, dry_run: bool) -> None:
        self.report = ImportReport(dry_run=dry_run)
        self.leaders = Leaders(self.report)
        self.summits = Summits(self.report)
        self.attendances = Attendances(self.report)

    def record(self, record: Record) -> None:
        """Import one record: kept as a source, then the summits it names and the attendance
        it shows; what cannot be placed is reported."""
        self.report.records += 1
        where = f"line {record.line}, {record.dataset} record {record.id}"
        period = self.admitted(record, where)
        if period is None:
            return
        source = record_source(record, where=where, report=self.report)
        if source is None:
            return
        start, end = period
        offset = record.span("description" if record.dataset == "visits" else "remarks")[0]
        found = meetings.mentions(record.description)
        phrase = None
        if not found and record.dataset == "visits":
            phrase = meetings.visit_phrase(record.description)
        # Mapped for every record, so that the report lists every slug it could not map.
        attendee = self.leaders.attendee(record)
        if not found and phrase is None:
            self.report.about_no_summit += 1
            return
        if attendee is None:
            self.report.unplaced.append(f"{where}: its country is not mapped to ISO 3166.")
            return
        if phrase is not None:
            span = (offset + phrase[0], offset + phrase[1])
            self.visit(record, source, attendee, span, start, end, where)
            return
        self.report.about_a_summit += 1
        self.summits_named(record, source, attendee, found, offset, start, end, where)

    def admitted(self, record: Record, where: str) -> tuple[dt.date, dt.date] | None:
        """The record's first and last days, if its dates and values can be imported; None,
        reported as not placed, if they cannot."""
        start, end = record.date("start-date"), record.date("end-date")
        if start is not None and record.fields["end-date"] == "":
            end = start
        if start is None or end is None or end < start:
            self.report.unplaced.append(f"{where}: its dates cannot be read as a period.")
            return None
        latest = dt.date.today() + _FUTURE
        if start < FIRST_DAY or end > latest:
            self.report.unplaced.append(
                f"{where}: its dates lie outside {FIRST_DAY} to {latest}, the records' span."
            )
            return None
        problem = unusable(record)
        if problem is not None:
            self.report.unplaced.append(f"{where}: {problem}")
            return None
        return start, end

    def visit(
        self,
        record: Record,
        source: Source,
        attendee: Country,
        span: tuple[int, int],
        start: dt.date,
        end: dt.date,
        where: str,
    ) -> None:
        """A visit the record calls bilateral: an attendance of the bilateral summit the
        tracker holds on its dates, if there is one."""
        summit = self.summits.bilateral_summit(start, end)
        if summit is None:
            self.report.visits_without_summit += 1
            return
        self.report.about_a_summit += 1
        self.report.summits_matched.add(summit.pk)
        leader = self.leaders.leader(record, attendee, start, end, where)
        self.attendances.attend(
            record, source, summit, attendee, leader, span, guest=False, where=where
        )

    def summits_named(
        self,
        record: Record,
        source: Source,
        attendee: Country,
        found: list[meetings.Mention],
        offset: int,
        start: dt.date,
        end: dt.date,
        where: str,
    ) -> None:
        """An attendance of each summit the record names, citing the sentence that names it."""
        host = self.leaders.host(record)
        leader, resolved = None, False
        for mention in _first_of_each_summit(found):
            span = (offset + mention.sentence[0], offset + mention.sentence[1])
            summit = self.summits.summit(record, source, mention, span, start, end, host, where)
            if summit is None:
                continue
            # Only for a record that names a summit: an ambiguous leader is reported once.
            if not resolved:
                leader, resolved = self.leaders.leader(record, attendee, start, end, where), True
            self.attendances.attend(
                record, source, summit, attendee, leader, span, guest=mention.guest, where=where
            )

    def finish(self) -> None:
        """Refresh the status of every attendance whose timeline grew, then date the summits
        this import created."""
        self.attendances.refresh_statuses()
        self.summits.date_created()


def _first_of_each_summit(found: list[meetings.Mention]) -> list[meetings.Mention]:
    """One mention per summit a record names: a text that names NATO's summit five thousand
    times cites it once."""
    seen: set[tuple[str, bool]] = set()
    unique = []
    for mention in found:
        key = (mention.series.slug, mention.extraordinary)
        if key not in seen:
            seen.add(key)
            unique.append(mention)
    return unique
