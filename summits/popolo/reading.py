"""What the Popolo export reads: one query per table, each table in the order of the records it
belongs to, so that its rows are handed to their record as they come (a merge join) and memory
holds one summit's rows at a time, whatever the size of the data.

Summits go by start date and id; their attendances, status changes and citations are read in
that order too (then by country, by date, by id), which the indexes on a summit's start date and
on an attendance's summit and country give without sorting the whole table first.

A filtered document's leaders, countries and organizations are the distinct values of a column
of the matched summits' attendances (or of the summits): a subquery with DISTINCT, which the
database makes once, from those summits' attendances, and joins to the table. Leaders as a
plain `IN` (or `EXISTS`) were instead walked in slug order and each tested against the summits,
which PostgreSQL chooses for a cursor (it plans for the first rows) and which read every
leader's every attendance when a search matched a few summits (6 s for none at 1,000,000).
"""

from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from summits.models import (
    Attendance,
    Citation,
    Country,
    Leader,
    LeaderName,
    Organization,
    OrganizationName,
    StatusChange,
    Summit,
)

Row = dict[str, Any]

# Rows fetched from a cursor at a time.
CHUNK = 2_000

CITATION_COLUMNS = (
    "source__key",
    "source__url",
    "source__title",
    "field",
    "quote",
    "start",
    "end",
    "basis",
)
# The order of summits, and the prefix of every order below that follows them.
SUMMIT_ORDER = ("start_date", "id")


@dataclass(frozen=True)
class PopoloSelection:
    """What a document covers: the summits matched, and whether that is the whole data set
    (every leader, country and organization) or only what those summits refer to."""

    summits: QuerySet[Summit]
    whole: bool

    def probe(self) -> None:
        """Read the first row of the document's first table as the document reads it (the same
        query from a cursor, so the same plan): the database answers, and runs that query in
        time, before the first byte rather than in the middle of the body."""
        first = rows(_leader_query(self), chunk_size=1)
        next(first, None)
        first.close()

    def _summit_ids(self) -> QuerySet:
        return self.summits.order_by().values("pk")

    def attendances(self) -> QuerySet[Attendance]:
        if self.whole:
            return Attendance.objects.all()
        return Attendance.objects.filter(summit__in=self._summit_ids())

    def _attending(self, column: str) -> QuerySet:
        """The distinct `column` of the summits' attendances, made once (a subquery with DISTINCT
        is not merged into the query around it)."""
        return self.attendances().order_by().values(column).distinct()

    def _held(self, column: str) -> QuerySet:
        """The distinct `column` of the summits themselves."""
        return self.summits.order_by().values(column).distinct()

    def leaders(self) -> QuerySet[Leader]:
        """Every leader, or those of the summits' attendances."""
        if self.whole:
            return Leader.objects.all()
        return Leader.objects.filter(pk__in=self._attending("leader_id"))

    def leader_names(self) -> QuerySet[LeaderName]:
        if self.whole:
            return LeaderName.objects.all()
        return LeaderName.objects.filter(leader__in=self._attending("leader_id"))

    def countries(self) -> QuerySet[Country]:
        """Every country, or those that attend or host the summits."""
        if self.whole:
            return Country.objects.all()
        return Country.objects.filter(
            Q(pk__in=self._attending("country_id")) | Q(pk__in=self._held("host_country_id"))
        )

    def organizations(self) -> QuerySet[Organization]:
        """Every organization, or those that hold the summits."""
        if self.whole:
            return Organization.objects.all()
        return Organization.objects.filter(pk__in=self._held("organization_id"))

    def organization_names(self) -> QuerySet[OrganizationName]:
        if self.whole:
            return OrganizationName.objects.all()
        return OrganizationName.objects.filter(organization__in=self._held("organization_id"))

    def status_changes(self) -> QuerySet[StatusChange]:
        if self.whole:
            return StatusChange.objects.all()
        return StatusChange.objects.filter(attendance__summit__in=self._summit_ids())

    def citations(self, target: str) -> QuerySet[Citation]:
        """The citations of the summits (`summit`), of their attendances (`attendance__summit`)
        or of those attendances' status changes (`status_change__attendance__summit`)."""
        if self.whole:
            return Citation.objects.filter(**{f"{target}__isnull": False})
        return Citation.objects.filter(**{f"{target}__in": self._summit_ids()})


