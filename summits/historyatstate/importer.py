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
import hashlib
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.text import slugify

from summits import validators
from summits.countries import country_for_code
from summits.dates import DatePrecision, last_day
from summits.evidence import text_digest
from summits.historyatstate import meetings, people
from summits.historyatstate.countries import country_code
from summits.historyatstate.records import PUBLISHER, Record, RecordsRefused, read_records
from summits.models import (
    Attendance,
    AttendanceRole,
    AttendanceStatus,
    Citation,
    CitationBasis,
    Country,
    Leader,
    LeaderName,
    Organization,
    Source,
    StatusChange,
    Summit,
    SummitKind,
    SummitStatus,
)
from summits.services import attendances_refresh_status_by_id

UNITED_STATES = "US"
# The records start with the first presidency; none is dated more than a year ahead.
FIRST_DAY = dt.date(1789, 4, 30)
_FUTURE = dt.timedelta(days=366)
# A summit this import creates spans at most this much, however many records name it.
_LONGEST_SUMMIT = dt.timedelta(days=21)
# A summit the tracker holds whose dates miss a record's by at most this much is taken to be the
# one the record means, on other dates: a conflict, never a second summit.
_CONFLICT_WINDOW = dt.timedelta(days=30)
# Records naming a summit this import created join it when their dates are this close: leaders
# arrive and leave on different days.
_JOIN_WINDOW = dt.timedelta(days=7)
# Statuses after which a record of attendance disagrees with the timeline.
_STAYED_AWAY = frozenset(
    {AttendanceStatus.DECLINED, AttendanceStatus.DID_NOT_ATTEND, AttendanceStatus.WITHDRAWN}
)
# How many problems of each kind a report lists; the counts cover all of them.
_LISTED = 50


@dataclass
class ImportReport:
    """What an import did, or (dry run) would do."""

    dry_run: bool = False
    records: int = 0
    about_a_summit: int = 0
    sources_created: int = 0
    summits_matched: set[int] = field(default_factory=set)
    summits_created: set[int] = field(default_factory=set)
    attendances_added: set[int] = field(default_factory=set)
    attendances_confirmed: set[int] = field(default_factory=set)
    leaders_matched: set[int] = field(default_factory=set)
    leaders_created: set[int] = field(default_factory=set)
    about_no_summit: int = 0
    visits_without_summit: int = 0
    steps_added: int = 0
    citations_added: int = 0
    unmapped_countries: Counter[str] = field(default_factory=Counter)
    other_names_added: int = 0
    conflicts: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "records read": self.records,
            "records about a summit": self.about_a_summit,
            "records about no summit": self.about_no_summit,
            "visits without a summit": self.visits_without_summit,
            "records not placed": len(self.unplaced),
            "sources created": self.sources_created,
            "summits matched": len(self.summits_matched),
            "summits created": len(self.summits_created),
            "attendances added": len(self.attendances_added),
            "attendances confirmed": len(self.attendances_confirmed),
            "leaders matched": len(self.leaders_matched),
            "leaders created": len(self.leaders_created),
            "attended steps added": self.steps_added,
            "citations added": self.citations_added,
            "unmapped countries": len(self.unmapped_countries),
            "ambiguous leaders": len(self.ambiguous),
            "conflicts": len(self.conflicts),
        }

    @property
    def changed(self) -> bool:
        """Whether the import wrote (or, dry, would write) anything at all."""
        return bool(
            self.sources_created
            or self.summits_created
            or self.attendances_added
            or self.leaders_created
            or self.steps_added
            or self.citations_added
            or self.other_names_added
        )

    def lines(self) -> list[str]:
        """The report as a person reads it: the counts, then what could not be placed."""
        out = [f"{name}: {count:,}" for name, count in self.counts().items()]
        sections = [
            (
                "Unmapped countries",
                [f"{slug} ({count} records)" for slug, count in self.unmapped_countries.items()],
            ),
            ("Ambiguous leaders", self.ambiguous),
            ("Conflicts", self.conflicts),
            ("Records not placed", self.unplaced),
        ]
        for title, items in sections:
            if items:
                out.append(f"{title}:")
                out.extend(f"  {item}" for item in items[:_LISTED])
                if len(items) > _LISTED:
                    out.append(f"  ... and {len(items) - _LISTED:,} more")
        if not self.changed:
            out.append("Nothing new: the tracker already held everything these records say.")
        if self.dry_run:
            out.append("Dry run: nothing was written.")
        return out


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


