"""The summits a record's free text names: "Attended NATO 75th Anniversary Summit in
Washington, DC." names a NATO summit; "Participated in the U.S.-ASEAN and East Asia Summits."
names two.

Each series the records speak of is listed below with the words that name it; a series is found
only where those words lead to the word "Summit" within the same sentence, so "Attended NATO
Accession ceremony." names none. What a sentence does not name is not guessed: a "summit meeting
with Russian President Vladimir Putin" belongs to no series here, and a record that names none is
reported as about no summit.
"""

import re
from dataclasses import dataclass, field

# A hyphen, or the hyphen, en dash or em dash the files also write ("G–20").
_DASH = r"[-\u2010\u2013\u2014]"
# Up to the word Summit, within the sentence: any character but a full stop or semicolon, or a
# full stop inside an abbreviation ("U.S.-EU").
_TO_SUMMIT = r"(?:[^.;]|\.(?=\S)){0,60}?\b(?:[Ss]ummit|Leaders['\u2019]? Meeting)"


@dataclass(frozen=True)
class Series:
    """Summits of one organization or format, as the tracker keeps them."""

    slug: str
    name: str
    short_name: str
    words: str  # a regular expression for the words that name the series
    # What its summits are called, "<short name> Summit" unless given: a created summit is
    # "NATO Summit 2009, Strasbourg".
    summit_name: str = field(default="", kw_only=True)
    # Words that name a summit of the series without the word Summit ("the G-7 meetings").
    alone: str = r"(?!)"
    # A name its summits go by when the words say so: (words, name), as G8 for "G-8".
    other_name: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if not self.summit_name:
            object.__setattr__(self, "summit_name", f"{self.short_name} Summit")

    def name_for(self, said: str) -> str:
        """What a summit of the series named by the words `said` is called."""
        if self.other_name is not None and re.search(self.other_name[0], said):
            return self.other_name[1]
        return self.summit_name

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile(rf"(?:{self.words}){_TO_SUMMIT}|{self.alone}")


SERIES = (
    Series("nato", "North Atlantic Treaty Organization", "NATO", r"\bNATO\b"),
    Series(
        "g7",
        "Group of Seven",
        "G7",
        # The G8 years (1997-2013) are the same series of summits.
        rf"\bG{_DASH}?[78]\b|\bGroup of (?:Seven|Eight)\b",
        alone=rf"\bG{_DASH}?[78] [Mm]eetings?\b",
        other_name=(r"8|Eight", "G8 Summit"),
    ),
    Series("g20", "Group of Twenty", "G20", rf"\bG{_DASH}?20\b|\bGroup of Twenty\b"),
    Series(
        "apec",
        "Asia-Pacific Economic Cooperation",
        "APEC",
        r"\bAPEC\b|\bAsia[- ]Pacific Economic Cooperation\b",
        summit_name="APEC Leaders' Summit",
    ),
    Series(
        "apep",
        "Americas Partnership for Economic Prosperity",
        "APEP",
        r"\bAPEP\b|\bAmericas Partnership for Economic Prosperity\b",
        summit_name="APEP Leaders' Summit",
    ),
    Series(
        "us-asean",
        "U.S.-ASEAN Summit",
        "U.S.-ASEAN",
        rf"\bU\.S\.{_DASH}ASEAN\b|\bUnited States{_DASH}ASEAN\b",
    ),
    Series(
        "asean",
        "Association of Southeast Asian Nations",
        "ASEAN",
        rf"(?<!U\.S\.)(?<!{_DASH})\bASEAN\b",
    ),
    Series(
        "east-asia-summit",
        "East Asia Summit",
        "EAS",
        r"\bEast Asian?\b",
        summit_name="East Asia Summit",
    ),
    Series(
        "quad",
        "Quadrilateral Security Dialogue",
        "Quad",
        r"\bQuad\b",
        summit_name="Quad Leaders' Summit",
    ),
    Series(
        "summit-of-the-americas",
        "Summit of the Americas",
        "Summit of the Americas",
        # The name comes after the word Summit: matched whole.
        r"(?=Summit of the Americas)",
        summit_name="Summit of the Americas",
    ),
    Series(
        "us-africa-leaders-summit",
        "U.S.-Africa Leaders' Summit",
        "U.S.-Africa",
        rf"\b(?:U\.S\.|United States){_DASH}Africa Leaders['\u2019]?(?= Summit)",
        summit_name="U.S.-Africa Leaders' Summit",
    ),
    Series(
        "north-american-leaders-summit",
        "North American Leaders' Summit",
        "NALS",
        r"\bNorth American Leaders['\u2019]?(?= Summit)",
        summit_name="North American Leaders' Summit",
    ),
    Series(
        "us-eu",
        "U.S.-European Union Summit",
        "U.S.-EU",
        rf"\b(?:U\.S\.|United States){_DASH}(?:EU|European Union)\b",
    ),
    Series(
        "us-pacific-islands",
        "U.S.-Pacific Island Country Summit",
        "U.S.-Pacific Islands",
        r"\bPacific Islands? Countr(?:y|ies)(?= Summit)",
        summit_name="U.S.-Pacific Island Country Summit",
    ),
    Series(
        "un",
        "United Nations",
        "UN",
        r"\b(?:UN|U\.N\.|United Nations)\b(?= Millenn?ium Summit)",
    ),
    Series("aukus", "AUKUS", "AUKUS", r"\bAUKUS\b"),
    Series("c5-plus-1", "C5+1", "C5+1", r"\bC5\+1"),
    Series(
        "gcc",
        "Gulf Cooperation Council",
        "GCC",
        r"\bGulf Cooperation Council\b|\bGCC\b|(?=Summit of the Gulf Cooperation Council)",
    ),
    Series("three-seas", "Three Seas Initiative", "Three Seas", r"Three Seas"),
    Series(
        "bucharest-nine",
        "Bucharest Nine",
        "B9",
        r"\bBucharest Nine\b|(?=summit with leaders of the Bucharest Nine)",
        summit_name="Bucharest Nine Summit",
    ),
    Series(
        "us-nordic",
        "U.S.-Nordic Leaders' Summit",
        "U.S.-Nordic",
        rf"\bU\.S\.{_DASH}Nordic\b",
        summit_name="U.S.-Nordic Leaders' Summit",
    ),
)

