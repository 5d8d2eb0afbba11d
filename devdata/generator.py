"""Synthetic summit data at any size, for benchmarks: deterministic per seed, fast, and valid.

`synthetic_generate(seed=..., attendances=N)` writes 60 to 200 countries, N/200 leaders (two a
country at least), N/40 summits averaging 40 attendances each, status timelines, roles and
citations. The rows it writes are keyed by a slug prefix (`gen-<seed>-`): a second run with the
same seed first deletes them, so it leaves the same rows (with the same ids, when nothing was
added since). Countries are shared: they are matched by code and never deleted, and none takes a
code the article uses.

Rows are built in memory with every invariant true by construction (a leader belongs to the
attendance's country, `Attendance.status` is its timeline's latest status, dates at month or year
precision are the period's first day) and written in bulk: PostgreSQL's COPY through psycopg 3,
`executemany` elsewhere. Nothing here calls `save()`, so no edit history is recorded, as with
`loaddata`.
"""

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from devdata.citations import citations_build
from devdata.summit_plans import summits_build
from devdata.tables import (
    Progress,
    generated_delete,
    large_cache,
    tables_analyze,
    tables_lock,
    tables_settle,
)
from devdata.timelines import attendances_build
from devdata.vocabulary import country_codes, generated_prefix, synthetic_scale
from devdata.world import World, leaders_build, organizations_build, sources_build
from devdata.writer import world_write


@dataclass
class GenerationReport:
    """What a run wrote, and how long each step took (seconds)."""

    seed: int
    prefix: str
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        """Record how long the block takes as the step's timing."""
        started = time.perf_counter()
        yield
        self.timings[step] = time.perf_counter() - started


def world_build(*, seed: int, attendances: int) -> World:
    """The world of `seed` with `attendances` attendances, the rest scaled to it.

    One random generator draws every row in a fixed order, and the citations draw from one of
    their own, so that the same seed always builds the same world.
    """
    scale = synthetic_scale(attendances)
    world = World(
        seed=seed,
        prefix=generated_prefix(seed),
        scale=scale,
        codes=country_codes(scale["countries"]),
    )
    rng = random.Random(seed)
    organizations_build(world, rng)
    leaders_build(world, rng)
    sources_build(world)
    summits_build(world, rng)
    attendances_build(world, rng)
    citations_build(world, random.Random(f"{seed}-evidence"))
    return world


def synthetic_generate(
    *,
    seed: int,
    attendances: int,
    using: str = DEFAULT_DB_ALIAS,
    progress: Progress | None = None,
) -> GenerationReport:
    """Replace the rows generated for `seed` with a fresh set of `attendances` attendances.

    All or nothing: one transaction deletes the previous rows of this seed and writes the new
    ones. On PostgreSQL the summit tables are locked against other writers meanwhile.
    `progress`, when given, is called as rows are written, with the table's name and the
    number of rows just written.
    """
    if attendances < 1:
        raise ValueError("Generate at least one attendance.")
    report = GenerationReport(seed=seed, prefix=generated_prefix(seed))
    connection = connections[using]
    with report.timed("total"):
        with report.timed("build"):
            world = world_build(seed=seed, attendances=attendances)
        with large_cache(connection), transaction.atomic(using=using):
            with report.timed("delete"):
                tables_lock(connection)
                report.counts["deleted"] = generated_delete(connection, report.prefix)
            with report.timed("insert"):
                report.counts.update(world_write(connection, world, progress))
            with report.timed("check"):
                tables_settle(connection)
        if connection.vendor == "postgresql":
            with report.timed("analyze"), transaction.atomic(using=using):
                tables_analyze(connection)
    return report
