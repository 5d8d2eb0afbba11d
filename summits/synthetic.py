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

import datetime as dt
import random
import time
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import product
from string import ascii_uppercase

from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction

from summits.dates import DatePrecision
from summits.evidence import text_digest
from summits.models import (
    Attendance,
    AttendanceRole,
    AttendanceStatus,
    Citation,
    CitationBasis,
    Country,
    Leader,
    Organization,
    Source,
    StatusChange,
    Summit,
    SummitKind,
    SummitStatus,
)

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
# Timelines by the summit's fate, each with a weight: the last step is the current status.
HELD_TIMELINES = [
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
CALLED_OFF_TIMELINES = [
    (60, (S.INVITED, S.CONFIRMED)),
    (25, (S.INVITED, S.WITHDRAWN)),
    (15, (S.INVITED,)),
]
UPCOMING_TIMELINES = [
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


@dataclass
class GenerationReport:
    """What a run wrote, and how long each step took (seconds)."""

    seed: int
    prefix: str
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


# Called with a table's name and how many of its rows were just written.
Progress = Callable[[str, int], None]
# Rows written between two calls of `progress`.
_PROGRESS_EVERY = 50_000


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
    started = time.perf_counter()
    world = _World(seed=seed, attendances=attendances)
    world.progress = progress
    report.timings["build"] = time.perf_counter() - started
    connection = connections[using]
    with _large_cache(connection), transaction.atomic(using=using):
        step = time.perf_counter()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # A million rows take longer than any timeout meant for a request.
                cursor.execute("SET LOCAL statement_timeout = 0")
                tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in _MODELS)
                cursor.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
        deleted = _delete_generated(connection, report.prefix)
        report.counts["deleted"] = deleted
        report.timings["delete"] = time.perf_counter() - step
        step = time.perf_counter()
        counts = world.write(connection)
        report.counts.update(counts)
        report.timings["insert"] = time.perf_counter() - step
        step = time.perf_counter()
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), _MODELS):
                cursor.execute(statement)
            if connection.vendor == "postgresql":
                # Constraints are deferred on PostgreSQL: check them here, inside the timing.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        report.timings["check"] = time.perf_counter() - step
    if connection.vendor == "postgresql":
        step = time.perf_counter()
        with transaction.atomic(using=using), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 0")
            for model in _MODELS:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        report.timings["analyze"] = time.perf_counter() - step
    report.timings["total"] = time.perf_counter() - started
    return report


