"""The Popolo objects of the export, each built from the rows of one record (summits.popolo.reading).

IDs are the records' natural keys under the kind of record, `leader/fumio-kishida`,
`country/JP`, `organization/nato`, `summit/nato-2024-washington` (and `membership/<leader>` for a
leader's office): the same in every database and on every host, unlike ids or URLs, and unique
across the one `organizations` array that countries and organizations share.

What Popolo has no property for is in extension properties, flagged with a leading `+` as the
Popolo specification suggests (appendices/json-patterns, "Flag additional properties").
"""

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from summits.dates import iso_partial_date
from summits.languages import country_names
from summits.models import AttendanceStatus, SummitStatus

Row = dict[str, Any]
PopoloObject = dict[str, Any]
# The absolute URL of a record of the tracker: link("summit", "nato-2024-washington"); the kinds
# are leader, country, organization, summit, attendance and source_text (a source's text).
Link = Callable[[str, object], str]

TRACKER_NOTE = "Summit attendance tracker API"
COUNTRY_NAME_NOTE = "ISO 3166 (pycountry)"
TAGGED_NAME_NOTE = "multilingual"
SPELLING_NOTE = "alternative spelling"
SHORT_NAME_NOTE = "short name"
COUNTRY_CLASSIFICATION = "country"
ORGANIZATION_CLASSIFICATION = "intergovernmental organization"

# Popolo's event status code list is RFC 5545's (cancelled, confirmed, tentative) and
# Schema.org's EventStatusType (cancelled, postponed, rescheduled); neither says "held", so a
# summit that took place is confirmed, and `+summit_status` keeps the tracker's own word.
EVENT_STATUS: dict[str, str] = {
    SummitStatus.ANNOUNCED: "tentative",
    SummitStatus.SCHEDULED: "confirmed",
    SummitStatus.HELD: "confirmed",
    SummitStatus.POSTPONED: "postponed",
    SummitStatus.CANCELLED: "cancelled",
}
# An event's `attendees`: the leaders who attended, or are confirmed to attend.
ATTENDING = frozenset({AttendanceStatus.ATTENDED, AttendanceStatus.CONFIRMED})


def person_id(slug: str) -> str:
    return f"leader/{slug}"


def country_id(code: str) -> str:
    return f"country/{code}"


def organization_id(slug: str) -> str:
    return f"organization/{slug}"


def event_id(slug: str) -> str:
    return f"summit/{slug}"


def membership_id(slug: str) -> str:
    return f"membership/{slug}"


def _own_record(url: str) -> dict[str, str]:
    return {"url": url, "note": TRACKER_NOTE}


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _other_name(row: Row) -> dict[str, str]:
    """A name from an other-names table: in a language (its BCP 47 tag as `lang`, the key
    EveryPolitician's Popolo uses), or, untagged, another spelling."""
    if row["language"]:
        return {"name": row["name"], "lang": row["language"], "note": TAGGED_NAME_NOTE}
    return {"name": row["name"], "note": SPELLING_NOTE}


def person(row: Row, names: Iterable[Row], link: Link) -> PopoloObject:
    """A leader, with every other name the tracker holds."""
    return {
        "id": person_id(row["slug"]),
        "name": row["name"],
        "other_names": [_other_name(name) for name in names],
        "sources": [_own_record(link("leader", row["slug"]))],
    }


def membership(row: Row, link: Link) -> PopoloObject:
    """A leader's office, as a membership of the leader's country, with the term's dates."""
    return {
        "id": membership_id(row["slug"]),
        "label": f"{row['office']}, {row['country__name']}",
        "role": row["office"],
        "person_id": person_id(row["slug"]),
        "organization_id": country_id(row["country__code"]),
        "start_date": _iso(row["term_start"]),
        "end_date": _iso(row["term_end"]),
        "sources": [_own_record(link("leader", row["slug"]))],
    }


def country(row: Row, link: Link) -> PopoloObject:
    """A country, identified by its ISO 3166 code, named in every language pycountry knows."""
    code = row["code"]
    scheme = "ISO 3166-1 alpha-2" if len(code) == 2 else "ISO 3166-3 alpha-4"
    return {
        "id": country_id(code),
        "name": row["name"],
        "classification": COUNTRY_CLASSIFICATION,
        "identifiers": [{"identifier": code, "scheme": scheme}],
        "other_names": [
            {"name": name, "lang": tag, "note": COUNTRY_NAME_NOTE}
            for tag, name in country_names(code).items()
        ],
        "sources": [_own_record(link("country", code))],
    }


