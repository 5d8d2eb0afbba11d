"""What a list row looks like on the wire, declared once per resource.

Lists render hundreds of rows: DRF's per-field machinery, the fields it builds for every
serializer instance, and a `reverse()` per link cost more than the query. So a list reads its
rows as `.values(*representation.columns)` dicts and renders them with `representation.render`;
one record renders through the same declaration from its instance (`representation.row`). The
serializers take their `Meta.fields` from it, and so the schema's field list; the
serializers' declared fields still type those fields and take writes.
(tests/test_representation.py holds every row to DRF's generic rendering, keys and order.)

A representation maps each output key to what it shows:

- a column: a model field, or a `__` path through foreign keys ("country__code");
- `Link(column)`: the record's own URL, from the column holding its lookup value;
- `Computed(columns, function)`: a value worked out from several columns of the row.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models

from summits.dates import (
    anniversary_year,
    display_date_range,
    display_partial_date,
    iso_partial_date,
)

Row = dict[str, Any]
LinkFunction = Callable[[object], str]


@dataclass(frozen=True)
class Link:
    """The record's own URL, built from the value of `column` (its lookup field)."""

    column: str


@dataclass(frozen=True)
class Computed:
    """An output value worked out from the row's `columns` by `function(row)`."""

    columns: tuple[str, ...]
    function: Callable[[Row], object]


Shown = str | Link | Computed


class Representation:
    """A resource's output keys, in order, each with the column or function it shows."""

    def __init__(self, **shown: Shown) -> None:
        self.shown = shown
        self.keys: tuple[str, ...] = tuple(shown)
        self.columns: tuple[str, ...] = tuple(
            dict.fromkeys(column for spec in shown.values() for column in _columns(spec))
        )
        self._render = _compiled_renderer(shown)

    def render(self, row: Row, link: LinkFunction) -> dict[str, object]:
        """The JSON object of a `.values(*columns)` row; `link` builds a record's URL."""
        return self._render(row, link)

    def row(self, instance: models.Model) -> Row:
        """The instance as the `.values(*columns)` row of it (annotations included)."""
        return {column: _value_at(instance, column) for column in self.columns}

    def value(self, key: str, instance: models.Model, link: LinkFunction) -> Any:
        """One output value of an instance."""
        return self.render(self.row(instance), link)[key]


def _columns(spec: Shown) -> tuple[str, ...]:
    if isinstance(spec, Link):
        return (spec.column,)
    if isinstance(spec, Computed):
        return spec.columns
    return (spec,)


def _compiled_renderer(shown: dict[str, Shown]) -> Callable[[Row, LinkFunction], dict]:
    """`render` as one dict display, the code a hand-written renderer would be, made once per
    representation (as `dataclasses` makes `__init__`): a list renders hundreds of rows, and a
    loop over per-key getters took twice as long per row."""
    functions: dict[str, Callable[[Row], object]] = {}
    items = []
    for key, spec in shown.items():
        if isinstance(spec, Link):
            value = f"link(row[{spec.column!r}])"
        elif isinstance(spec, Computed):
            name = f"_computed_{len(functions)}"
            functions[name] = spec.function
            value = f"{name}(row)"
        else:
            value = f"row[{spec!r}]"
        items.append(f"{key!r}: {value}")
    source = f"def render(row, link):\n    return {{{', '.join(items)}}}\n"
    namespace: dict[str, Any] = dict(functions)
    exec(compile(source, f"<representation {', '.join(shown)}>", "exec"), namespace)
    return namespace["render"]


def _value_at(instance: models.Model, path: str) -> object:
    """The value at a `__` path from an instance; None past a null foreign key, as `.values()`
    gives it."""
    value: Any = instance
    for name in path.split("__"):
        if value is None:
            return None
        value = getattr(value, name)
    return value


def _isoformat(column: str) -> Computed:
    return Computed((column,), lambda row: _iso(row[column]))


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _partial_date(column: str, precision: str) -> Computed:
    """A date at its precision: "2024-07-09", "2022-06" or "2023"."""
    return Computed((column, precision), lambda row: iso_partial_date(row[column], row[precision]))


EVIDENCE = Representation(
    id="id",
    source="source__key",
    field="field",
    quote="quote",
    start="start",
    end="end",
    basis="basis",
)

STATUS_CHANGE = Representation(
    id="id",
    status="status",
    as_of=_partial_date("as_of", "as_of_precision"),
    as_of_precision="as_of_precision",
    as_of_display=Computed(
        ("as_of", "as_of_precision"),
        lambda row: display_partial_date(row["as_of"], row["as_of_precision"]),
    ),
    note="note",
)

# Who attends, in what role, with what status: on a summit's page and in the attendance list.
_ATTENDING: dict[str, Shown] = {
    "country": "country__code",
    "country_name": "country__name",
    "leader": "leader__slug",
    "leader_name": "leader__name",
    "role": "role",
    "status": "status",
}

ATTENDEE = Representation(id="id", url=Link("id"), **_ATTENDING)

ATTENDANCE = Representation(
    id="id",
    url=Link("id"),
    summit="summit__slug",
    summit_name="summit__name",
    **_ATTENDING,
    note="note",
    # Kept on write by the database (Attendance.first_for_country).
    first_for_country="first_for_country",
    first_for_leader="first_for_leader",
)

# Rows of a queryset annotated by `Summit.objects.with_attendee_count()`.
SUMMIT = Representation(
    slug="slug",
    url=Link("slug"),
    name="name",
    organization="organization__slug",
    kind="kind",
    status="status",
    host_country="host_country__code",
    city="city",
    start_date=_partial_date("start_date", "date_precision"),
    end_date=_isoformat("end_date"),
    date_precision="date_precision",
    dates=Computed(
        ("start_date", "end_date", "date_precision"),
        lambda row: display_date_range(row["start_date"], row["end_date"], row["date_precision"]),
    ),
    anniversary=Computed(
        ("organization__founded_on", "start_date"),
        lambda row: anniversary_year(row["organization__founded_on"], row["start_date"]),
    ),
    attendee_count="attendee_count",
)
