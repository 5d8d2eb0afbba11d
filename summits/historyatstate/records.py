"""Reading the Office of the Historian's files: one record at a time, safely.

Two shapes exist (the datasets' own schemas, visits.rnc and trips.rnc): `<visits>` of
`<visit>` records and `<trips>` of `<trip>` records. The parser resolves no entity, loads no DTD
and reaches no network; a document type declaration, which could declare entities, is refused
outright (the datasets have none). Each record is cleared once read, so memory stays flat
however long the file is.

A record's text, which its source holds and its citations quote, is its fields one per line as
"name: value", in the schema's order, each value with its runs of whitespace made one space (the
files wrap long remarks over several indented lines).
"""

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from lxml import etree

PUBLISHER = "U.S. Department of State, Office of the Historian"
SITE = "https://history.state.gov/departmenthistory"

# Each shape's record element, and its fields in the schema's order; the metadata fields after
# them (created-by, ...) are allowed and ignored.
_SHAPES = {
    "visits": (
        "visit",
        ("id", "start-date", "end-date", "visitor", "from", "description"),
    ),
    "trips": (
        "trip",
        ("id", "role", "name", "start-date", "end-date", "country", "locale", "remarks"),
    ),
}
_METADATA = frozenset(
    {"created-by", "created-datetime", "last-modified-by", "last-modified-datetime"}
)
# The field that carries the place's slug in its `id` attribute.
_PLACE = {"visits": "from", "trips": "country"}
_SPACE = re.compile(r"\s+")
_WHERE = re.compile(r", line \d+, column \d+$")
# What the schemas allow an id (xsd:integer) and a trip's role and traveller (xsd:NCName) to be;
# they become a source's key and the address of its page, so nothing else gets through.
_ID = re.compile(r"[0-9]{1,18}")
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,60}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A record has a dozen fields; a description may set words in <em>. Past this many elements a
# "record" is an attempt to make the parser hold a huge tree before the record ends.
_MOST_ELEMENTS = 100
# What the parser must never do: resolve an entity, reach the network, load a DTD, or build a
# tree larger than libxml2's safe limits. Comments and processing instructions are dropped.
_SAFE_PARSING = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}


class RecordsRefused(ValueError):
    """The file is not one of the two shapes, or not well-formed XML; names the line."""

    def __init__(self, line: int | None, message: str) -> None:
        self.line = line
        super().__init__(f"line {line}: {message}" if line else message)


@dataclass(frozen=True)
class Record:
    """One visit or trip, as its file gives it."""

    dataset: str  # "visits" or "travels"
    id: str
    line: int
    fields: dict[str, str]
    place_slug: str
    # For trips: "president" or "secretary", and who travelled ("biden-joseph-r").
    role: str = ""
    who: str = ""

    @property
    def text(self) -> str:
        return "\n".join(f"{name}: {value}" for name, value in self.fields.items())

    @property
    def key(self) -> str:
        """The source key: unique across both datasets (trip ids are per role)."""
        if self.dataset == "visits":
            return f"hsg-visit-{self.id}"
        return f"hsg-trip-{self.role}-{self.id}"

    @property
    def url(self) -> str:
        """The public page that lists the record."""
        if self.dataset == "visits":
            return f"{SITE}/visits/{self.fields['start-date'][:4]}"
        return f"{SITE}/travels/{self.role}/{self.who}"

    @property
    def title(self) -> str:
        if self.dataset == "visits":
            return (
                f"Visits by Foreign Leaders, record {self.id}: {self.fields['visitor']} "
                f"({self.fields['from']}), {self.fields['start-date']}"
            )
        return (
            f"Travels of the {self.role.capitalize()}, record {self.id}: {self.fields['name']} "
            f"to {self.fields['country']}, {self.fields['start-date']}"
        )

    @property
    def description(self) -> str:
        """The free text that says what happened: a visit's description, a trip's remarks."""
        return self.fields["description" if self.dataset == "visits" else "remarks"]

    def span(self, name: str) -> tuple[int, int]:
        """Where field `name`'s value lies in `text`."""
        at = 0
        for field, value in self.fields.items():
            at += len(field) + 2
            if field == name:
                return at, at + len(value)
            at += len(value) + 1
        raise KeyError(name)

    def day_span(self, name: str) -> tuple[int, int]:
        """Where the date `name` ("end-date") lies in `text`; the start date's place when it is
        left empty, as a one-day record's end date may be."""
        return self.span(name if self.fields[name] else "start-date")

    def date(self, name: str) -> dt.date | None:
        """The date `name`, when it is one written as the schema writes it (YYYY-MM-DD)."""
        if not _DATE.fullmatch(self.fields[name]):
            return None
        try:
            return dt.date.fromisoformat(self.fields[name])
        except ValueError:
            return None


