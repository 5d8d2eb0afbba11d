"""The generated rows, one named tuple per model, named after the model's fields.

A row holds every concrete field of its model but the id, which is given at write time. A
foreign key holds an index into the world's list of the rows it refers to (a country, an index
into the world's codes), turned into an id as it is written. `row_columns` checks each row type
against its model, so a field added to a model stops the generator until it gives a value.
"""

from typing import NamedTuple, get_type_hints

from django.db import models

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


class CountryRow(NamedTuple):
    code: str
    name: str


class OrganizationRow(NamedTuple):
    slug: str
    name: str
    short_name: str
    founded_on: str | None
    records_complete_from: str | None


class LeaderRow(NamedTuple):
    slug: str
    name: str
    country: int
    office: str
    term_start: str | None
    term_end: str | None


class SourceRow(NamedTuple):
    key: str
    title: str
    author: str
    publisher: str
    language: str
    url: str
    seed_file: str
    text: str
    sha256: str
    length: int
    note: str


class SummitRow(NamedTuple):
    slug: str
    name: str
    organization: int | None
    kind: str
    status: str
    host_country: int | None
    city: str
    start_date: str
    end_date: str | None
    date_precision: str


class AttendanceRow(NamedTuple):
    summit: int
    country: int
    leader: int | None
    role: str | None
    status: str
    note: str


class StatusChangeRow(NamedTuple):
    attendance: int
    status: str
    as_of: str
    as_of_precision: str
    note: str


class CitationRow(NamedTuple):
    source: int
    summit: int | None
    attendance: int | None
    status_change: int | None
    field: str
    quote: str
    start: int
    end: int
    basis: str


# Parents first: the order in which the tables are written.
ROW_TYPES: dict[type[models.Model], type[tuple]] = {
    Country: CountryRow,
    Organization: OrganizationRow,
    Leader: LeaderRow,
    Source: SourceRow,
    Summit: SummitRow,
    Attendance: AttendanceRow,
    StatusChange: StatusChangeRow,
    Citation: CitationRow,
}
MODELS = list(ROW_TYPES)


def row_columns(model: type[models.Model]) -> list[tuple[models.Field, int]]:
    """The model's concrete fields but its primary key and those the database keeps, in the
    model's order, each with its position in the model's row type, after checking that the row
    type names exactly these."""
    kept_by_database = getattr(model, "kept_by_database", ())
    fields = [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in kept_by_database
    ]
    names = list(get_type_hints(ROW_TYPES[model]))
    missing = {field.name for field in fields} - set(names)
    unknown = set(names) - {field.name for field in fields}
    if missing or unknown:
        raise TypeError(
            f"{ROW_TYPES[model].__name__} does not match {model.__name__}: "
            f"missing {sorted(missing)}, unknown {sorted(unknown)}."
        )
    return [(field, names.index(field.name)) for field in fields]