_EXTRAORDINARY = re.compile(r"\b(?:Extraordinary|Special|Emergency)\b", re.IGNORECASE)
_GUEST = re.compile(r"\bInvited Guest\b", re.IGNORECASE)
_NOT = re.compile(r"\b(?:not|cancell?ed|postponed|declined)\b", re.IGNORECASE)
# "Offical" is the dataset's own misspelling, in several records.
_VISIT = re.compile(
    r"\b(?:Official|Offical|State|Working|Official Working)\s+Visit\b", re.IGNORECASE
)
# "... in Washington, DC." / "... at Sea Island, Georgia." / "... in New York City."
_PLACE = re.compile(
    r"\b(?:in|at) ((?:[A-Z][\w'\u2019-]*\.? ?){1,4}(?:, (?:[A-Z][\w.]*\.?)(?: [A-Z][\w.]*)?)?)\.?$"
)
# A sentence ends at . ! or ? before a space and a capital or a digit; "D.C. Also" splits too,
# which only shortens a quote.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\u201c\"(])")


@dataclass(frozen=True)
class Mention:
    """A summit a sentence of the record names."""

    series: Series
    said: str  # the words that name it
    extraordinary: bool
    guest: bool
    sentence: tuple[int, int]  # where the sentence lies in the searched text
    city: str  # the place the sentence names, if any


def sentences(text: str) -> list[tuple[int, int]]:
    spans, at = [], 0
    for boundary in _SENTENCE_END.finditer(text):
        spans.append((at, boundary.start()))
        at = boundary.end()
    if at < len(text):
        spans.append((at, len(text)))
    return spans


def mentions(text: str) -> list[Mention]:
    """The summits `text` says were attended, one per series and sentence, in text order."""
    found: list[Mention] = []
    for start, end in sentences(text):
        sentence = text[start:end]
        if _NOT.search(sentence):
            continue
        place = _PLACE.search(sentence)
        hits = sorted(
            ((match.start(), match.group()), series)
            for series in SERIES
            if (match := series.pattern.search(sentence)) is not None
        )
        for (_, said), series in hits:
            found.append(
                Mention(
                    series=series,
                    said=said,
                    extraordinary=bool(_EXTRAORDINARY.search(sentence)),
                    guest=bool(_GUEST.search(sentence)),
                    sentence=(start, end),
                    city=_place_name(place.group(1)) if place else "",
                )
            )
    return found


def visit_phrase(text: str) -> tuple[int, int] | None:
    """Where `text` calls the record a bilateral visit ("Official Visit."), if it does."""
    for start, end in sentences(text):
        if _VISIT.search(text[start:end]):
            return start, end
    return None


def _place_name(text: str) -> str:
    """ "Washington, DC." is Washington, DC; "Washington, D.C." keeps its abbreviation."""
    text = text.strip()
    last = text.rsplit(" ", 1)[-1]
    if text.endswith(".") and last.count(".") == 1:
        text = text[:-1]
    return text