@dataclass
class _Held:
    """A summit of a series, as this import sees it: held before, or created by this import."""

    summit: Summit
    start: dt.date
    end: dt.date
    created: bool = False
    # For a created summit: the records that give its first and last days, and its cities.
    first: tuple[Source, Record] | None = None
    last: tuple[Source, Record] | None = None
    cities: list[str] = field(default_factory=list)

    def overlaps(self, start: dt.date, end: dt.date, slack: dt.timedelta) -> bool:
        # In day numbers: a summit an editor dated 0001-01-01 less 30 days is no date at all.
        return (
            self.start.toordinal() - slack.days <= end.toordinal()
            and start.toordinal() <= self.end.toordinal() + slack.days
        )


class _Import:
    def __init__(self, *, dry_run: bool) -> None:
        self.report = ImportReport(dry_run=dry_run)
        self.countries: dict[str, Country] = {}
        self.organizations: dict[str, Organization] = {}
        self.held: dict[tuple[int, str], list[_Held]] = {}
        self.leaders: dict[int, list[people.KnownLeader]] = {}
        self.bilateral: list[_Held] | None = None
        # Attendances whose timelines gained a step: their status is refreshed at the end.
        self.refresh: set[int] = set()

    # Records -----------------------------------------------------------------------------

    def record(self, record: Record) -> None:
        self.report.records += 1
        where = f"line {record.line}, {record.dataset} record {record.id}"
        start, end = record.date("start-date"), record.date("end-date")
        if start is not None and record.fields["end-date"] == "":
            end = start
        if start is None or end is None or end < start:
            self.report.unplaced.append(f"{where}: its dates cannot be read as a period.")
            return
        latest = dt.date.today() + _FUTURE
        if start < FIRST_DAY or end > latest:
            self.report.unplaced.append(
                f"{where}: its dates lie outside {FIRST_DAY} to {latest}, the records' span."
            )
            return
        problem = _unusable(record)
        if problem is not None:
            self.report.unplaced.append(f"{where}: {problem}")
            return
        source = self.source(record, where)
        if source is None:
            return
        offset = record.span("description" if record.dataset == "visits" else "remarks")[0]
        found = meetings.mentions(record.description)
        phrase = None
        if not found and record.dataset == "visits":
            phrase = meetings.visit_phrase(record.description)
        # Mapped for every record, so that the report lists every slug it could not map.
        attendee = self.attendee(record)
        if not found and phrase is None:
            self.report.about_no_summit += 1
            return
        if attendee is None:
            self.report.unplaced.append(f"{where}: its country is not mapped to ISO 3166.")
            return
        if phrase is not None:
            summit = self.bilateral_summit(start, end)
            if summit is None:
                self.report.visits_without_summit += 1
                return
            self.report.about_a_summit += 1
            self.report.summits_matched.add(summit.pk)
            leader = self.leader(record, attendee, start, end, where)
            span = (offset + phrase[0], offset + phrase[1])
            self.attend(record, source, summit, attendee, leader, span, guest=False, where=where)
            return
        self.report.about_a_summit += 1
        host = self.host(record)
        leader, resolved = None, False
        for mention in _first_of_each_summit(found):
            span = (offset + mention.sentence[0], offset + mention.sentence[1])
            summit = self.summit(record, source, mention, span, start, end, host, where)
            if summit is None:
                continue
            if not resolved:
                leader, resolved = self.leader(record, attendee, start, end, where), True
            self.attend(
                record, source, summit, attendee, leader, span, guest=mention.guest, where=where
            )

    def source(self, record: Record, where: str) -> Source | None:
        """The record's source: created, or the one an earlier import created."""
        text = record.text
        held = Source.objects.filter(key=record.key).first()
        if held is not None:
            if held.sha256 != text_digest(text):
                self.report.unplaced.append(
                    f"{where}: source {record.key} holds another text of this record (the "
                    "dataset has changed it since); the record is left out."
                )
                return None
            return held
        # "Not empty" lets SQLite use the partial unique index on texts' digests.
        holder = (
            Source.objects.filter(sha256=text_digest(text))
            .exclude(sha256="")
            .values_list("key", flat=True)
        )
        if holder.exists():
            self.report.unplaced.append(
                f"{where}: source {holder.first()} holds this record's text already; the record "
                "is left out."
            )
            return None
        source = Source(
            key=record.key,
            title=record.title[:300],
            publisher=PUBLISHER,
            language="en",
            url=record.url,
            text=text,
            note=f"The {record.dataset} dataset of the Office of the Historian, record "
            f"{record.id}; public domain (CC0).",
        )
        source.full_clean(validate_constraints=False)
        source.save()
        self.report.sources_created += 1
        return source

    # Countries and leaders -----------------------------------------------------------------

    def country(self, slug: str, label: str) -> Country | None:
        code = country_code(slug, label)
        if code is None:
            self.report.unmapped_countries[slug or "(none)"] += 1
            return None
        return self.country_coded(code)

    def country_coded(self, code: str) -> Country:
        """The country with this ISO code, read (or created) once per import."""
        if code not in self.countries:
            self.countries[code] = country_for_code(code)
        return self.countries[code]

    def attendee(self, record: Record) -> Country | None:
        """Who attended: the visitor's country, or (travels) the United States."""
        if record.dataset == "visits":
            return self.country(record.place_slug, record.fields["from"])
        return self.country_coded(UNITED_STATES)

    def host(self, record: Record) -> Country | None:
        """Where a summit the record names took place: the United States for a visit to it,
        the trip's country for a trip."""
        if record.dataset == "visits":
            return self.country_coded(UNITED_STATES)
        return self.country(record.place_slug, record.fields["country"])

    def person(self, record: Record) -> tuple[people.Person, tuple[int, int]] | None:
        """The record's leader, and where the name lies in the record's text: the first
        visitor named, or the president who travelled (a secretary of state leads nothing)."""
        if record.dataset == "visits":
            named = people.persons(record.fields["visitor"])
            if not named or not named[0].name:
                return None
            at = record.span("visitor")[0] + record.fields["visitor"].find(named[0].name)
            return named[0], (at, at + len(named[0].name))
        if record.role != "president" or not record.fields["name"]:
            return None
        return people.Person(office="President", name=record.fields["name"]), record.span("name")

    def leader(
        self, record: Record, country: Country, start: dt.date, end: dt.date, where: str
    ) -> tuple[Leader, tuple[int, int]] | None:
        found = self.person(record)
        if found is None:
            return None
        person, span = found
        known = self.known_leaders(country)
        matches = people.candidates(known, person, start, end)
        if len(matches) > 1:
            names = ", ".join(
                Leader.objects.filter(pk__in=[match.pk for match in matches])
                .order_by("slug")
                .values_list("slug", flat=True)
            )
            self.report.ambiguous.append(
                f"{where}: {person.name!r} could be any of {names}; the attendance is recorded "
                "without a leader."
            )
            return None
        if matches:
            leader = Leader.objects.get(pk=matches[0].pk)
            if leader.pk not in self.report.leaders_created:
                self.report.leaders_matched.add(leader.pk)
            self.other_name(leader, person.name, known)
            return leader, span
        leader = Leader(
            slug=_unique_slug(Leader, _slug_of(person.name), 100),
            name=person.name,
            country=country,
            office=person.office or "Not stated",
        )
        leader.full_clean(validate_constraints=False)
        leader.save()
        self.report.leaders_created.add(leader.pk)
        known.append(
            people.KnownLeader(
                pk=leader.pk,
                names=(people.name_words(leader.name),),
                office=leader.office,
                term_start=None,
                term_end=None,
            )
        )
        return leader, span

    def known_leaders(self, country: Country) -> list[people.KnownLeader]:
        if country.pk not in self.leaders:
            names: dict[int, list[str]] = {}
            for leader_id, name in LeaderName.objects.filter(leader__country=country).values_list(
                "leader_id", "name"
            ):
                names.setdefault(leader_id, []).append(name)
            self.leaders[country.pk] = [
                people.KnownLeader(
                    pk=leader.pk,
                    names=tuple(
                        people.name_words(name) for name in [leader.name, *names.get(leader.pk, [])]
                    ),
                    office=leader.office,
                    term_start=leader.term_start,
                    term_end=leader.term_end,
                )
                for leader in Leader.objects.filter(country=country)
            ]
        return self.leaders[country.pk]

    def other_name(self, leader: Leader, name: str, known: list[people.KnownLeader]) -> None:
        """Keep a spelling the tracker did not have, so later imports and searches find it."""
        if name == leader.name or leader.other_names.filter(name=name, language="").exists():
            return
        other = LeaderName(leader=leader, name=name)
        other.full_clean(validate_constraints=False)
        other.save()
        self.report.other_names_added += 1
        for index, entry in enumerate(known):
            if entry.pk == leader.pk:
                names = (*entry.names, people.name_words(name))
                known[index] = people.KnownLeader(
                    entry.pk, names, entry.office, entry.term_start, entry.term_end
                )

    # Summits -------------------------------------------------------------------------------

    def organization(self, series: meetings.Series) -> Organization:
        if series.slug not in self.organizations:
            organization = Organization.objects.filter(slug=series.slug).first()
            if organization is None:
                organization = Organization(
                    slug=series.slug, name=series.name, short_name=series.short_name
                )
                organization.full_clean(validate_constraints=False)
                organization.save()
            self.organizations[series.slug] = organization
        return self.organizations[series.slug]

    def summits_of(self, organization: Organization, kind: str) -> list[_Held]:
        key = (organization.pk, kind)
        if key not in self.held:
            self.held[key] = [
                _Held(summit, *_period(summit))
                for summit in Summit.objects.filter(organization=organization, kind=kind)
            ]
        return self.held[key]

    def summit(
        self,
        record: Record,
        source: Source,
        mention: meetings.Mention,
        span: tuple[int, int],
        start: dt.date,
        end: dt.date,
        host: Country | None,
        where: str,
    ) -> Summit | None:
        organization = self.organization(mention.series)
        kind = SummitKind.EXTRAORDINARY if mention.extraordinary else SummitKind.ORDINARY
        held = self.summits_of(organization, kind)
        joined = [
            entry
            for entry in held
            if entry.created
            and entry.overlaps(start, end, _JOIN_WINDOW)
            and max(end, entry.end) - min(start, entry.start) <= _LONGEST_SUMMIT
        ]
        if joined:
            entry = joined[0]
            self.join(entry, record, source, mention, start, end)
            return entry.summit
        overlapping = [
            entry
            for entry in held
            if not entry.created and entry.overlaps(start, end, dt.timedelta(0))
        ]
        said = f"{mention.series.summit_name} from {start} to {end}"
        if len(overlapping) > 1:
            slugs = ", ".join(entry.summit.slug for entry in overlapping)
            self.report.conflicts.append(f"{where}: {said} could be any of {slugs}.")
            return None
        if overlapping:
            self.report.summits_matched.add(overlapping[0].summit.pk)
            return overlapping[0].summit
        near = [
            entry
            for entry in held
            if not entry.created and entry.overlaps(start, end, _CONFLICT_WINDOW)
        ]
        if near:
            summit = near[0].summit
            self.report.conflicts.append(
                f"{where}: says {said}; the tracker has {summit.slug} on {summit.dates}. "
                "Nothing was changed."
            )
            return None
        entry = self.create_summit(record, source, mention, span, organization, kind, host)
        entry.start, entry.end = start, end
        entry.first = entry.last = (source, record)
        held.append(entry)
        return entry.summit

    def create_summit(
        self,
        record: Record,
        source: Source,
        mention: meetings.Mention,
        span: tuple[int, int],
        organization: Organization,
        kind: str,
        host: Country | None,
    ) -> _Held:
        start = record.date("start-date")
        end = record.date("end-date") or start
        city, city_span = self.city(record, mention, span)
        name = mention.series.name_for(mention.said)
        if kind == SummitKind.EXTRAORDINARY:
            name = name.replace("Summit", "Extraordinary Summit", 1)
        name = f"{name} {start.year}" + (f", {city}" if city else "")
        # The slug names the first place only: "nato-2009-strasbourg", "apec-2023-san-francisco".
        place = city.split(",")[0]
        extraordinary = "extraordinary" if kind == SummitKind.EXTRAORDINARY else ""
        base = slugify(f"{organization.slug} {start.year} {extraordinary} {place}")
        summit = Summit(
            slug=_unique_slug(Summit, base.strip("-")[:90], 100),
            name=name[:200],
            organization=organization,
            kind=kind,
            status=SummitStatus.HELD,
            host_country=host,
            city=city[:100],
            start_date=start,
            end_date=end,
            date_precision=DatePrecision.DAY,
        )
        summit.full_clean(validate_constraints=False)
        summit.save()
        self.report.summits_created.add(summit.pk)
        self.cite(source, summit, "organization", span)
        self.cite(source, summit, "status", span, basis=CitationBasis.IMPLIED)
        if kind == SummitKind.EXTRAORDINARY:
            self.cite(source, summit, "kind", span)
        if host is not None:
            if record.dataset == "visits":
                self.cite(source, summit, "host_country", span, basis=CitationBasis.IMPLIED)
            else:
                self.cite(source, summit, "host_country", record.span("country"))
        if city_span is not None:
            # A trip's locale says where the President went, which implies where it met.
            basis = CitationBasis.IMPLIED if record.dataset == "travels" else CitationBasis.STATED
            self.cite(source, summit, "city", city_span, basis=basis)
        return _Held(summit, start, end, created=True, cities=[city] if city else [])

    def city(
        self, record: Record, mention: meetings.Mention, span: tuple[int, int]
    ) -> tuple[str, tuple[int, int] | None]:
        if record.dataset == "travels" and record.fields["locale"]:
            return record.fields["locale"], record.span("locale")
        if mention.city:
            return mention.city, span
        return "", None

    def join(
        self,
        entry: _Held,
        record: Record,
        source: Source,
        mention: meetings.Mention,
        start: dt.date,
        end: dt.date,
    ) -> None:
        """A further record of a summit this import created: its dates and city count too."""
        if start < entry.start:
            entry.start, entry.first = start, (source, record)
        if end > entry.end:
            entry.end, entry.last = end, (source, record)
        city, _ = self.city(record, mention, (0, 0))
        if city and city not in entry.cities:
            entry.cities.append(city)

    def bilateral_summit(self, start: dt.date, end: dt.date) -> Summit | None:
        """The bilateral summit with the United States on the visit's dates, if the tracker
        holds exactly one."""
        if self.bilateral is None:
            with_us = Q(host_country__code=UNITED_STATES) | Q(
                attendances__country__code=UNITED_STATES
            )
            self.bilateral = [
                _Held(summit, *_period(summit))
                for summit in Summit.objects.filter(with_us, kind=SummitKind.BILATERAL).distinct()
            ]
        matches = [entry for entry in self.bilateral if entry.overlaps(start, end, dt.timedelta(0))]
        return matches[0].summit if len(matches) == 1 else None

    # Attendances ---------------------------------------------------------------------------

    def attend(
        self,
        record: Record,
        source: Source,
        summit: Summit,
        country: Country,
        leader: tuple[Leader, tuple[int, int]] | None,
        span: tuple[int, int],
        *,
        guest: bool,
        where: str,
    ) -> None:
        attendance = Attendance.objects.filter(summit=summit, country=country).first()
        person, name_span = leader if leader is not None else (None, None)
        if attendance is None:
            attendance = Attendance(
                summit=summit,
                country=country,
                leader=person,
                role=AttendanceRole.GUEST if guest else None,
            )
            attendance.full_clean(validate_constraints=False)
            attendance.save()
            self.report.attendances_added.add(attendance.pk)
            if record.dataset == "visits":
                self.cite(source, attendance, "country", record.span("from"))
            if guest:
                self.cite(source, attendance, "role", span)
        elif attendance.pk not in self.report.attendances_added:
            self.report.attendances_confirmed.add(attendance.pk)
            if person is not None and attendance.leader_id not in (None, person.pk):
                self.report.conflicts.append(
                    f"{where}: names {person.name} for {country.name} at {summit.slug}; the "
                    f"tracker has {attendance.leader.name}. Nothing was changed."
                )
                person = None
            if guest and attendance.role not in (None, AttendanceRole.GUEST):
                self.report.conflicts.append(
                    f"{where}: {country.name} was an invited guest at {summit.slug}; the "
                    f"tracker says {attendance.role}. The role was left as it is."
                )
        if person is not None and attendance.leader_id == person.pk:
            self.cite(source, attendance, "leader", name_span)
        self.attended(source, attendance, record, span, where)

    def attended(
        self,
        source: Source,
        attendance: Attendance,
        record: Record,
        span: tuple[int, int],
        where: str,
    ) -> None:
        """Give the timeline an "attended" step citing the record, or cite the one it has."""
        step = (
            StatusChange.objects.filter(attendance=attendance, status=AttendanceStatus.ATTENDED)
            .order_by("as_of", "id")
            .first()
        )
        if step is not None:
            self.cite(source, step, "status", span)
            return
        if attendance.status in _STAYED_AWAY:
            self.report.conflicts.append(
                f"{where}: says {attendance.country.name} attended {attendance.summit.slug}; "
                f"the tracker's timeline ends {attendance.status}. Nothing was changed."
            )
            return
        step = StatusChange(
            attendance=attendance,
            status=AttendanceStatus.ATTENDED,
            as_of=record.date("start-date"),
            as_of_precision=DatePrecision.DAY,
        )
        step.full_clean(validate_constraints=False)
        step.save()
        self.report.steps_added += 1
        self.refresh.add(attendance.pk)
        self.cite(source, step, "status", span)

    def cite(
        self,
        source: Source,
        target: Summit | Attendance | StatusChange,
        field_name: str,
        span: tuple[int, int],
        *,
        basis: str = CitationBasis.STATED,
    ) -> None:
        kind = {Summit: "summit", Attendance: "attendance", StatusChange: "status_change"}[
            type(target)
        ]
        start, end = span
        if start == end:
            return  # the record leaves the field empty: there is nothing to quote
        if Citation.objects.filter(
            source=source, field=field_name, start=start, **{kind: target}
        ).exists():
            return
        citation = Citation(
            source=source,
            field=field_name,
            quote=source.text[start:end],
            start=start,
            end=end,
            basis=basis,
            **{kind: target},
        )
        citation.full_clean(validate_constraints=False)
        citation.save()
        self.report.citations_added += 1

    # The end -------------------------------------------------------------------------------

    def finish(self) -> None:
        """Refresh the status of every attendance whose timeline grew, and give each summit
        this import created the dates of all its records, citing the records of its first and
        last days, and every city they name."""
        attendances_refresh_status_by_id(ids=self.refresh)
        for entries in self.held.values():
            for entry in entries:
                if not entry.created:
                    continue
                summit = entry.summit
                summit.start_date, summit.end_date = entry.start, entry.end
                if len(entry.cities) > 1:
                    summit.city = " and ".join(entry.cities)[:100]
                summit.full_clean(validate_constraints=False)
                summit.save()
                first_source, first = entry.first
                self.cite(
                    first_source,
                    summit,
                    "start_date",
                    first.day_span("start-date"),
                    basis="implied",
                )
                last_source, last = entry.last
                self.cite(
                    last_source, summit, "end_date", last.day_span("end-date"), basis="implied"
                )


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


