"""Turn the readable facts files in fixtures/facts/ into Django fixtures (natural keys, no pks).

A facts file is TOML. It lists countries, organizations, leaders, sources, summits and
attendances; an attendance holds its status changes, and a summit, attendance or status change
holds the citations for its fields. A citation gives only its quote: the builder finds the quote's
code-point offsets in the source's seed file. The builder also derives what must never be typed by
hand: a source's sha256, a date's stored first-of-period value and precision, and an attendance's
current status (its latest status change, by date, then by the order given).

A file that says `extends = "article"` is loaded after that fixture. A row it declares with the
natural key of a row of the base file is that row with the given fields changed, and is written
out whole, because `loaddata` replaces whole rows.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import models

from summits.dates import DatePrecision, parse_partial_date
from summits.evidence import citable_fields, quote_places, text_digest
from summits.models import (
    ISO_COUNTRY_CODE,
    Attendance,
    Citation,
    Country,
    Leader,
    Organization,
    Source,
    StatusChange,
    Summit,
)

FACTS_DIRNAME = "facts"

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
# A citation's target, as the facts file nests it, and the Citation field that points to it.
CITATION_TARGET_FIELDS: dict[str, str] = {
    "summits": "summit",
    "attendances": "attendance",
    "status_changes": "status_change",
}
# How many occurrences of a quote in a seed file are told apart by `occurrence`.
_SHOWN_OCCURRENCES = 1_000
_TOP_LEVEL_KEYS = {"extends", "citation_defaults", *KINDS[:6]}
_ISO_COUNTRY_CODE = re.compile(ISO_COUNTRY_CODE)

Key = tuple[str, ...]


class FactsError(Exception):
    """A facts file that cannot become a fixture; the message says where and why."""


@dataclass
class _Row:
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
        allowed = [str(value) for value, _ in model._meta.get_field(name).choices or []]
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


@dataclass
class _Declaration:
    """A row as one facts file declares it: its natural key, its own fields and its citations."""

    kind: str
    key: Key
    table: dict[str, Any]
    where: str
    citations: list[_Row] = field(default_factory=list)


@dataclass
class _FactsFile:
    path: Path
    extends: Path | None
    citation_defaults: dict[str, Any]
    declarations: list[_Declaration]


@dataclass
class _Catalog:
    """Every row the fixture and the fixtures it loads after declare, merged by natural key."""

    tables: dict[tuple[str, Key], dict[str, Any]] = field(default_factory=dict)
    # Each attendance's status changes in the order given: (as_of, status).
    timelines: dict[Key, list[tuple[dt.date, str]]] = field(default_factory=dict)

    def has(self, kind: str, key: Key) -> bool:
        return (kind, key) in self.tables

    def get(self, kind: str, key: Key) -> dict[str, Any]:
        return self.tables[(kind, key)]


def fixture_build(*, facts_path: Path, seeds_dir: Path) -> str:
    """The fixture JSON for one facts file: deterministic, indented, with a trailing newline."""
    chain = _facts_chain(facts_path=facts_path)
    catalog = _Catalog()
    for facts in chain:
        _catalog_add(catalog=catalog, facts=facts)
    own = chain[-1]
    seeds = _Seeds(seeds_dir=seeds_dir)
    entries = _fixture_entries(facts=own, catalog=catalog, seeds=seeds)
    return json.dumps(entries, indent=2, ensure_ascii=False) + "\n"


def fixtures_build(*, fixtures_dir: Path, seeds_dir: Path) -> dict[Path, str]:
    """Each fixture JSON path under `fixtures_dir`, with its text built from facts/<name>.toml."""
    facts_paths = sorted((fixtures_dir / FACTS_DIRNAME).glob("*.toml"))
    if not facts_paths:
        raise FactsError(f"No facts files (*.toml) in {fixtures_dir / FACTS_DIRNAME}.")
    return {
        fixtures_dir / f"{path.stem}.json": fixture_build(facts_path=path, seeds_dir=seeds_dir)
        for path in facts_paths
    }


def fixtures_write(*, fixtures_dir: Path, seeds_dir: Path) -> list[Path]:
    """Build every fixture and write those whose bytes changed; returns the paths written."""
    built = fixtures_build(fixtures_dir=fixtures_dir, seeds_dir=seeds_dir)
    written = []
    for path, text in built.items():
        data = text.encode("utf-8")
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
            written.append(path)
    return written


def fixtures_stale(*, fixtures_dir: Path, seeds_dir: Path) -> list[Path]:
    """The fixture files that are missing or differ from a fresh build; writes nothing."""
    built = fixtures_build(fixtures_dir=fixtures_dir, seeds_dir=seeds_dir)
    return [
        path
        for path, text in built.items()
        if not path.exists() or path.read_bytes() != text.encode("utf-8")
    ]


# Reading facts files.


def _facts_chain(*, facts_path: Path) -> list[_FactsFile]:
    """The facts file and the files it extends, the file loaded first coming first."""
    chain: list[_FactsFile] = []
    path: Path | None = facts_path
    while path is not None:
        if any(facts.path == path for facts in chain):
            raise FactsError(f"{path.name}: `extends` goes round in a circle.")
        facts = _facts_read(path=path)
        chain.append(facts)
        path = facts.extends
    return chain[::-1]


def _facts_read(*, path: Path) -> _FactsFile:
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
    declarations: list[_Declaration] = []
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
                f"{declaration.where}: {_label(declaration.kind, declaration.key)} is already "
                f"declared at {earlier}."
            )
        seen[slot] = declaration.where
    return _FactsFile(
        path=path,
        extends=path.with_name(f"{extends}.toml") if extends else None,
        citation_defaults=dict(citation_defaults),
        declarations=declarations,
    )


def _declarations(*, kind: str, table: dict[str, Any], where: str) -> list[_Declaration]:
    """A table of a facts file as declarations: the row itself, then any status changes in it."""
    own = {
        name: value for name, value in table.items() if name not in ("citations", "status_changes")
    }
    key = _natural_key(kind=kind, row=_Row(own, where))
    where = f"{where} ({'/'.join(key)})"
    citations = [
        _Row(citation, f"{where}.citations[{index}]")
        for index, citation in enumerate(table.get("citations", []))
    ]
    if citations and kind not in CITATION_TARGET_FIELDS:
        raise FactsError(f"{where}: only summits, attendances and status changes carry citations.")
    declarations = [_Declaration(kind=kind, key=key, table=own, where=where, citations=citations)]
    changes = table.get("status_changes", [])
    if changes and kind != "attendances":
        raise FactsError(f"{where}: only attendances carry status changes.")
    for index, change in enumerate(changes):
        change_where = f"{where}.status_changes[{index}]"
        fields = {name: value for name, value in change.items() if name != "citations"}
        change_key = _natural_key(kind="status_changes", row=_Row(fields, change_where), parent=key)
        change_where += f" ({change_key[2]} as of {change.get('as_of')})"
        declarations.append(
            _Declaration(
                kind="status_changes",
                key=change_key,
                table=fields,
                where=change_where,
                citations=[
                    _Row(citation, f"{change_where}.citations[{index}]")
                    for index, citation in enumerate(change.get("citations", []))
                ],
            )
        )
    return declarations


def _natural_key(*, kind: str, row: _Row, parent: Key = ()) -> Key:
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


def _label(kind: str, key: Key) -> str:
    return f"{kind}[{'/'.join(key)}]"


def _catalog_add(*, catalog: _Catalog, facts: _FactsFile) -> None:
    """Merge a facts file's rows into the catalog: a known natural key updates the given fields."""
    for declaration in facts.declarations:
        slot = (declaration.kind, declaration.key)
        known = slot in catalog.tables
        catalog.tables[slot] = {**catalog.tables.get(slot, {}), **declaration.table}
        if declaration.kind == "status_changes" and not known:
            as_of = _Row(declaration.table, declaration.where).partial_date("as_of")
            assert as_of is not None
            catalog.timelines.setdefault(declaration.key[:2], []).append(
                (as_of[0], declaration.key[2])
            )


