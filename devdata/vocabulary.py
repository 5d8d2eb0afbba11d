"""What the generated world is made of: its size, its dates, names, timelines and source texts.

Everything here depends on its arguments only (never on the database), so that every seed and
every run agree on a country's name or a source's sentences.
"""

import datetime as dt
import random
import unicodedata
from itertools import accumulate, product
from string import ascii_uppercase

from summits.dates import DatePrecision
from summits.models import AttendanceStatus

# The article's countries: generated data never takes (or changes) them.
RESERVED_COUNTRY_CODES = frozenset({"JP", "US", "ES", "LT", "KR", "AU", "NZ"})
# "Today" for the generated world, fixed so that the data never depends on the calendar.
TODAY = dt.date(2025, 6, 30)
FIRST_YEAR, LAST_YEAR = 1950, 2030
MAX_COUNTRIES = 200
MIN_COUNTRIES = 60
MEAN_ATTENDEES = 40

DAY, MONTH, YEAR = DatePrecision.DAY.value, DatePrecision.MONTH.value, DatePrecision.YEAR.value

S = AttendanceStatus
Timeline = tuple[AttendanceStatus, ...]
# Timelines by the summit's fate, each with a weight: the last step is the current status.
HELD_TIMELINES: list[tuple[int, Timeline]] = [
    (30, (S.INVITED, S.CONFIRMED, S.ATTENDED)),
    (15, (S.INVITED, S.ATTENDED)),
    (10, (S.PROPOSED, S.INVITED, S.CONSIDERING, S.CONFIRMED, S.ATTENDED)),
    (15, (S.ATTENDED,)),
    (8, (S.INVITED, S.DECLINED)),
    (5, (S.INVITED, S.CONSIDERING, S.DECLINED)),
    (5, (S.INVITED, S.CONFIRMED, S.WITHDRAWN)),
    (5, (S.INVITED, S.CONFIRMED, S.DID_NOT_ATTEND)),
    (7, (S.INVITED, S.CONFIRMED)),  # the outcome was never recorded
]
CALLED_OFF_TIMELINES: list[tuple[int, Timeline]] = [
    (60, (S.INVITED, S.CONFIRMED)),
    (25, (S.INVITED, S.WITHDRAWN)),
    (15, (S.INVITED,)),
]
UPCOMING_TIMELINES: list[tuple[int, Timeline]] = [
    (20, (S.PROPOSED,)),
    (25, (S.PROPOSED, S.INVITED)),
    (15, (S.INVITED, S.CONSIDERING)),
    (30, (S.INVITED, S.CONFIRMED)),
    (10, (S.INVITED, S.DECLINED)),
]
# A status that records what happened at the summit is dated the summit's first day.
OUTCOMES = frozenset({S.ATTENDED, S.DID_NOT_ATTEND})

OFFICES = ["President", "Prime Minister", "Chancellor", "King", "Queen", "Premier", "Emir"]
SYLLABLES = [
    "ka", "lo", "mi", "ra", "sen", "do", "vi", "ta", "na", "bel", "mor", "zan", "ri", "el",
    "os", "un", "ta", "gor", "li", "ve", "sa", "an", "ro", "tu", "ne", "ia", "ma", "de", "qu",
    "il", "zé", "ço", "ö", "ãn",
]  # fmt: skip
ASCII_SYLLABLES = [syllable for syllable in SYLLABLES if syllable.isascii()]
COUNTRY_ENDINGS = ["ia", "land", "stan", "ora", "ay", "esh", "ica", ""]

SOURCE_SENTENCES = (
    "Delegations confirmed their attendance at the summit.",
    "The leader is expected to lead the delegation in person.",
    "Officials said the dates of the meeting were set.",
    "The country takes part as a partner this year.",
    "An invitation was extended through diplomatic channels.",
    "The government said it was considering the invitation.",
    "The visit was postponed after talks between the capitals.",
    "Organizers announced the host city and the summit dates.",
)


def generated_prefix(seed: int) -> str:
    """The slug (and source key) prefix of the rows that `seed` generates."""
    return f"gen-{seed}-"


def synthetic_scale(attendances: int) -> dict[str, int]:
    """How many of each record a data set of `attendances` attendances holds."""
    summits = max(1, round(attendances / MEAN_ATTENDEES))
    countries = min(MAX_COUNTRIES, max(MIN_COUNTRIES, attendances // 50))
    return {
        "countries": countries,
        "leaders": max(2 * countries, round(attendances / 200)),
        "organizations": min(50, max(1, summits // 20)),
        "summits": summits,
        "sources": min(200, max(3, attendances // 2000)),
        "attendances": attendances,
    }


def source_text(prefix: str, index: int) -> str:
    """Source `index`'s text: a wire report made of SOURCE_SENTENCES, numbered with the data
    set's prefix so that no two sources, of any seed, hold the same text."""
    return f"Wire report {prefix}{index:05d}. " + " ".join(SOURCE_SENTENCES)


def source_sentence_spans(prefix: str) -> list[tuple[int, int]]:
    """Where each of SOURCE_SENTENCES stands in every source's text of a data set."""
    spans, at = [], len(source_text(prefix, 0)) - len(" ".join(SOURCE_SENTENCES))
    for sentence in SOURCE_SENTENCES:
        spans.append((at, at + len(sentence)))
        at += len(sentence) + 1
    return spans


def country_codes(count: int) -> list[str]:
    """`count` two-letter codes, the same for every seed and none of them the article's."""
    pool = [
        "".join(pair)
        for pair in product(ascii_uppercase, repeat=2)
        if "".join(pair) not in RESERVED_COUNTRY_CODES
    ]
    random.Random(3166).shuffle(pool)
    if count > len(pool):
        raise ValueError(f"At most {len(pool)} countries have a free two-letter code.")
    return pool[:count]


def country_name(code: str) -> str:
    """A made-up country name that depends on its code only, so every seed agrees on it."""
    rng = random.Random(f"country-{code}")
    stem = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
    name = (stem + rng.choice(COUNTRY_ENDINGS)).capitalize()
    return f"Republic of {name}" if rng.random() < 0.1 else name


def made_up_name(
    rng: random.Random, syllables: tuple[int, int], *, ascii_only: bool = False
) -> str:
    """A capitalized word of between `syllables[0]` and `syllables[1]` syllables."""
    choices = ASCII_SYLLABLES if ascii_only else SYLLABLES
    return "".join(rng.choice(choices) for _ in range(rng.randint(*syllables))).capitalize()


def ascii_slug(text: str) -> str:
    """`text` as a slug of ASCII letters, digits and hyphens (accents dropped)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "-".join("".join(c if c.isalnum() else " " for c in plain.lower()).split())


def weighted(options: list[tuple[int, Timeline]]) -> tuple[list[Timeline], list[int]]:
    """The options and their cumulative weights, as `random.choices(cum_weights=...)` takes them."""
    return [value for _, value in options], list(accumulate(weight for weight, _ in options))
