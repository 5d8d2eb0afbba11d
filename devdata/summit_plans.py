"""The generated summits: their kinds, sizes, dates, fates and hosts, and the plan that the
attendances are drawn from."""

import datetime as dt
import random

from devdata.rows import SummitRow
from devdata.vocabulary import DAY, FIRST_YEAR, LAST_YEAR, MONTH, TODAY, YEAR, made_up_name
from devdata.world import SummitPlan, World, iso
from summits.models import SummitKind, SummitStatus


def summits_build(world: World, rng: random.Random) -> None:
    """The summits, with the attendances of all of them adding up to the world's size."""
    kinds = summit_kinds(rng, world.scale["summits"])
    sizes = summit_sizes(
        rng, kinds, attendances=world.scale["attendances"], countries=len(world.codes)
    )
    for index, (kind, size) in enumerate(zip(kinds, sizes, strict=True)):
        year = rng.randint(FIRST_YEAR, LAST_YEAR)
        precision, start, end = summit_dates(rng, index=index, year=year)
        fate = summit_fate(rng, last_day=end or start)
        organization = None if kind == SummitKind.BILATERAL else rng.randrange(len(world.members))
        pool = world.members[organization] if organization is not None else range(len(world.codes))
        host = rng.choice(pool) if rng.random() < 0.9 else None
        city = f"{made_up_name(rng, (2, 3))}" if host is not None and rng.random() < 0.9 else ""
        # An organization's summits are named after its short name, the others "Bilateral".
        series = world.organizations[organization].short_name if organization is not None else None
        name = f"{series} Summit {year}" if series else f"Bilateral summit {year}"
        world.summits.append(
            SummitRow(
                slug=f"{world.prefix}{(series or 'bilateral').lower()}-{year}-{index}",
                name=name + (f", {city}" if city else ""),
                organization=organization,
                kind=kind.value,
                status=fate.value,
                host_country=host,
                city=city,
                start_date=iso(start),
                end_date=iso(end) if end is not None else None,
                date_precision=precision,
            )
        )
        world.plans.append(
            SummitPlan(
                size=size,
                organization=organization,
                host=host,
                start=start,
                precision=precision,
                fate=fate,
            )
        )


def summit_kinds(rng: random.Random, count: int) -> list[SummitKind]:
    """Mostly ordinary summits, some extraordinary, other and (given two or more) bilateral
    ones; never only bilateral ones."""
    kinds = [_kind(rng.random(), count=count) for _ in range(count)]
    if all(kind == SummitKind.BILATERAL for kind in kinds):
        kinds[0] = SummitKind.ORDINARY
    return kinds


def _kind(roll: float, *, count: int) -> SummitKind:
    if roll < 0.08 and count > 1:
        return SummitKind.BILATERAL
    if roll < 0.18:
        return SummitKind.EXTRAORDINARY
    if roll < 0.22:
        return SummitKind.OTHER
    return SummitKind.ORDINARY


def summit_sizes(
    rng: random.Random, kinds: list[SummitKind], *, attendances: int, countries: int
) -> list[int]:
    """Attendees per summit: 2 at a bilateral, 10 to 70 elsewhere, adding up to `attendances`."""
    sizes = [2 if kind == SummitKind.BILATERAL else rng.randint(10, 70) for kind in kinds]
    adjustable = [i for i, kind in enumerate(kinds) if kind != SummitKind.BILATERAL]
    wanted = attendances - 2 * (len(sizes) - len(adjustable))
    if not adjustable or not len(adjustable) <= wanted <= len(adjustable) * countries:
        raise ValueError(f"Cannot spread {attendances} attendances over {len(sizes)} summits.")
    current = sum(sizes[i] for i in adjustable)
    for i in adjustable:  # scale towards the total, then settle the rest one by one
        sizes[i] = max(1, min(countries, round(sizes[i] * wanted / current)))
    difference = wanted - sum(sizes[i] for i in adjustable)
    while difference:
        i = rng.choice(adjustable)
        step = 1 if difference > 0 else -1
        if 1 <= sizes[i] + step <= countries:
            sizes[i] += step
            difference -= step
    return sizes


def summit_dates(rng: random.Random, *, index: int, year: int) -> tuple[str, int, int | None]:
    """The summit's precision, first day and (at a day's precision) last day, as ordinals."""
    roll = rng.random()
    if index < 3:  # even a small data set has a date at each precision
        roll = (0.0, 0.9, 0.99)[index]
    if roll < 0.85:
        start = dt.date(year, 1, 1).toordinal() + rng.randrange(365)
        return DAY, start, start + rng.choice((0, 1, 1, 2, 2, 3))
    if roll < 0.95:
        return MONTH, dt.date(year, rng.randint(1, 12), 1).toordinal(), None
    return YEAR, dt.date(year, 1, 1).toordinal(), None


def summit_fate(rng: random.Random, *, last_day: int) -> SummitStatus:
    """Mostly held when it is over by TODAY, mostly scheduled when it is not."""
    if last_day < TODAY.toordinal():
        return rng.choices(
            [SummitStatus.HELD, SummitStatus.CANCELLED, SummitStatus.POSTPONED],
            weights=[95, 3, 2],
        )[0]
    return rng.choices(
        [SummitStatus.SCHEDULED, SummitStatus.ANNOUNCED, SummitStatus.POSTPONED],
        weights=[60, 35, 5],
    )[0]
