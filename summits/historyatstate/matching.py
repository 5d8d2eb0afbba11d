"""The summits a record names: matched to one the tracker holds on the record's dates, joined to
one this import created, or created; a record whose dates miss the tracker's by a little is a
conflict, never a second summit."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.text import slugify

from summits.dates import DatePrecision, last_day
from summits.historyatstate import meetings
from summits.historyatstate.leaders import UNITED_STATES
from summits.historyatstate.records import Record
from summits.historyatstate.report import ImportReport
from summits.historyatstate.writing import cite, save_checked, unique_slug
from summits.models import (
    CitationBasis,
    Country,
    Organization,
    Source,
    Summit,
    SummitKind,
    SummitStatus,
)

# A summit this import creates spans at most this much, however many records name it.
_LONGEST_SUMMIT = dt.timedelta(days=21)
# A summit the tracker holds whose dates miss a record's by at most this much is taken to be the
# one the record means, on other dates: a conflict, never a second summit.
_CONFLICT_WINDOW = dt.timedelta(days=30)
# Records naming a summit this import created join it when their dates are this close: leaders
# arrive and leave on different days.
_JOIN_WINDOW = dt.timedelta(days=7)


@dataclass
class Held:
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


class Summits:
    """The summits of one import: those the tracker holds, read once per series, and those the
    import creates."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.organizations: dict[str, Organization] = {}
        self.held: dict[tuple[int, str], list[Held]] = {}
        self.bilateral: list[Held] | None = None

    def organization(self, series: meetings.Series) -> Organization:
        if series.slug not in self.organizations:
            organization = Organization.objects.filter(slug=series.slug).first()
            if organization is None:
                organization = Organization(
                    slug=series.slug, name=series.name, short_name=series.short_name
                )
                save_checked(organization)
            self.organizations[series.slug] = organization
        return self.organizations[series.slug]

    def summits_of(self, organization: Organization, kind: str) -> list[Held]:
        key = (organization.pk, kind)
        if key not in self.held:
            self.held[key] = [
                Held(summit, *_period(summit))
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
        """The summit `mention` names on the record's dates: one this import created, joined;
        the one the tracker holds; or a new one. None for a conflict, reported."""
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
    ) -> Held:
        start = record.date("start-date")
        assert start is not None  # the import places only records with dates
        end = record.date("end-date") or start
        city, city_span = _city(record, mention, span)
        name = mention.series.name_for(mention.said)
        if kind == SummitKind.EXTRAORDINARY:
            name = name.replace("Summit", "Extraordinary Summit", 1)
        name = f"{name} {start.year}" + (f", {city}" if city else "")
        # The slug names the first place only: "nato-2009-strasbourg", "apec-2023-san-francisco".
        place = city.split(",")[0]
        extraordinary = "extraordinary" if kind == SummitKind.EXTRAORDINARY else ""
        base = slugify(f"{organization.slug} {start.year} {extraordinary} {place}")
        summit = Summit(
            slug=unique_slug(Summit, base.strip("-")[:90], 100),
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
        save_checked(summit)
        self.report.summits_created.add(summit.pk)
        self.cite_created(record, source, summit, span, host, city_span)
        return Held(summit, start, end, created=True, cities=[city] if city else [])

    def cite_created(
        self,
        record: Record,
        source: Source,
        summit: Summit,
        span: tuple[int, int],
        host: Country | None,
        city_span: tuple[int, int] | None,
    ) -> None:
        """Cite the record for what it says of a summit it made the import create."""
        cite(self.report, source, summit, "organization", span)
        cite(self.report, source, summit, "status", span, basis=CitationBasis.IMPLIED)
        if summit.kind == SummitKind.EXTRAORDINARY:
            cite(self.report, source, summit, "kind", span)
        if host is not None:
            if record.dataset == "visits":
                cite(self.report, source, summit, "host_country", span, basis=CitationBasis.IMPLIED)
            else:
                cite(self.report, source, summit, "host_country", record.span("country"))
        if city_span is not None:
            # A trip's locale says where the President went, which implies where it met.
            basis = CitationBasis.IMPLIED if record.dataset == "travels" else CitationBasis.STATED
            cite(self.report, source, summit, "city", city_span, basis=basis)

    def join(
        self,
        entry: Held,
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
        city, _ = _city(record, mention, (0, 0))
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
                Held(summit, *_period(summit))
                for summit in Summit.objects.filter(with_us, kind=SummitKind.BILATERAL).distinct()
            ]
        matches = [entry for entry in self.bilateral if entry.overlaps(start, end, dt.timedelta(0))]
        return matches[0].summit if len(matches) == 1 else None

    def date_created(self) -> None:
        """Give each summit this import created the dates of all its records, citing the
        records of its first and last days, and every city they name."""
        for entries in self.held.values():
            for entry in entries:
                if entry.created:
                    self.date(entry)

    def date(self, entry: Held) -> None:
        summit = entry.summit
        summit.start_date, summit.end_date = entry.start, entry.end
        if len(entry.cities) > 1:
            summit.city = " and ".join(entry.cities)[:100]
        save_checked(summit)
        # Both set when the summit was created.
        assert entry.first is not None
        assert entry.last is not None
        first_source, first = entry.first
        cite(
            self.report,
            first_source,
            summit,
            "start_date",
            first.day_span("start-date"),
            basis="implied",
        )
        last_source, last = entry.last
        cite(
            self.report, last_source, summit, "end_date", last.day_span("end-date"), basis="implied"
        )


def _city(
    record: Record, mention: meetings.Mention, span: tuple[int, int]
) -> tuple[str, tuple[int, int] | None]:
    """The city a record names for a summit, and where: a trip's locale, or the place the
    sentence names."""
    if record.dataset == "travels" and record.fields["locale"]:
        return record.fields["locale"], record.span("locale")
    if mention.city:
        return mention.city, span
    return "", None


def _period(summit: Summit) -> tuple[dt.date, dt.date]:
    """The days a summit may have taken, at its date's precision."""
    if summit.date_precision == DatePrecision.DAY:
        return summit.start_date, summit.end_date or summit.start_date
    return summit.start_date, last_day(summit.start_date, summit.date_precision)