# Building rows.


@dataclass
class _Seeds:
    """Seed files, read once each: their bytes for the sha256, their text for the offsets."""

    seeds_dir: Path
    _data: dict[str, bytes] = field(default_factory=dict)

    def data(self, name: str, *, where: str) -> bytes:
        if name not in self._data:
            path = self.seeds_dir / name
            if not path.is_file():
                raise FactsError(f"{where}: seed file {path} does not exist.")
            self._data[name] = path.read_bytes()
        return self._data[name]

    def text(self, name: str, *, where: str) -> str:
        # Decoded from bytes, not read in text mode, so that no newline is translated.
        return self.data(name, where=where).decode("utf-8")


def _fixture_entries(
    *, facts: _FactsFile, catalog: _Catalog, seeds: _Seeds
) -> list[dict[str, Any]]:
    builders: dict[str, Callable[..., dict[str, Any]]] = {
        "countries": _country_fields,
        "organizations": _organization_fields,
        "leaders": _leader_fields,
        "sources": _source_fields,
        "summits": _summit_fields,
        "attendances": _attendance_fields,
        "status_changes": _status_change_fields,
    }
    entries: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    cited: dict[tuple[Any, ...], str] = {}
    for declaration in facts.declarations:
        row = _Row(catalog.get(declaration.kind, declaration.key), declaration.where)
        fields = builders[declaration.kind](
            row=row, key=declaration.key, catalog=catalog, seeds=seeds
        )
        row.check_all_used()
        entries[declaration.kind].append(_entry(kind=declaration.kind, fields=fields))
        for citation in declaration.citations:
            fields = _citation_fields(
                row=citation,
                target_kind=declaration.kind,
                target_key=declaration.key,
                defaults=facts.citation_defaults,
                catalog=catalog,
                seeds=seeds,
            )
            citation.check_all_used()
            # Citation's natural key: two citations with one key would load as one row.
            natural_key = (
                fields["source"][0],
                declaration.kind,
                declaration.key,
                fields["field"],
                fields["start"],
            )
            if natural_key in cited:
                raise citation.fail(
                    f"it cites `{fields['field']}` from the same source at the same offset as "
                    f"{cited[natural_key]}; keep one of them."
                )
            cited[natural_key] = citation.where
            entries["citations"].append(_entry(kind="citations", fields=fields))
    return [entry for kind in KINDS for entry in entries[kind]]


