"""A facts file's tables: the kinds of rows it declares, in fixture order, and one table read
field by field, every field checked and used once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from summits.dates import DatePrecision, parse_partial_date
from summits.models import (
    Attendance,
    Citation,
    Country,
    Leader,
    LeaderName,
    Organization,
    OrganizationName,
    Source,
    StatusChange,
    Summit,
    SummitName,
)

# The order rows appear in a fixture: every row after the rows it refers to.
KINDS: tuple[str, ...] = (
    "countries",
    "organizations",
    "leaders",
    "sources",
    "summits",
    "attendances",
    "status_changes",
    "citations",
)
MODELS: dict[str, type[models.Model]] = {
    "countries": Country,
    "organizations": Organization,
    "leaders": Leader,
    "sources": Source,
    "summits": Summit,
    "attendances": Attendance,
    "status_changes": StatusChange,
    "citations": Citation,
}
# The records that carry names in other languages (`names = { ja = "..." }`), and their table.
NAME_MODELS: dict[str, type[LeaderName | OrganizationName | SummitName]] = {
    "leaders": LeaderName,
    "organizations": OrganizationName,
    "summits": SummitName,
}
# A citation's target, as the facts file nests it, and the Citation field that points to it.
CITATION_TARGET_FIELDS: dict[str, str] = {
    "summits": "summit",
    "attendances": "attendance",
    "status_changes": "status_change",
}

Key = tuple[str, ...]


class FactsError(Exception):
    """A facts file that cannot become a fixture; the message says where and why."""


@dataclass
class Row:
    """One table of a facts file: a record's fields, read once each, with its place for errors."""

    table: dict[str, Any]
    where: str
    used: set[str] = field(default_factory=set)

    def fail(self, message: str) -> FactsError:
        return FactsError(f"{self.where}: {message}")

    def get(self, name: str, default: Any = None) -> Any:
        self.used.add(name)
        return self.table.get(name, default)

    def text(self, name: str, *, required: bool = False, default: str = "") -> str:
        value = self.get(name)
        if value is None:
            if required:
                raise self.fail(f"`{name}` is required.")
            return default
        if not isinstance(value, str):
            raise self.fail(f"`{name}` must be a string, not {value!r}.")
        if required and not value:
            raise self.fail(f"`{name}` must not be empty.")
        return value

    def choice(self, name: str, model: type[models.Model], *, required: bool = True) -> str | None:
        value = self.text(name, required=required) or None
        declared = model._meta.get_field(name)
        choices = declared.choices if isinstance(declared, models.Field) else None
        allowed = [str(value) for value, _ in choices or []]
        if value is not None and value not in allowed:
            raise self.fail(f"`{name}` is {value!r}; use one of {', '.join(allowed)}.")
        return value

    def full_date(self, name: str) -> str | None:
        value = self.text(name)
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            raise self.fail(f"`{name}` is {value!r}; use a full date, YYYY-MM-DD.") from None

    def partial_date(
        self, name: str, *, required: bool = True
    ) -> tuple[dt.date, DatePrecision] | None:
        value = self.text(name, required=required)
        if not value:
            return None
        try:
            return parse_partial_date(value)
        except ValueError as error:
            raise self.fail(f"`{name}` is {value!r}: {error}") from None

    def forbid(self, name: str, reason: str) -> None:
        if name in self.table:
            raise self.fail(f"`{name}` must not be given: {reason}")

    def check_all_used(self) -> None:
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            raise self.fail(f"unknown field(s) {', '.join(unknown)}.")


def label(kind: str, key: Key) -> str:
    return f"{kind}[{'/'.join(key)}]"