def _unusable(record: Record) -> str | None:
    """Why a record's values cannot be stored as they are, if they cannot: a control character
    (which XML 1.0 allows from U+007F to U+009F) or a name longer than a leader's name may be."""
    for name, value in record.fields.items():
        try:
            validators.single_line(value)
        except ValidationError as error:
            return f"its {name}: {error.messages[0]}"
        invisible = next((char for char in value if unicodedata.category(char) == "Cf"), None)
        if invisible is not None:
            # Bidirectional overrides and zero-width characters make one name look like another.
            return f"its {name} holds the invisible character U+{ord(invisible):04X}."
    limits = {
        "visitor": Leader._meta.get_field("name").max_length,
        "name": Leader._meta.get_field("name").max_length,
        "locale": Summit._meta.get_field("city").max_length,
    }
    for name, longest in limits.items():
        if len(record.fields.get(name, "")) > longest:
            return f"its {name} is longer than {longest} characters."
    return None


def _period(summit: Summit) -> tuple[dt.date, dt.date]:
    """The days a summit may have taken, at its date's precision."""
    if summit.date_precision == DatePrecision.DAY:
        return summit.start_date, summit.end_date or summit.start_date
    return summit.start_date, last_day(summit.start_date, summit.date_precision)


def _unique_slug(model, base: str, max_length: int) -> str:
    """`base`, or `base-2`, `base-3`...: the first no row has, found with one query."""
    base = base[: max_length - 8]
    taken = set(model._base_manager.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def _slug_of(name: str) -> str:
    """A slug for a name; for one in a script slugify drops ("Жуков"), its digest."""
    return slugify(name) or f"leader-{hashlib.sha256(name.encode()).hexdigest()[:10]}"
