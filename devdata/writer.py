"""Writing a generated world: each table in turn, parents first, with explicit ids after the
table's current largest; each row's columns are its model's fields, in the model's order."""

from collections.abc import Sequence
from typing import Any

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from devdata.rows import CountryRow, row_columns
from devdata.tables import Progress, table_insert, table_next_id
from devdata.vocabulary import country_name
from devdata.world import World
from summits.models import (
    Attendance,
    Citation,
    Country,
    Leader,
    Organization,
    Source,
    StatusChange,
    Summit,
)

# The ids of a table's new rows, by the rows' index in the world.
Ids = Sequence[int]


def world_write(
    connection: BaseDatabaseWrapper, world: World, progress: Progress | None = None
) -> dict[str, int]:
    """Insert every row of the world; how many rows of each table it holds."""

    def write(model: type[models.Model], rows: Sequence[tuple], **references: Ids) -> Ids:
        return rows_write(connection, model, rows, references=references, progress=progress)

    country = countries_write(connection, world.codes, progress=progress)
    organization = write(Organization, world.organizations)
    leader = write(Leader, world.leaders, country=country)
    source = write(Source, world.sources)
    summit = write(Summit, world.summits, organization=organization, host_country=country)
    attendance = write(Attendance, world.attendances, summit=summit, country=country, leader=leader)
    status_change = write(StatusChange, world.changes, attendance=attendance)
    write(
        Citation,
        world.citations,
        source=source,
        summit=summit,
        attendance=attendance,
        status_change=status_change,
    )
    return {
        "countries": len(world.codes),
        "organizations": len(world.organizations),
        "leaders": len(world.leaders),
        "sources": len(world.sources),
        "summits": len(world.summits),
        "attendances": len(world.attendances),
        "status_changes": len(world.changes),
        "citations": len(world.citations),
    }


def countries_write(
    connection: BaseDatabaseWrapper, codes: list[str], progress: Progress | None = None
) -> Ids:
    """Countries are shared: reuse each code that exists, add the others. Their ids, by index."""
    existing = dict(
        Country.objects.using(connection.alias).filter(code__in=codes).values_list("code", "id")
    )
    missing = [code for code in codes if code not in existing]
    rows = [CountryRow(code=code, name=country_name(code)) for code in missing]
    added = rows_write(connection, Country, rows, references={}, progress=progress)
    ids = existing | dict(zip(missing, added, strict=True))
    return [ids[code] for code in codes]


def rows_write(
    connection: BaseDatabaseWrapper,
    model: type[models.Model],
    rows: Sequence[tuple],
    *,
    references: dict[str, Ids],
    progress: Progress | None = None,
) -> Ids:
    """Insert the model's rows (see devdata.rows), a foreign key's index turned into the id
    that `references` holds at that index for the field. The new rows' ids, in order."""
    columns = row_columns(model)
    unresolved = {field.name for field, _ in columns if field.is_relation} - set(references)
    if unresolved:
        raise TypeError(f"No ids given for {model.__name__}'s {sorted(unresolved)}.")
    first = table_next_id(connection, model)
    ids = range(first, first + len(rows))
    # Column by column: a comprehension per column is much faster than a loop per row.
    values = [ids] + [
        _column(rows, position, references.get(field.name)) for field, position in columns
    ]
    fields = [model._meta.pk, *(field for field, _ in columns)]
    table_insert(connection, model, fields, list(zip(*values, strict=True)), progress)
    return ids


def _column(rows: Sequence[tuple], position: int, ids: Ids | None) -> Sequence[Any]:
    """The values at `position` of every row, foreign keys' indexes turned into ids."""
    if ids is None:
        return [row[position] for row in rows]
    return [None if row[position] is None else ids[row[position]] for row in rows]