def rows(queryset: QuerySet[Any, Any], chunk_size: int | None = None) -> Generator[Row]:
    """The rows from a server-side cursor (where the database has them), a chunk at a time;
    closing the generator closes the cursor."""
    yield from queryset.iterator(chunk_size=chunk_size or CHUNK)


def _leader_query(selection: PopoloSelection) -> QuerySet[Leader, Any]:
    return (
        selection.leaders()
        .order_by("slug")
        .values(
            "id",
            "slug",
            "name",
            "office",
            "term_start",
            "term_end",
            "country__code",
            "country__name",
        )
    )


def leader_rows(selection: PopoloSelection) -> Iterator[Row]:
    return rows(_leader_query(selection))


def leader_name_rows(selection: PopoloSelection) -> Iterator[Row]:
    return rows(
        selection.leader_names()
        .order_by("leader__slug", "language", "name", "id")
        .values("leader_id", "name", "language")
    )


def country_rows(selection: PopoloSelection) -> Iterator[Row]:
    return rows(selection.countries().order_by("code").values("id", "code", "name"))


def organization_rows(selection: PopoloSelection) -> Iterator[Row]:
    return rows(
        selection.organizations()
        .order_by("slug")
        .values("id", "slug", "name", "short_name", "founded_on")
    )


def organization_name_rows(selection: PopoloSelection) -> Iterator[Row]:
    return rows(
        selection.organization_names()
        .order_by("organization__slug", "language", "name", "id")
        .values("organization_id", "name", "language")
    )


def summit_rows(selection: PopoloSelection) -> Iterator[Row]:
    return rows(
        selection.summits.order_by(*SUMMIT_ORDER).values(
            "id",
            "slug",
            "name",
            "kind",
            "status",
            "city",
            "start_date",
            "end_date",
            "date_precision",
            "organization__slug",
            "host_country__code",
            "host_country__name",
        )
    )


def _after_summits(path: str, *then: str) -> tuple[str, ...]:
    """An order that follows the summits' through `path` (the way to the summit), then `then`."""
    return (*(f"{path}__{column}" for column in SUMMIT_ORDER), *then)


def attendance_rows(selection: PopoloSelection) -> Iterator[Row]:
    return rows(
        selection.attendances()
        .order_by(*_after_summits("summit", "country_id"))
        .values(
            "id",
            "summit_id",
            "country__code",
            "leader__slug",
            "leader__name",
            "role",
            "status",
            "note",
        )
    )


def status_change_rows(selection: PopoloSelection) -> Iterator[Row]:
    return rows(
        selection.status_changes()
        .order_by(*_after_summits("attendance__summit", "attendance__country_id", "as_of", "id"))
        .values("id", "attendance_id", "status", "as_of", "as_of_precision", "note")
    )


def summit_citation_rows(selection: PopoloSelection) -> Iterator[Row]:
    return rows(
        selection.citations("summit")
        .order_by(*_after_summits("summit", "id"))
        .values("summit_id", *CITATION_COLUMNS)
    )


def attendance_citation_rows(selection: PopoloSelection) -> Iterator[Row]:
    return rows(
        selection.citations("attendance__summit")
        .order_by(*_after_summits("attendance__summit", "attendance__country_id", "id"))
        .values("attendance_id", *CITATION_COLUMNS)
    )


def status_change_citation_rows(selection: PopoloSelection) -> Iterator[Row]:
    change = "status_change"
    return rows(
        selection.citations(f"{change}__attendance__summit")
        .order_by(
            *_after_summits(
                f"{change}__attendance__summit",
                f"{change}__attendance__country_id",
                f"{change}__as_of",
                f"{change}_id",
                "id",
            )
        )
        .values("status_change_id", *CITATION_COLUMNS)
    )


class Children:
    """The rows of a table read in the order of the records they belong to, handed out record by
    record: `of(key)` takes the rows whose `parent` column is `key`, as long as they come next.

    Every row's record must be asked for, in the order the rows come; so both queries select
    the same records, in the same order, in one snapshot of the data.
    """

    def __init__(self, rows: Iterable[Row], parent: str) -> None:
        self._rows = iter(rows)
        self._parent = parent
        self._next: Row | None = None
        self._started = False

    def of(self, key: object) -> list[Row]:
        if not self._started:
            self._next = next(self._rows, None)
            self._started = True
        found = []
        while self._next is not None and self._next[self._parent] == key:
            found.append(self._next)
            self._next = next(self._rows, None)
        return found