def _entry(*, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A fixture entry with every concrete field of the model, in the model's field order."""
    model = MODELS[kind]
    names = [f.name for f in model._meta.concrete_fields if not f.primary_key]
    if set(names) != set(fields):
        raise FactsError(
            f"The builder for {model._meta.label} is out of date with the model: it writes "
            f"{sorted(fields)}, the model has {sorted(names)}; update summits/facts.py."
        )
    return {"model": model._meta.label_lower, "fields": {name: fields[name] for name in names}}


def _ref(
    *, row: _Row, name: str, kind: str, catalog: _Catalog, required: bool = True
) -> list[str] | None:
    """A natural foreign key, checked against the rows the fixtures declare."""
    value = row.text(name, required=required)
    if not value:
        return None
    if not catalog.has(kind, (value,)):
        raise row.fail(
            f"`{name}` refers to {_label(kind, (value,))}, which no facts file declares."
        )
    return [value]


def _country_fields(*, row: _Row, key: Key, catalog: _Catalog, seeds: _Seeds) -> dict[str, Any]:
    code = row.text("code", required=True)
    if not _ISO_COUNTRY_CODE.match(code):
        raise row.fail(
            f"country code {code!r} is not two capital letters (ISO 3166-1 alpha-2), "
            "or four for a former country (ISO 3166-3 alpha-4)."
        )
    return {"code": code, "name": row.text("name", required=True)}


def _organization_fields(
    *, row: _Row, key: Key, catalog: _Catalog, seeds: _Seeds
) -> dict[str, Any]:
    return {
        "slug": row.text("slug", required=True),
        "name": row.text("name", required=True),
        "short_name": row.text("short_name"),
        "founded_on": row.full_date("founded_on"),
        "records_complete_from": row.full_date("records_complete_from"),
    }


def _leader_fields(*, row: _Row, key: Key, catalog: _Catalog, seeds: _Seeds) -> dict[str, Any]:
    term_start, term_end = row.full_date("term_start"), row.full_date("term_end")
    if term_start and term_end and term_end < term_start:
        raise row.fail(f"the term ends ({term_end}) before it starts ({term_start}).")
    return {
        "slug": row.text("slug", required=True),
        "name": row.text("name", required=True),
        "country": _ref(row=row, name="country", kind="countries", catalog=catalog),
        "office": row.text("office", required=True),
        "term_start": term_start,
        "term_end": term_end,
    }


def _source_fields(*, row: _Row, key: Key, catalog: _Catalog, seeds: _Seeds) -> dict[str, Any]:
    row.forbid("sha256", "the builder computes it from the seed file's text.")
    row.forbid("text", "the builder reads it from the seed file.")
    seed_file, url = row.text("seed_file"), row.text("url")
    if not seed_file and not url:
        raise row.fail("a source needs a `seed_file` or a `url`.")
    text = seeds.text(seed_file, where=row.where) if seed_file else ""
    return {
        "key": row.text("key", required=True),
        "title": row.text("title", required=True),
        "author": row.text("author"),
        "publisher": row.text("publisher"),
        "language": row.text("language", default="en"),
        "url": url,
        "seed_file": seed_file,
        "text": text,
        "sha256": text_digest(text) if text else "",
        "length": len(text) if text else None,
        "note": row.text("note"),
    }


def _summit_fields(*, row: _Row, key: Key, catalog: _Catalog, seeds: _Seeds) -> dict[str, Any]:
    start = row.partial_date("start")
    end = row.partial_date("end", required=False)
    assert start is not None
    if end is not None:
        if start[1] != DatePrecision.DAY or end[1] != DatePrecision.DAY:
            raise row.fail("an `end` date needs `start` and `end` both known to the day.")
        if end[0] < start[0]:
            raise row.fail(f"the summit ends ({end[0]}) before it starts ({start[0]}).")
    return {
        "slug": row.text("slug", required=True),
        "name": row.text("name", required=True),
        "organization": _ref(
            row=row, name="organization", kind="organizations", catalog=catalog, required=False
        ),
        "kind": row.choice("kind", Summit),
        "status": row.choice("status", Summit),
        "host_country": _ref(
            row=row, name="host_country", kind="countries", catalog=catalog, required=False
        ),
        "city": row.text("city"),
        "start_date": start[0].isoformat(),
        "end_date": end[0].isoformat() if end else None,
        "date_precision": str(start[1]),
    }


def _attendance_fields(*, row: _Row, key: Key, catalog: _Catalog, seeds: _Seeds) -> dict[str, Any]:
    row.forbid("status", "it is a copy of the latest of the attendance's `status_changes`.")
    summit = _ref(row=row, name="summit", kind="summits", catalog=catalog)
    country = _ref(row=row, name="country", kind="countries", catalog=catalog)
    leader = _ref(row=row, name="leader", kind="leaders", catalog=catalog, required=False)
    assert summit is not None and country is not None
    if leader is not None:
        leader_country = catalog.get("leaders", (leader[0],)).get("country")
        if leader_country != country[0]:
            raise row.fail(
                f"leader {leader[0]} belongs to {leader_country}, not to {country[0]}: a "
                "leader must belong to the attendance's country."
            )
    # The latest change by as_of; among changes on the same date, the one given last.
    timeline = catalog.timelines.get((summit[0], country[0]), [])
    latest = max(enumerate(timeline), key=lambda step: (step[1][0], step[0]), default=None)
    return {
        "summit": summit,
        "country": country,
        "leader": leader,
        "role": row.choice("role", Attendance, required=False),
        "status": latest[1][1] if latest else None,
        "note": row.text("note"),
    }


def _status_change_fields(
    *, row: _Row, key: Key, catalog: _Catalog, seeds: _Seeds
) -> dict[str, Any]:
    as_of = row.partial_date("as_of")
    assert as_of is not None
    return {
        "attendance": list(key[:2]),
        "status": row.choice("status", StatusChange),
        "as_of": as_of[0].isoformat(),
        "as_of_precision": str(as_of[1]),
        "note": row.text("note"),
    }


def _citation_fields(
    *,
    row: _Row,
    target_kind: str,
    target_key: Key,
    defaults: dict[str, Any],
    catalog: _Catalog,
    seeds: _Seeds,
) -> dict[str, Any]:
    row.forbid("start", "the builder finds the quote's offsets in the seed file.")
    row.forbid("end", "the builder finds the quote's offsets in the seed file.")
    source_key = row.text("source") or defaults.get("source")
    if not source_key or not catalog.has("sources", (source_key,)):
        raise row.fail(
            f"`source` is {source_key!r}; give a declared source here or in [citation_defaults]."
        )
    basis = row.text("basis") or defaults.get("basis") or Citation.Basis.STATED
    if basis not in Citation.Basis.values:
        raise row.fail(f"`basis` is {basis!r}; use one of {', '.join(Citation.Basis.values)}.")
    target_model = MODELS[target_kind]
    cited = row.text("field", required=True)
    cited_fields = citable_fields(target_model)
    if cited not in cited_fields:
        raise row.fail(
            f"`field` is {cited!r}, which is not a field of {target_model._meta.label}; use one "
            f"of {', '.join(cited_fields)}."
        )
    quote = row.text("quote")
    occurrence = row.get("occurrence")
    seed_file = catalog.get("sources", (source_key,)).get("seed_file", "")
    start: int | None = None
    if seed_file:
        text = seeds.text(seed_file, where=row.where)
        start = _quote_offset(
            row=row, quote=quote, occurrence=occurrence, text=text, seed_file=seed_file
        )
    elif occurrence is not None:
        raise row.fail(f"`occurrence` needs a source with a seed file; {source_key} has none.")
    targets = dict.fromkeys(CITATION_TARGET_FIELDS.values())
    targets[CITATION_TARGET_FIELDS[target_kind]] = list(target_key)
    return {
        "source": [source_key],
        **targets,
        "field": cited,
        "quote": quote,
        "start": start,
        "end": start + len(quote) if start is not None else None,
        "basis": basis,
    }


def _quote_offset(*, row: _Row, quote: str, occurrence: Any, text: str, seed_file: str) -> int:
    """The 0-based code-point offset of the quote in the seed text, which must be unambiguous."""
    if not quote:
        raise row.fail(f"a citation of seed file {seed_file} needs a `quote`.")
    starts = quote_places(text, quote, at_most=_SHOWN_OCCURRENCES)
    if not starts:
        raise row.fail(f"quote {quote!r} does not occur in seed file {seed_file}.")
    if occurrence is None:
        if len(starts) > 1:
            raise row.fail(
                f"quote {quote!r} occurs {len(starts)} times in seed file {seed_file} (at code "
                f"points {', '.join(map(str, starts))}); add `occurrence = N` (0-based) to pick "
                "one, or quote more."
            )
        return starts[0]
    if not isinstance(occurrence, int) or isinstance(occurrence, bool):
        raise row.fail(f"`occurrence` must be a whole number, not {occurrence!r}.")
    if not 0 <= occurrence < len(starts):
        raise row.fail(
            f"`occurrence = {occurrence}`, but quote {quote!r} occurs {len(starts)} time(s) in "
            f"seed file {seed_file} (occurrence counts from 0)."
        )
    return starts[occurrence]