@contextmanager
def _large_cache(connection) -> Iterator[None]:
    """On SQLite, a 1 GiB page cache while writing: index upkeep for millions of rows thrashes
    the default 2 MiB one."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache_size = int(cursor.fetchone()[0])
        cursor.execute("PRAGMA cache_size = -1048576")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {cache_size}")


_MODELS: list[type[models.Model]] = [
    Country,
    Organization,
    Leader,
    Source,
    Summit,
    Attendance,
    StatusChange,
    Citation,
]


def _delete_generated(connection, prefix: str) -> int:
    """Delete this prefix's rows in raw SQL (Django's delete() would load each row and write
    its history); a non-generated row that refers to one of them makes the whole run fail."""
    table = {model: connection.ops.quote_name(model._meta.db_table) for model in _MODELS}
    like = prefix + "%"
    summits = f"SELECT id FROM {table[Summit]} WHERE slug LIKE %s"
    attendances = f"SELECT id FROM {table[Attendance]} WHERE summit_id IN ({summits})"
    changes = f"SELECT id FROM {table[StatusChange]} WHERE attendance_id IN ({attendances})"
    sources = f"SELECT id FROM {table[Source]} WHERE {connection.ops.quote_name('key')} LIKE %s"
    # One subquery per statement: PostgreSQL turns each into a hash semi-join, where an OR of
    # several would test every row against subplans too large to hash.
    statements = [
        (f"DELETE FROM {table[Citation]} WHERE status_change_id IN ({changes})", [like]),
        (f"DELETE FROM {table[Citation]} WHERE attendance_id IN ({attendances})", [like]),
        (f"DELETE FROM {table[Citation]} WHERE summit_id IN ({summits})", [like]),
        (f"DELETE FROM {table[Citation]} WHERE source_id IN ({sources})", [like]),
        (f"DELETE FROM {table[StatusChange]} WHERE attendance_id IN ({attendances})", [like]),
        (f"DELETE FROM {table[Attendance]} WHERE summit_id IN ({summits})", [like]),
        (f"DELETE FROM {table[Summit]} WHERE slug LIKE %s", [like]),
        (f"DELETE FROM {table[Leader]} WHERE slug LIKE %s", [like]),
        (f"DELETE FROM {table[Organization]} WHERE slug LIKE %s", [like]),
        (f"DELETE FROM {table[Source]} WHERE {connection.ops.quote_name('key')} LIKE %s", [like]),
    ]
    deleted = 0
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            deleted += max(cursor.rowcount, 0)
    return deleted


def _insert(
    connection,
    model: type[models.Model],
    columns: Sequence[str],
    rows: list,
    progress: Progress | None = None,
) -> None:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(model._meta.get_field(name).column) for name in columns)
    label = str(model._meta.verbose_name_plural)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for number, row in enumerate(rows, start=1):
                    copy.write_row(row)
                    if progress is not None and number % _PROGRESS_EVERY == 0:
                        progress(label, _PROGRESS_EVERY)
            if progress is not None:
                progress(label, len(rows) % _PROGRESS_EVERY)
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({names}) VALUES ({placeholders})"
            for start in range(0, len(rows), _PROGRESS_EVERY):
                chunk = rows[start : start + _PROGRESS_EVERY]
                cursor.executemany(sql, chunk)
                if progress is not None:
                    progress(label, len(chunk))


def _next_id(connection, model: type[models.Model]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(model._meta.db_table)}")
        return (cursor.fetchone()[0] or 0) + 1


def _weighted(options: list[tuple[int, tuple]]) -> tuple[list[tuple], list[int]]:
    values = [value for _, value in options]
    cumulative, total = [], 0
    for weight, _ in options:
        total += weight
        cumulative.append(total)
    return values, cumulative


def _ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "-".join("".join(c if c.isalnum() else " " for c in plain.lower()).split())


class _World:
    """Every generated row, built in memory first: ids are assigned at write time."""

    def __init__(self, *, seed: int, attendances: int) -> None:
        self.seed = seed
        self.progress: Progress | None = None
        self.prefix = generated_prefix(seed)
        self.scale = synthetic_scale(attendances)
        self.rng = random.Random(seed)
        self.codes = country_codes(self.scale["countries"])
        self._iso: dict[int, str] = {}
        self._build_organizations()
        self._build_leaders()
        self._build_summits()
        self._build_attendances()

    # Dates are handled as ordinals; ISO text is cached, since the same days recur often.
    def iso(self, ordinal: int) -> str:
        text = self._iso.get(ordinal)
        if text is None:
            text = self._iso[ordinal] = dt.date.fromordinal(ordinal).isoformat()
        return text

    def _name(self, syllables: tuple[int, int], *, ascii_only: bool = False) -> str:
        rng = self.rng
        choices = ASCII_SYLLABLES if ascii_only else SYLLABLES
        return "".join(rng.choice(choices) for _ in range(rng.randint(*syllables))).capitalize()

    def _build_organizations(self) -> None:
        rng = self.rng
        count = self.scale["organizations"]
        countries = len(self.codes)
        self.organizations = []  # (slug, name, short_name, founded_on, records_complete_from)
        self.members: list[list[int]] = []  # country indexes per organization
        for index in range(count):
            short = f"{self._name((1, 2), ascii_only=True).upper()}{index}"
            founded = dt.date(rng.randint(1900, FIRST_YEAR), rng.randint(1, 12), rng.randint(1, 28))
            complete = dt.date(rng.randint(1990, 2020), 1, 1) if rng.random() < 0.3 else None
            self.organizations.append(
                (
                    f"{self.prefix}org-{index}-{short.lower()}",
                    f"{self._name((2, 4))} Council of {self._name((2, 3))}",
                    short,
                    founded.isoformat() if rng.random() < 0.8 else None,
                    complete.isoformat() if complete else None,
                )
            )
            size = rng.randint(min(countries, 25), min(countries, 90))
            self.members.append(sorted(rng.sample(range(countries), size)))

    def _build_leaders(self) -> None:
        """Leaders in office one after another in each country, with consecutive terms."""
        rng = self.rng
        countries = len(self.codes)
        total = self.scale["leaders"]
        start, end = (
            dt.date(FIRST_YEAR - 5, 1, 1).toordinal(),
            dt.date(LAST_YEAR, 12, 31).toordinal(),
        )
        self.leaders = []  # (slug, name, country index, office, term_start, term_end)
        self.terms: list[tuple[list[int], list[int]]] = []  # per country: (starts, leader ids)
        self.offices = [rng.choice(OFFICES) for _ in range(countries)]
        for country in range(countries):
            count = total // countries + (1 if country < total % countries else 0)
            cuts = sorted(rng.sample(range(start + 1, end), count - 1))
            starts = [start, *cuts]
            leader_indexes = []
            for term, term_start in enumerate(starts):
                term_end = starts[term + 1] - 1 if term + 1 < len(starts) else None
                name = f"{self._name((1, 3))} {self._name((2, 4))}"
                index = len(self.leaders)
                self.leaders.append(
                    (
                        f"{self.prefix}{_ascii_slug(name)}-{index}",
                        name,
                        country,
                        self.offices[country],
                        # The first term began before the records do: its start is unknown.
                        self.iso(term_start) if term else None,
                        self.iso(term_end) if term_end else None,
                    )
                )
                leader_indexes.append(index)
            self.terms.append((starts, leader_indexes))

    def _summit_sizes(self, kinds: list[str]) -> list[int]:
        """Attendees per summit: 2 at a bilateral, 10 to 70 elsewhere, adding up to the total."""
        rng = self.rng
        total = self.scale["attendances"]
        countries = len(self.codes)
        sizes = [2 if kind == SummitKind.BILATERAL else rng.randint(10, 70) for kind in kinds]
        adjustable = [i for i, kind in enumerate(kinds) if kind != SummitKind.BILATERAL]
        wanted = total - 2 * (len(sizes) - len(adjustable))
        if not adjustable or not len(adjustable) <= wanted <= len(adjustable) * countries:
            raise ValueError(f"Cannot spread {total} attendances over {len(sizes)} summits.")
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

    def _build_summits(self) -> None:
        rng = self.rng
        count = self.scale["summits"]
        today = TODAY.toordinal()
        kinds = []
        for _ in range(count):
            roll = rng.random()
            kinds.append(
                SummitKind.BILATERAL
                if roll < 0.08 and count > 1
                else SummitKind.EXTRAORDINARY
                if roll < 0.18
                else SummitKind.OTHER
                if roll < 0.22
                else SummitKind.ORDINARY
            )
        if all(kind == SummitKind.BILATERAL for kind in kinds):
            kinds[0] = SummitKind.ORDINARY
        sizes = self._summit_sizes(kinds)
        self.summits = []  # (slug, name, org index|None, kind, status, host|None, city, start, end, precision)
        self.summit_plans = []  # (size, org index|None, host|None, start ordinal, precision, fate)
        for index, (kind, size) in enumerate(zip(kinds, sizes, strict=True)):
            year = rng.randint(FIRST_YEAR, LAST_YEAR)
            roll = rng.random()
            if index < 3:  # even a small data set has a date at each precision
                roll = (0.0, 0.9, 0.99)[index]
            if roll < 0.85:
                precision = DAY
                start = dt.date(year, 1, 1).toordinal() + rng.randrange(365)
                end = start + rng.choice((0, 1, 1, 2, 2, 3))
            elif roll < 0.95:
                precision, start, end = (
                    MONTH,
                    dt.date(year, rng.randint(1, 12), 1).toordinal(),
                    None,
                )
            else:
                precision, start, end = YEAR, dt.date(year, 1, 1).toordinal(), None
            last_day = end or start
            if last_day < today:
                fate = rng.choices(
                    [SummitStatus.HELD, SummitStatus.CANCELLED, SummitStatus.POSTPONED],
                    weights=[95, 3, 2],
                )[0]
            else:
                fate = rng.choices(
                    [SummitStatus.SCHEDULED, SummitStatus.ANNOUNCED, SummitStatus.POSTPONED],
                    weights=[60, 35, 5],
                )[0]
            organization = (
                None if kind == SummitKind.BILATERAL else rng.randrange(len(self.members))
            )
            pool = (
                self.members[organization] if organization is not None else range(len(self.codes))
            )
            host = rng.choice(pool) if rng.random() < 0.9 else None
            city = f"{self._name((2, 3))}" if host is not None and rng.random() < 0.9 else ""
            if organization is not None:
                short = self.organizations[organization][2]
                name = f"{short} Summit {year}" + (f", {city}" if city else "")
                slug = f"{self.prefix}{short.lower()}-{year}-{index}"
            else:
                name = f"Bilateral summit {year}" + (f", {city}" if city else "")
                slug = f"{self.prefix}bilateral-{year}-{index}"
            self.summits.append(
                (
                    slug,
                    name,
                    organization,
                    kind.value,
                    fate.value,
                    host,
                    city,
                    self.iso(start),
                    self.iso(end) if end is not None else None,
                    precision,
                )
            )
            self.summit_plans.append((size, organization, host, start, precision, fate))

    def _build_attendances(self) -> None:
        rng = self.rng
        countries = len(self.codes)
        today = TODAY.toordinal()
        timelines = {
            SummitStatus.HELD: _weighted(HELD_TIMELINES),
            SummitStatus.CANCELLED: _weighted(CALLED_OFF_TIMELINES),
            SummitStatus.POSTPONED: _weighted(CALLED_OFF_TIMELINES),
            SummitStatus.SCHEDULED: _weighted(UPCOMING_TIMELINES),
            SummitStatus.ANNOUNCED: _weighted(UPCOMING_TIMELINES),
        }
        members = [set(group) for group in self.members]
        # (summit index, country index, leader index|None, role, status, note)
        self.attendances = []
        # (attendance index, status, as_of, precision, note)
        self.changes = []
        for summit, (size, organization, host, start, precision, fate) in enumerate(
            self.summit_plans
        ):
            pool = self.members[organization] if organization is not None else None
            if pool is not None and size <= len(pool):
                chosen = rng.sample(pool, size)
            else:
                rest = [
                    c for c in range(countries) if pool is None or c not in members[organization]
                ]
                chosen = list(pool or []) + rng.sample(rest, size - len(pool or []))
            if host is not None and host not in chosen:
                chosen[0] = host
            chosen.sort()
            options, weights = timelines[fate]
            for country in chosen:
                if country == host:
                    role = AttendanceRole.HOST.value
                elif organization is not None and country in members[organization]:
                    role = AttendanceRole.MEMBER.value
                else:
                    role = AttendanceRole.PARTNER.value if rng.random() < 0.5 else "guest"
                if rng.random() < 0.1:
                    role = None  # not stated
                leader = None
                if rng.random() < 0.92:
                    starts, leader_indexes = self.terms[country]
                    leader = leader_indexes[max(0, bisect_right(starts, start) - 1)]
                timeline = rng.choices(options, cum_weights=weights)[0]
                attendance = len(self.attendances)
                steps = self._dated(timeline, start=start, precision=precision, today=today)
                for status, as_of, as_of_precision in steps:
                    note = "Reported by a wire service." if rng.random() < 0.05 else ""
                    self.changes.append((attendance, status, as_of, as_of_precision, note))
                note = (
                    "Delegation led by a deputy." if leader is None and rng.random() < 0.2 else ""
                )
                self.attendances.append((summit, country, leader, role, steps[-1][0], note))

    def _dated(
        self, timeline: tuple, *, start: int, precision: str, today: int
    ) -> list[tuple[str, str, str]]:
        """The timeline's steps, each on a strictly later day than the one before."""
        rng = self.rng
        before = [status for status in timeline if status not in OUTCOMES]
        # Steps before the summit fall in the months before it (and never after "today").
        anchor = min(start - 1, today)
        offsets = sorted(rng.sample(range(0, 240), len(before)), reverse=True)
        steps = []
        previous = None
        for status, offset in zip(before, offsets, strict=True):
            day = anchor - offset
            as_of, as_of_precision = day, DAY
            if rng.random() < 0.1:
                first = dt.date.fromordinal(day).replace(day=1).toordinal()
                if previous is None or first > previous:
                    as_of, as_of_precision = first, MONTH
            steps.append((status.value, as_of, as_of_precision))
            previous = as_of
        for status in timeline:
            if status in OUTCOMES:
                as_of = start if previous is None or start > previous else previous + 1
                steps.append((status.value, as_of, precision if as_of == start else DAY))
                previous = as_of
        return [(status, self.iso(day), prec) for status, day, prec in steps]

    def write(self, connection) -> dict[str, int]:
        """Insert every row with explicit ids (after the current largest), parents first."""
        rng = random.Random(f"{self.seed}-evidence")
        # Countries are shared: reuse each code that exists, add the others.
        existing = dict(
            Country.objects.using(connection.alias)
            .filter(code__in=self.codes)
            .values_list("code", "id")
        )
        missing = [code for code in self.codes if code not in existing]
        first = _next_id(connection, Country)
        self._insert(
            connection,
            Country,
            ["id", "code", "name"],
            [(first + i, code, country_name(code)) for i, code in enumerate(missing)],
        )
        country_ids = {**existing, **{code: first + i for i, code in enumerate(missing)}}
        country_id = [country_ids[code] for code in self.codes]

        first = _next_id(connection, Organization)
        organization_id = list(range(first, first + len(self.organizations)))
        self._insert(
            connection,
            Organization,
            ["id", "slug", "name", "short_name", "founded_on", "records_complete_from"],
            [(pk, *row) for pk, row in zip(organization_id, self.organizations, strict=True)],
        )

        first = _next_id(connection, Leader)
        leader_id = list(range(first, first + len(self.leaders)))
        self._insert(
            connection,
            Leader,
            ["id", "slug", "name", "country", "office", "term_start", "term_end"],
            [
                (pk, slug, name, country_id[country], office, term_start, term_end)
                for pk, (slug, name, country, office, term_start, term_end) in zip(
                    leader_id, self.leaders, strict=True
                )
            ],
        )

        first = _next_id(connection, Source)
        texts = [source_text(self.prefix, index) for index in range(self.scale["sources"])]
        sources = [
            (
                first + index,
                f"{self.prefix}source-{index}",
                f"Synthetic wire report {index}",
                "",
                f"Wire service {index % 7}",
                "en",
                f"https://example.org/{self.prefix}reports/{index}",
                "",
                text,
                text_digest(text),
                len(text),
                "Generated for benchmarks; not a real source.",
            )
            for index, text in enumerate(texts)
        ]
        self._insert(
            connection,
            Source,
            [
                "id",
                "key",
                "title",
                "author",
                "publisher",
                "language",
                "url",
                "seed_file",
                "text",
                "sha256",
                "length",
                "note",
            ],
            sources,
        )
        source_id = [row[0] for row in sources]

        first = _next_id(connection, Summit)
        summit_id = list(range(first, first + len(self.summits)))
        self._insert(
            connection,
            Summit,
            [
                "id",
                "slug",
                "name",
                "organization",
                "kind",
                "status",
                "host_country",
                "city",
                "start_date",
                "end_date",
                "date_precision",
            ],
            [
                (
                    pk,
                    slug,
                    name,
                    organization_id[org] if org is not None else None,
                    kind,
                    status,
                    country_id[host] if host is not None else None,
                    city,
                    start,
                    end,
                    precision,
                )
                for pk, (slug, name, org, kind, status, host, city, start, end, precision) in zip(
                    summit_id, self.summits, strict=True
                )
            ],
        )

        first = _next_id(connection, Attendance)
        attendance_id = list(range(first, first + len(self.attendances)))
        self._insert(
            connection,
            Attendance,
            ["id", "summit", "country", "leader", "role", "status", "note"],
            [
                (
                    pk,
                    summit_id[summit],
                    country_id[country],
                    leader_id[leader] if leader is not None else None,
                    role,
                    status,
                    note,
                )
                for pk, (summit, country, leader, role, status, note) in zip(
                    attendance_id, self.attendances, strict=True
                )
            ],
        )

        first = _next_id(connection, StatusChange)
        change_id = list(range(first, first + len(self.changes)))
        self._insert(
            connection,
            StatusChange,
            ["id", "attendance", "status", "as_of", "as_of_precision", "note"],
            [
                (pk, attendance_id[attendance], status, as_of, precision, note)
                for pk, (attendance, status, as_of, precision, note) in zip(
                    change_id, self.changes, strict=True
                )
            ],
        )

        citations = list(
            self._citations(
                rng, source_id, summit_id, attendance_id, change_id, _next_id(connection, Citation)
            )
        )
        self._insert(
            connection,
            Citation,
            [
                "id",
                "source",
                "summit",
                "attendance",
                "status_change",
                "field",
                "quote",
                "start",
                "end",
                "basis",
            ],
            citations,
        )
        return {
            "countries": len(self.codes),
            "organizations": len(self.organizations),
            "leaders": len(self.leaders),
            "sources": len(sources),
            "summits": len(self.summits),
            "attendances": len(self.attendances),
            "status_changes": len(self.changes),
            "citations": len(citations),
        }

    def _insert(self, connection, model: type[models.Model], columns: Sequence[str], rows: list):
        _insert(connection, model, columns, rows, progress=self.progress)

    def _citations(
        self,
        rng: random.Random,
        source_id: list[int],
        summit_id: list[int],
        attendance_id: list[int],
        change_id: list[int],
        first: int,
    ) -> Iterable[tuple]:
        """Evidence: every summit's dates, a quarter of the leaders or roles, a tenth of the
        status changes, each quoting a sentence of a source's text at its offsets."""
        # A quote of a source's text is stated or implied by it, never external.
        bases = [CitationBasis.STATED.value] * 6 + [CitationBasis.IMPLIED.value] * 2
        spans = source_sentence_spans(self.prefix)

        def evidence(basis: str) -> tuple:
            start, end = rng.choice(spans)
            quote = SOURCE_SENTENCES[spans.index((start, end))]
            return rng.choice(source_id), quote, start, end, basis

        pk = first
        for index in range(len(self.summits)):
            source, quote, start, end, basis = evidence("stated")
            target = (summit_id[index], None, None)
            yield (pk, source, *target, "start_date", quote, start, end, basis)
            pk += 1
        for index, (_, _, leader, _, _, _) in enumerate(self.attendances):
            if rng.random() < 0.25:
                field_name = "leader" if leader is not None else "role"
                source, quote, start, end, basis = evidence(rng.choice(bases))
                target = (None, attendance_id[index], None)
                yield (pk, source, *target, field_name, quote, start, end, basis)
                pk += 1
        for index in range(len(self.changes)):
            if rng.random() < 0.1:
                source, quote, start, end, basis = evidence(rng.choice(bases))
                target = (None, None, change_id[index])
                yield (pk, source, *target, "status", quote, start, end, basis)
                pk += 1
