"""Who a record is about: the countries it names, mapped to ISO codes, and its leader, matched
to one the tracker holds or created, each read once per import."""

import datetime as dt
import hashlib

from django.utils.text import slugify

from summits.countries import country_for_code
from summits.historyatstate import people
from summits.historyatstate.countries import country_code
from summits.historyatstate.records import Record
from summits.historyatstate.report import ImportReport
from summits.historyatstate.writing import save_checked, unique_slug
from summits.models import Country, Leader, LeaderName

UNITED_STATES = "US"


class Leaders:
    """The countries and leaders of one import, read (or created) once each."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        self.countries: dict[str, Country] = {}
        self.leaders: dict[int, list[people.KnownLeader]] = {}

    # Countries -----------------------------------------------------------------------------

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

    # Leaders -------------------------------------------------------------------------------

    def leader(
        self, record: Record, country: Country, start: dt.date, end: dt.date, where: str
    ) -> tuple[Leader, tuple[int, int]] | None:
        """The leader the record names for `country`, and where the name lies in its text: the
        one leader of the tracker it can be, or a new one. None for a record that names no
        leader, or one that could be several (reported as ambiguous)."""
        found = _person(record)
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
        return self.created_leader(person, country, known), span

    def created_leader(
        self, person: people.Person, country: Country, known: list[people.KnownLeader]
    ) -> Leader:
        """A leader the tracker did not have, known from now on to this import."""
        leader = Leader(
            slug=unique_slug(Leader, _slug_of(person.name), 100),
            name=person.name,
            country=country,
            office=person.office or "Not stated",
        )
        save_checked(leader)
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
        return leader

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
        save_checked(LeaderName(leader=leader, name=name))
        self.report.other_names_added += 1
        for index, entry in enumerate(known):
            if entry.pk == leader.pk:
                names = (*entry.names, people.name_words(name))
                known[index] = people.KnownLeader(
                    entry.pk, names, entry.office, entry.term_start, entry.term_end
                )


def _person(record: Record) -> tuple[people.Person, tuple[int, int]] | None:
    """The record's leader, and where the name lies in the record's text: the first visitor
    named, or the president who travelled (a secretary of state leads nothing)."""
    if record.dataset == "visits":
        named = people.persons(record.fields["visitor"])
        if not named or not named[0].name:
            return None
        at = record.span("visitor")[0] + record.fields["visitor"].find(named[0].name)
        return named[0], (at, at + len(named[0].name))
    if record.role != "president" or not record.fields["name"]:
        return None
    return people.Person(office="President", name=record.fields["name"]), record.span("name")


def _slug_of(name: str) -> str:
    """A slug for a name; for one in a script slugify drops ("Жуков"), its digest."""
    return slugify(name) or f"leader-{hashlib.sha256(name.encode()).hexdigest()[:10]}"
