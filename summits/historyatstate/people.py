"""Who a record names: the office and the name in "Prime Minister Kishida Fumio", and the
leaders of the tracker that name can be.

Names are compared as sets of folded words (case, accents and punctuation aside), so a name in
either order matches: "Kishida Fumio" is "Fumio Kishida". A name that adds only middle names to
another ("Surangel Samuel Whipps, Jr." beside "Surangel Whipps, Jr") matches it too, but never one
that adds words after it ("Fumio Kishida War Criminal") or differs by an initial ("George H. W. Bush" is not "George W. Bush"). Failing both, a leader
holding the same office in that country on the record's dates, whose name ends with the same
family name ("Joseph R. Biden" when the tracker has "Joe Biden", President 2021-2025), is that
leader.
"""

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

# Offices a visitor's name may start with, longest first so "Prime Minister" wins over a word
# of it. Honorifics that are part of a name ("Sheikh", "Dato' Seri") are not offices.
OFFICES = sorted(
    (
        "President-elect",
        "Interim President",
        "Acting President",
        "Vice President",
        "President",
        "Prime Minister-designate",
        "Interim Prime Minister",
        "Acting Prime Minister",
        "Deputy Prime Minister",
        "Prime Minister",
        "Prime Minster",  # sic, in the 2000s file
        "First Minister",
        "Chief Minister",
        "Chief Executive",
        "Chancellor",
        "Federal Chancellor",
        "Taoiseach",
        "Premier",
        "King",
        "Queen",
        "Emperor",
        "Empress",
        "Crown Prince",
        "Prince",
        "Princess",
        "Grand Duke",
        "Grand Duchess",
        "Sultan",
        "Emir",
        "Amir",
        "Pope",
        "Chairman",
        "General Secretary",
        "Secretary General",
        "Secretary-General",
        "Governor-General",
        "Governor General",
        "Captain Regent",
        "Head of State",
        "Supreme Leader",
        "Shah",
        "Regent",
    ),
    key=len,
    reverse=True,
)
_OFFICE = re.compile(r"^(" + "|".join(re.escape(office) for office in OFFICES) + r")\s+")
# "President Andrzej Duda and Prime Minister Donald Tusk": a second person starts with an office.
_NEXT_PERSON = re.compile(r"\s+(?:and|&)\s+(?=(?:" + "|".join(map(re.escape, OFFICES)) + r")\s)")
_WORD = re.compile(r"[^\W_]+")
_CANONICAL_OFFICE = {"Prime Minster": "Prime Minister", "Amir": "Emir"}


@dataclass(frozen=True)
class Person:
    office: str
    name: str


def persons(visitor: str) -> list[Person]:
    """The people a `<visitor>` names, in order: "President Stjepan Mesic and Prime Minister
    Ivica Racan" is two."""
    return [_person(part) for part in _NEXT_PERSON.split(visitor.strip()) if part.strip()]


def _person(text: str) -> Person:
    text = text.strip().rstrip(",;")
    match = _OFFICE.match(text)
    if match is None:
        return Person(office="", name=text)
    office = match.group(1)
    return Person(office=_CANONICAL_OFFICE.get(office, office), name=text[match.end() :].strip())


def name_words(name: str) -> tuple[str, ...]:
    """A name's words in order, folded: case, accents and punctuation do not count."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return tuple(word.casefold() for word in _WORD.findall(plain))


def names_match(one: tuple[str, ...], other: tuple[str, ...]) -> bool:
    """The same words in any order; or the longer name adds middle names only: its first and
    last words are the shorter one's ("Surangel Samuel Whipps Jr" is "Surangel Whipps Jr"),
    and none it adds is an initial ("George H. W. Bush" is not "George W. Bush")."""
    if set(one) == set(other):
        return True
    small, large = sorted((one, other), key=len)
    if len(small) < 2 or not set(small) < set(large):
        return False
    if large[0] not in small or large[-1] not in small:
        return False  # "Fumio Kishida War Criminal" adds words after the name
    return all(len(word) > 1 for word in set(large) - set(small))


@dataclass(frozen=True)
class KnownLeader:
    """A leader of the tracker, as the matcher sees it."""

    pk: int
    names: tuple[tuple[str, ...], ...]  # the name's words, and each other name's
    office: str
    term_start: dt.date | None
    term_end: dt.date | None

    def in_office(self, office: str, start: dt.date, end: dt.date) -> bool:
        if not office or self.office.casefold() != office.casefold():
            return False
        if self.term_start is None:
            return False
        return self.term_start <= start and (self.term_end is None or end <= self.term_end)


def candidates(
    leaders: list[KnownLeader], person: Person, start: dt.date, end: dt.date
) -> list[KnownLeader]:
    """The country's leaders `person` can be: by name first, else by office on those dates."""
    words = name_words(person.name)
    by_name = [
        leader for leader in leaders if any(names_match(words, known) for known in leader.names)
    ]
    if by_name:
        return by_name
    family = words[-1] if words else ""
    return [
        leader
        for leader in leaders
        if len(family) > 1
        and leader.in_office(person.office, start, end)
        and any(known and known[-1] == family for known in leader.names)
    ]