def organization(row: Row, names: Iterable[Row], link: Link) -> PopoloObject:
    """An organization that holds summits, its short name first among its other names."""
    other_names = (
        [{"name": row["short_name"], "note": SHORT_NAME_NOTE}] if row["short_name"] else []
    )
    return {
        "id": organization_id(row["slug"]),
        "name": row["name"],
        "classification": ORGANIZATION_CLASSIFICATION,
        "founding_date": _iso(row["founded_on"]),
        "other_names": other_names + [_other_name(name) for name in names],
        "sources": [_own_record(link("organization", row["slug"]))],
    }


def cited_source_url(row: Row, link: Link) -> str:
    """Where a cited source is read: its own URL, or the text the tracker holds of it."""
    return row["source__url"] or link("source_text", row["source__key"])


def citation(row: Row, link: Link) -> PopoloObject:
    """Evidence for one field: the source, the quote and its offsets (code points, end
    exclusive; null for a source the tracker holds no text of) and the basis."""
    return {
        "source": row["source__key"],
        "url": cited_source_url(row, link),
        "field": row["field"],
        "quote": row["quote"],
        "start": row["start"],
        "end": row["end"],
        "basis": row["basis"],
    }


def timeline_step(row: Row, citations: Iterable[Row], link: Link) -> PopoloObject:
    """One status change, dated at its precision ("2024-03"), with its evidence."""
    return {
        "status": row["status"],
        "as_of": iso_partial_date(row["as_of"], row["as_of_precision"]),
        "note": row["note"],
        "citations": [citation(cited, link) for cited in citations],
    }


def attendance(
    row: Row, timeline: list[PopoloObject], citations: Iterable[Row], link: Link
) -> PopoloObject:
    """One country's participation (`+attendances`): its leader if known, role, current status,
    status timeline and evidence."""
    return {
        "country_id": country_id(row["country__code"]),
        "person_id": person_id(row["leader__slug"]) if row["leader__slug"] else None,
        "role": row["role"],
        "status": row["status"],
        "note": row["note"],
        "timeline": timeline,
        "citations": [citation(cited, link) for cited in citations],
        "url": link("attendance", row["id"]),
    }


def event(
    row: Row,
    *,
    attendances: list[tuple[Row, PopoloObject]],
    citations: list[Row],
    cited: Iterable[Row],
    link: Link,
) -> PopoloObject:
    """A summit, its dates at their precision, with its attendances (rows and objects), its own
    citations, and in `sources` its record and every source `cited` for it or its attendances."""
    location = ", ".join(part for part in (row["city"], row["host_country__name"]) if part)
    return {
        "id": event_id(row["slug"]),
        "name": row["name"],
        "start_date": iso_partial_date(row["start_date"], row["date_precision"]),
        "end_date": _iso(row["end_date"]),
        "location": location or None,
        "status": EVENT_STATUS[row["status"]],
        "classification": row["kind"],
        "organization_id": (
            organization_id(row["organization__slug"]) if row["organization__slug"] else None
        ),
        "attendees": [
            {"id": person_id(attending["leader__slug"]), "name": attending["leader__name"]}
            for attending, _ in attendances
            if attending["leader__slug"] and attending["status"] in ATTENDING
        ],
        "sources": [_own_record(link("summit", row["slug"])), *_cited_sources(cited, link)],
        "+summit_status": row["status"],
        "+host_country_id": (
            country_id(row["host_country__code"]) if row["host_country__code"] else None
        ),
        "+citations": [citation(cited_row, link) for cited_row in citations],
        "+attendances": [built for _, built in attendances],
    }


def _cited_sources(cited: Iterable[Row], link: Link) -> list[dict[str, str]]:
    """Each cited source once, in the order first cited, with its title as the note."""
    sources: dict[str, dict[str, str]] = {}
    for row in cited:
        if row["source__key"] not in sources:
            sources[row["source__key"]] = {
                "url": cited_source_url(row, link),
                "note": row["source__title"],
            }
    return list(sources.values())
