"""The generated world, held in memory before anything is written, and its first rows:
organizations, leaders and sources (summits, timelines and citations have modules of their own).
"""

import datetime as dt
import random
from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple

from devdata.rows import (
    AttendanceRow,
    CitationRow,
    LeaderRow,
    OrganizationRow,
    SourceRow,
    StatusChangeRow,
    SummitRow,
)
from devdata.vocabulary import (
    FIRST_YEAR,
    LAST_YEAR,
    OFFICES,
    ascii_slug,
    made_up_name,
    source_text,
)
from summits.evidence import text_digest
from summits.models import SummitStatus


class Terms(NamedTuple):
    """A country's leaders one after another: when each term starts (as an ordinal), and the
    leader's index in the world's leaders."""

    starts: list[int]
    leaders: list[int]


class SummitPlan(NamedTuple):
    """What a summit's attendances are drawn from: how many, from which organization's members,
    who hosts, when it starts (an ordinal, at its precision), and how it turned out."""

    size: int
    organization: int | None
    host: int | None
    start: int
    precision: str
    fate: SummitStatus


@dataclass
class World:
    """Every generated row; foreign keys are indexes into these lists (see devdata.rows)."""

    seed: int
    prefix: str
    scale: dict[str, int]
    codes: list[str]
    organizations: list[OrganizationRow] = field(default_factory=list)
    members: list[list[int]] = field(default_factory=list)  # country indexes per organization
    leaders: list[LeaderRow] = field(default_factory=list)
    terms: list[Terms] = field(default_factory=list)  # per country
    sources: list[SourceRow] = field(default_factory=list)
    summits: list[SummitRow] = field(default_factory=list)
    plans: list[SummitPlan] = field(default_factory=list)  # per summit
    attendances: list[AttendanceRow] = field(default_factory=list)
    changes: list[StatusChangeRow] = field(default_factory=list)
    citations: list[CitationRow] = field(default_factory=list)


@cache
def iso(ordinal: int) -> str:
    """A day (an ordinal) as ISO text, cached: the same days recur often."""
    return dt.date.fromordinal(ordinal).isoformat()


def organizations_build(world: World, rng: random.Random) -> None:
    """Organizations, each with 25 to 90 member countries (fewer when there are fewer)."""
    countries = len(world.codes)
    for index in range(world.scale["organizations"]):
        short = f"{made_up_name(rng, (1, 2), ascii_only=True).upper()}{index}"
        founded = dt.date(rng.randint(1900, FIRST_YEAR), rng.randint(1, 12), rng.randint(1, 28))
        complete = dt.date(rng.randint(1990, 2020), 1, 1) if rng.random() < 0.3 else None
        world.organizations.append(
            OrganizationRow(
                slug=f"{world.prefix}org-{index}-{short.lower()}",
                name=f"{made_up_name(rng, (2, 4))} Council of {made_up_name(rng, (2, 3))}",
                short_name=short,
                founded_on=founded.isoformat() if rng.random() < 0.8 else None,
                records_complete_from=complete.isoformat() if complete else None,
            )
        )
        size = rng.randint(min(countries, 25), min(countries, 90))
        world.members.append(sorted(rng.sample(range(countries), size)))


def leaders_build(world: World, rng: random.Random) -> None:
    """Leaders in office one after another in each country, with consecutive terms."""
    countries = len(world.codes)
    total = world.scale["leaders"]
    start = dt.date(FIRST_YEAR - 5, 1, 1).toordinal()
    end = dt.date(LAST_YEAR, 12, 31).toordinal()
    offices = [rng.choice(OFFICES) for _ in range(countries)]
    for country in range(countries):
        count = total // countries + (1 if country < total % countries else 0)
        starts = [start, *sorted(rng.sample(range(start + 1, end), count - 1))]
        ends = [next_start - 1 for next_start in starts[1:]] + [None]
        indexes = []
        for term, (term_start, term_end) in enumerate(zip(starts, ends, strict=True)):
            name = f"{made_up_name(rng, (1, 3))} {made_up_name(rng, (2, 4))}"
            index = len(world.leaders)
            indexes.append(index)
            world.leaders.append(
                LeaderRow(
                    slug=f"{world.prefix}{ascii_slug(name)}-{index}",
                    name=name,
                    country=country,
                    office=offices[country],
                    # The first term began before the records do: its start is unknown.
                    term_start=iso(term_start) if term else None,
                    term_end=iso(term_end) if term_end else None,
                )
            )
        world.terms.append(Terms(starts=starts, leaders=indexes))


def sources_build(world: World) -> None:
    """Wire reports whose sentences the citations quote (see vocabulary.SOURCE_SENTENCES)."""
    for index in range(world.scale["sources"]):
        text = source_text(world.prefix, index)
        world.sources.append(
            SourceRow(
                key=f"{world.prefix}source-{index}",
                title=f"Synthetic wire report {index}",
                author="",
                publisher=f"Wire service {index % 7}",
                language="en",
                url=f"https://example.org/{world.prefix}reports/{index}",
                seed_file="",
                text=text,
                sha256=text_digest(text),
                length=len(text),
                note="Generated for benchmarks; not a real source.",
            )
        )
