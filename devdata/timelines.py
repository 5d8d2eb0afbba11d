"""The generated attendances: who attends each summit, in which role, led by whom, and the dated
status changes that brought each attendance to its current status."""

import datetime as dt
import random
from bisect import bisect_right
from typing import NamedTuple

from devdata.rows import AttendanceRow, StatusChangeRow
from devdata.vocabulary import (
    CALLED_OFF_TIMELINES,
    DAY,
    HELD_TIMELINES,
    MONTH,
    OUTCOMES,
    TODAY,
    UPCOMING_TIMELINES,
    Timeline,
    weighted,
)
from devdata.world import SummitPlan, Terms, World, iso
from summits.models import AttendanceRole, SummitStatus

# The timelines an attendance may have had, by its summit's fate.
TIMELINES = {
    SummitStatus.HELD: weighted(HELD_TIMELINES),
    SummitStatus.CANCELLED: weighted(CALLED_OFF_TIMELINES),
    SummitStatus.POSTPONED: weighted(CALLED_OFF_TIMELINES),
    SummitStatus.SCHEDULED: weighted(UPCOMING_TIMELINES),
    SummitStatus.ANNOUNCED: weighted(UPCOMING_TIMELINES),
}


class Step(NamedTuple):
    """One status change of a timeline, dated as an ordinal at its precision."""

    status: str
    as_of: int
    precision: str


def attendances_build(world: World, rng: random.Random) -> None:
    """Every summit's attendances, each with its timeline; its status is the timeline's last."""
    members = [set(group) for group in world.members]
    for summit, plan in enumerate(world.plans):
        options, weights = TIMELINES[plan.fate]
        for country in _attendees(world, rng, members, plan):
            role = _role(rng, members, plan, country)
            leader = _leader(rng, world.terms[country], plan.start)
            timeline = rng.choices(options, cum_weights=weights)[0]
            attendance = len(world.attendances)
            steps = dated_steps(rng, timeline, start=plan.start, precision=plan.precision)
            for step in steps:
                world.changes.append(
                    StatusChangeRow(
                        attendance=attendance,
                        status=step.status,
                        as_of=iso(step.as_of),
                        as_of_precision=step.precision,
                        note="Reported by a wire service." if rng.random() < 0.05 else "",
                    )
                )
            world.attendances.append(
                AttendanceRow(
                    summit=summit,
                    country=country,
                    leader=leader,
                    role=role,
                    status=steps[-1].status,
                    note=(
                        "Delegation led by a deputy."
                        if leader is None and rng.random() < 0.2
                        else ""
                    ),
                )
            )


def _attendees(
    world: World, rng: random.Random, members: list[set[int]], plan: SummitPlan
) -> list[int]:
    """The attending countries, in order: the organization's members first, then others, and
    the host always."""
    pool = world.members[plan.organization] if plan.organization is not None else None
    if pool is not None and plan.size <= len(pool):
        chosen = rng.sample(pool, plan.size)
    else:
        rest = [
            country
            for country in range(len(world.codes))
            if plan.organization is None or country not in members[plan.organization]
        ]
        chosen = list(pool or []) + rng.sample(rest, plan.size - len(pool or []))
    if plan.host is not None and plan.host not in chosen:
        chosen[0] = plan.host
    return sorted(chosen)


def _role(
    rng: random.Random, members: list[set[int]], plan: SummitPlan, country: int
) -> str | None:
    """Host, member, or partner or guest; a tenth of the roles are not stated."""
    if country == plan.host:
        role = AttendanceRole.HOST.value
    elif plan.organization is not None and country in members[plan.organization]:
        role = AttendanceRole.MEMBER.value
    else:
        role = AttendanceRole.PARTNER.value if rng.random() < 0.5 else "guest"
    return None if rng.random() < 0.1 else role


def _leader(rng: random.Random, terms: Terms, start: int) -> int | None:
    """The country's leader in office when the summit starts; none for 8% of attendances."""
    if rng.random() < 0.92:
        return terms.leaders[max(0, bisect_right(terms.starts, start) - 1)]
    return None


def dated_steps(
    rng: random.Random, timeline: Timeline, *, start: int, precision: str
) -> list[Step]:
    """The timeline's steps, each on a strictly later day than the one before: those before the
    summit in the months before it (and never after TODAY), its outcome on its first day."""
    before = [status for status in timeline if status not in OUTCOMES]
    anchor = min(start - 1, TODAY.toordinal())
    offsets = sorted(rng.sample(range(0, 240), len(before)), reverse=True)
    steps: list[Step] = []
    previous = None
    for status, offset in zip(before, offsets, strict=True):
        day = anchor - offset
        as_of, as_of_precision = day, DAY
        if rng.random() < 0.1:
            first = dt.date.fromordinal(day).replace(day=1).toordinal()
            if previous is None or first > previous:
                as_of, as_of_precision = first, MONTH
        steps.append(Step(status.value, as_of, as_of_precision))
        previous = as_of
    for status in timeline:
        if status in OUTCOMES:
            as_of = start if previous is None or start > previous else previous + 1
            steps.append(Step(status.value, as_of, precision if as_of == start else DAY))
            previous = as_of
    return steps
