"""Reading facts files: a file and the files it extends, checked as TOML and as facts, each
row declared under its natural key, then merged into one catalog."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summits.facts.tables import CITATION_TARGET_FIELDS, KINDS, FactsError, Key, Row, label

_TOP_LEVEL_KEYS = {"extends", "citation_defaults", *KINDS[:6]}


@dataclass
class Declaration:
    """A row as one facts file declares it: its natural key, its own fields and its citations."""

    kind: str
    key: Key
    table: dict[str, Any]
    where: str
    citations: list[Row] = field(default_factory=list)


@dataclass
class FactsFile:
    path: Path
    extends: Path | None
    citation_defaults: dict[str, Any]
    declarations: list[Declaration]


@dataclass
class Catalog:
    """Every row the fixture and the fixtures it loads after declare, merged by natural key."""

    tables: dict[tuple[str, Key], dict[str, Any]] = field(default_factory=dict)
    # Each attendance's status changes in the order given: (as_of, status).
    timelines: dict[Key, list[tuple[dt.date, str]]] = field(default_factory=dict)

    def has(self, kind: str, key: Key) -> bool:
        return (kind, key) in self.tables

    def get(self, kind: str, key: Key) -> dict[str, Any]:
        return self.tables[(kind, key)]


def facts_chain(*, facts_path: Path) -> list[FactsFile]:
    """The facts file and the files it extends, the file loaded first coming first."""
    chain: list[FactsFile] = []
    path: Path | None = facts_path
    while path is not None:
        if any(facts.path == path for facts in chain):
            raise FactsError(f"{path.name}: `extends` goes round in a circle.")
        facts = _facts_read(path=path)
        chain.append(facts)
        path = facts.extends
    return chain[::-1]


def _facts_read(*, path: Path) -> FactsFile:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FactsError(f"No facts file {path}.") from None
    except tomllib.TOMLDecodeError as error:
        raise FactsError(f"{path.name} is not valid TOML: {error}.") from None
    unknown = sorted(set(document) - _TOP_LEVEL_KEYS)
    if unknown:
        raise FactsError(
            f"{path.name}: unknown top-level key(s) {', '.join(unknown)}; "
            f"use {', '.join(sorted(_TOP_LEVEL_KEYS))}."
        )
    extends = document.get("extends")
    citation_defaults = document.get("citation_defaults", {})
    unknown = sorted(set(citation_defaults) - {"source", "basis"})
    if unknown:
        raise FactsError(
            f"{path.name}: unknown key(s) {', '.join(unknown)} in [citation_defaults]; "
            "use source and basis."
        )
    declarations: list[Declaration] = []
    for kind in KINDS[:6]:
        tables = document.get(kind, [])
        if not isinstance(tables, list):
            raise FactsError(f"{path.name}: `{kind}` must be an array of tables ([[{kind}]]).")
        for index, table in enumerate(tables):
            declarations.extend(
                _declarations(kind=kind, table=table, where=f"{path.name}: {kind}[{index}]")
            )
    seen: dict[tuple[str, Key], str] = {}
    for declaration in declarations:
        slot = (declaration.kind, declaration.key)
        if slot in seen:
            earlier = seen[slot]
            raise FactsError(
                f"{declaration.where}: {label(declaration.kind, declaration.key)} is already "
                f"declared at {earlier}."
            )
        seen[slot] = declaration.where
    return FactsFile(
        path=path,
        extends=path.with_name(f"{extends}.toml") if extends else None,
        citation_defaults=dict(citation_defaults),
        declarations=declarations,
    )


def _declarations(*, kind: str, table: dict[str, Any], where: str) -> list[Declaration]:
    """A table of a facts file as declarations: the row itself, then any status changes in it."""
    own = {
        name: value for name, value in table.items() if name not in ("citations", "status_changes")
    }
    key = _natural_key(kind=kind, row=Row(own, where))
    where = f"{where} ({'/'.join(key)})"
    citations = [
        Row(citation, f"{where}.citations[{index}]")
        for index, citation in enumerate(table.get("citations", []))
    ]
    if citations and kind not in CITATION_TARGET_FIELDS:
        raise FactsError(f"{where}: only summits, attendances and status changes carry citations.")
    declarations = [Declaration(kind=kind, key=key, table=own, where=where, citations=citations)]
    changes = table.get("status_changes", [])
    if changes and kind != "attendances":
        raise FactsError(f"{where}: only attendances carry status changes.")
    for index, change in enumerate(changes):
        change_where = f"{where}.status_changes[{index}]"
        fields = {name: value for name, value in change.items() if name != "citations"}
        change_key = _natural_key(kind="status_changes", row=Row(fields, change_where), parent=key)
        change_where += f" ({change_key[2]} as of {change.get('as_of')})"
        declarations.append(
            Declaration(
                kind="status_changes",
                key=change_key,
                table=fields,
                where=change_where,
                citations=[
                    Row(citation, f"{change_where}.citations[{index}]")
                    for index, citation in enumerate(change.get("citations", []))
                ],
            )
        )
    return declarations


def _natural_key(*, kind: str, row: Row, parent: Key = ()) -> Key:
    """The natural key a row will have in the database, from its facts."""
    if kind == "countries":
        return (row.text("code", required=True),)
    if kind in ("organizations", "leaders", "summits"):
        return (row.text("slug", required=True),)
    if kind == "sources":
        return (row.text("key", required=True),)
    if kind == "attendances":
        return (row.text("summit", required=True), row.text("country", required=True))
    if kind == "status_changes":
        as_of = row.partial_date("as_of")
        assert as_of is not None
        return (*parent, row.text("status", required=True), as_of[0].isoformat())
    raise FactsError(f"{row.where}: unknown kind of record {kind!r}.")


def catalog_add(*, catalog: Catalog, facts: FactsFile) -> None:
    """Merge a facts file's rows into the catalog: a known natural key updates the given fields."""
    for declaration in facts.declarations:
        slot = (declaration.kind, declaration.key)
        known = slot in catalog.tables
        catalog.tables[slot] = {**catalog.tables.get(slot, {}), **declaration.table}
        if declaration.kind == "status_changes" and not known:
            as_of = Row(declaration.table, declaration.where).partial_date("as_of")
            assert as_of is not None
            catalog.timelines.setdefault(declaration.key[:2], []).append(
                (as_of[0], declaration.key[2])
            )