def read_records(source: str | IO[bytes]) -> Iterator[Record]:
    """The records of a visits or trips file (a path or a binary file), in file order.

    Raises RecordsRefused, naming the line, at the first thing that is not of the two shapes.
    """
    events = etree.iterparse(source, events=("start", "end"), **_SAFE_PARSING)
    shape: str | None = None
    depth = elements = 0
    try:
        for event, element in events:
            if event == "start":
                depth += 1
                shape = _opened(element, depth, shape)
                # Counted from each record's own element.
                elements = 1 if depth == 2 else elements + 1
                if elements > _MOST_ELEMENTS:
                    raise RecordsRefused(
                        element.sourceline,
                        f"a record of more than {_MOST_ELEMENTS} elements is not a record of "
                        "the datasets.",
                    )
                continue
            depth -= 1
            if depth == 1 and shape is not None:
                yield _record(shape, element)
                # Forget what was read: the record, and the empty husks before it.
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
    except etree.XMLSyntaxError as error:
        message = _WHERE.sub("", error.msg)  # the line is said once, first
        raise RecordsRefused(error.lineno or None, f"not well-formed XML: {message}") from error
    if shape is None:
        raise RecordsRefused(None, "the file holds no XML element.")


def _opened(element: etree._Element, depth: int, shape: str | None) -> str | None:
    """Check an element as it opens, `depth` deep (the root is 1); the file's shape, which
    the root gives."""
    if depth == 1:
        return _root_shape(element)
    if depth == 2 and shape is not None:
        _expect(element, _SHAPES[shape][0])
    elif depth > 3 and (element.tag != "em" or depth > 4):
        raise RecordsRefused(element.sourceline, f"<{element.tag}> is not allowed here.")
    return shape


def _root_shape(root: etree._Element) -> str:
    if root.getroottree().docinfo.doctype:
        raise RecordsRefused(
            root.sourceline,
            "a document type declaration is refused: the datasets have none, and one could "
            "declare entities.",
        )
    if root.tag not in _SHAPES:
        raise RecordsRefused(
            root.sourceline,
            f"<{root.tag}> is neither <visits> nor <trips>: not a file of the visits or the "
            "travels dataset.",
        )
    return root.tag


def _expect(element: etree._Element, tag: str) -> None:
    if element.tag != tag:
        raise RecordsRefused(element.sourceline, f"<{element.tag}> where <{tag}> was expected.")


def _record(shape: str, element: etree._Element) -> Record:
    tag, names = _SHAPES[shape]
    given: dict[str, etree._Element] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag in given:
            raise RecordsRefused(child.sourceline, f"<{tag}> has a second <{child.tag}>.")
        if child.tag not in names and child.tag not in _METADATA:
            raise RecordsRefused(child.sourceline, f"<{child.tag}> is not a field of <{tag}>.")
        given[child.tag] = child
    missing = [name for name in names if name not in given]
    if missing:
        raise RecordsRefused(element.sourceline, f"<{tag}> has no <{'>, <'.join(missing)}>.")
    fields = {name: _SPACE.sub(" ", "".join(given[name].itertext())).strip() for name in names}
    if not _ID.fullmatch(fields["id"]):
        raise RecordsRefused(given["id"].sourceline, f"<{tag}>'s <id> is not a number.")
    role = who = ""
    if shape == "trips":
        role, who = element.get("role") or fields["role"], element.get("who", "")
        for name, value in (("role", role), ("who", who)):
            if not _NAME.fullmatch(value):
                raise RecordsRefused(
                    element.sourceline, f"<trip>'s {name} {value[:40]!r} is not a dataset name."
                )
    return Record(
        dataset="visits" if shape == "visits" else "travels",
        id=fields["id"],
        line=element.sourceline,
        fields=fields,
        place_slug=given[_PLACE[shape]].get("id", ""),
        role=role,
        who=who,
    )
