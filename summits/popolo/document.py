"""The Popolo document, written piece by piece as its rows are read: `{"persons": [...],
"organizations": [...], "memberships": [...], "events": [...]}`, each object serialized by orjson
on its own, so that memory holds one summit's rows at a time.

Every table is read in one transaction, on PostgreSQL at REPEATABLE READ, so that the whole
document is one snapshot of the data: a leader added while the events are being written is not
an attendee of an event while missing from `persons`.
"""

from collections.abc import Generator, Iterable, Iterator

import orjson
from django.db import connections, transaction

from summits.popolo import objects, reading
from summits.popolo.objects import Link, PopoloObject
from summits.popolo.reading import Children, PopoloSelection, Row

# Bytes gathered before they are handed to the server.
FLUSH_BYTES = 64 * 1024


def popolo_document(*, selection: PopoloSelection, link: Link) -> Generator[bytes]:
    """The document of `selection`, in pieces of about FLUSH_BYTES; `link` makes the tracker's
    URLs. Reading starts with the first piece asked for and ends with the last.

    The first piece, `{`, is sent before any row is read, so that the status and headers go out
    with it: a read that fails later cuts the body short (summits.api.streaming), where a failure
    before the server had sent anything became its own HTML 500 after the view had answered.
    The last, `}`, is sent once the snapshot's transaction has ended well."""
    yield b"{"
    alias = selection.summits.db
    outermost = not connections[alias].in_atomic_block
    with transaction.atomic(using=alias):
        if outermost and connections[alias].vendor == "postgresql":
            with connections[alias].cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield from _flushed(
            _members(
                [
                    ("persons", _persons(selection, link)),
                    ("organizations", _organizations(selection, link)),
                    ("memberships", _memberships(selection, link)),
                    ("events", _events(selection, link)),
                ]
            )
        )
    yield b"}"


def _members(arrays: Iterable[tuple[str, Iterable[PopoloObject]]]) -> Iterator[bytes]:
    """The named arrays of a JSON object, one object at a time, without the object's braces."""
    for position, (name, members) in enumerate(arrays):
        yield (b"," if position else b"") + orjson.dumps(name) + b":["
        for index, member in enumerate(members):
            yield (b"," if index else b"") + orjson.dumps(member)
        yield b"]"


def _flushed(pieces: Iterable[bytes]) -> Iterator[bytes]:
    buffer = bytearray()
    for piece in pieces:
        buffer += piece
        if len(buffer) >= FLUSH_BYTES:
            yield bytes(buffer)
            buffer.clear()
    if buffer:
        yield bytes(buffer)


def _persons(selection: PopoloSelection, link: Link) -> Iterator[PopoloObject]:
    names = Children(reading.leader_name_rows(selection), "leader_id")
    for leader in reading.leader_rows(selection):
        yield objects.person(leader, names.of(leader["id"]), link)


def _organizations(selection: PopoloSelection, link: Link) -> Iterator[PopoloObject]:
    for country in reading.country_rows(selection):
        yield objects.country(country, link)
    names = Children(reading.organization_name_rows(selection), "organization_id")
    for organization in reading.organization_rows(selection):
        yield objects.organization(organization, names.of(organization["id"]), link)


def _memberships(selection: PopoloSelection, link: Link) -> Iterator[PopoloObject]:
    for leader in reading.leader_rows(selection):
        yield objects.membership(leader, link)


class _Evidence:
    """The rows below the summits, each table handed out summit by summit (reading.Children)."""

    def __init__(self, selection: PopoloSelection) -> None:
        self.attendances = Children(reading.attendance_rows(selection), "summit_id")
        self.status_changes = Children(reading.status_change_rows(selection), "attendance_id")
        self.summit_citations = Children(reading.summit_citation_rows(selection), "summit_id")
        self.attendance_citations = Children(
            reading.attendance_citation_rows(selection), "attendance_id"
        )
        self.status_change_citations = Children(
            reading.status_change_citation_rows(selection), "status_change_id"
        )


def _events(selection: PopoloSelection, link: Link) -> Iterator[PopoloObject]:
    evidence = _Evidence(selection)
    for summit in reading.summit_rows(selection):
        citations = evidence.summit_citations.of(summit["id"])
        cited = list(citations)
        attendances = []
        for row in evidence.attendances.of(summit["id"]):
            attendances.append((row, _attendance(row, evidence, cited, link)))
        yield objects.event(
            summit, attendances=attendances, citations=citations, cited=cited, link=link
        )


def _attendance(row: Row, evidence: _Evidence, cited: list[Row], link: Link) -> PopoloObject:
    """An attendance with its timeline; adds every citation it reads to `cited`."""
    timeline = []
    for change in evidence.status_changes.of(row["id"]):
        citations = evidence.status_change_citations.of(change["id"])
        cited += citations
        timeline.append(objects.timeline_step(change, citations, link))
    citations = evidence.attendance_citations.of(row["id"])
    cited += citations
    return objects.attendance(row, timeline, citations, link)
