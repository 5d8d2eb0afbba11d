"""Building a fixture's rows: each kind's fields from its facts, checked against the rows the
fixtures declare, with what is derived (a source's digest, a citation's offsets, an attendance's
status) computed here, never typed by hand."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summits.dates import DatePrecision
from summits.evidence import citable_fields, quote_places, text_digest
from summits.facts.reading import Catalog
from summits.facts.tables import CITATION_TARGET_FIELDS, MODELS, FactsError, Key, Row, label
from summits.models import ISO_COUNTRY_CODE, Attendance, Citation, StatusChange, Summit

# How many occurrences of a quote in a seed file are told apart by `occurrence`.
_SHOWN_OCCURRENCES = 1_000
_ISO_COUNTRY_CODE = re.compile(ISO_COUNTRY_CODE)


@dataclass
class Seeds:
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


def _ref(
    *, row: Row, name: str, kind: str, catalog: Catalog, required: bool = True
) -> list[str] | None:
    """A natural foreign key, checked against the rows the fixtures declare."""
    value = row.text(name, required=required)
    if not value:
        return None
    if not catalog.has(kind, (value,)):
        raise row.fail(f"`{name}` refers to {label(kind, (value,))}, which no facts file declares.")
    return [value]


def _country_fields(*, row: Row, key: Key, catalog: Catalog, seeds: Seeds) -> dict[str, Any]:
    code = row.text("code", required=True)
    if not _ISO_COUNTRY_CODE.match(code):
        raise row.fail(
            f"country code {code!r} is not two capital letters (ISO 3166-1 alpha-2), "
            "or four for a former country (ISO 3166-3 alpha-4)."
        )
    return {"code": code, "name": row.text("name", required=True)}


def _organization_fields(*, row: Row, key: Key, catalog: Catalog, seeds: Seeds) -> dict[str, Any]:
    return {
        "slug": row.text("slug", required=True),
        "name": row.text("name", required=True),
        "short_name": row.text("short_name"),
        "founded_on": row.full_date("founded_on"),
        "records_complete_from": row.full_date("records_complete_from"),
    }


def _leader_fields(*, row: Row, key: Key, catalog: Catalog, seeds: Seeds) -> dict[str, Any]:
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


def _source_fields(*, row: Row, key: Key, catalog: Catalog, seeds: Seeds) -> dict[str, Any]:
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


def _summit_fields(*, row: Row, key: Key, catalog: Catalog, seeds: Seeds) -> dict[str, Any]:
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


def _attendance_fields(*, row: Row, key: Key, catalog: Catalog, seeds: Seeds) -> dict[str, Any]:
    row.forbid("status", "it is a copy of the latest of the attendance's `status_changes`.")
    summit = _ref(row=row, name="summit", kind="summits", catalog=catalog)
    country = _ref(row=row, name="country", kind="countries", catalog=catalog)
    leader = _ref(row=row, name="leader", kind="leaders", catalog=catalog, required=False)
    assert summit is not None
    assert country is not None
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


def _status_change_fields(*, row: Row, key: Key, catalog: Catalog, seeds: Seeds) -> dict[str, Any]:
    as_of = row.partial_date("as_of")
    assert as_of is not None
    return {
        "attendance": list(key[:2]),
        "status": row.choice("status", StatusChange),
        "as_of": as_of[0].isoformat(),
        "as_of_precision": str(as_of[1]),
        "note": row.text("note"),
    }


def citation_fields(
    *,
    row: Row,
    target_kind: str,
    target_key: Key,
    defaults: dict[str, Any],
    catalog: Catalog,
    seeds: Seeds,
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


def _quote_offset(*, row: Row, quote: str, occurrence: Any, text: str, seed_file: str) -> int:
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


# Each kind's fields, from the row of the catalog that the facts file declares.
ROW_FIELDS: dict[str, Callable[..., dict[str, Any]]] = {
    "countries": _country_fields,
    "organizations": _organization_fields,
    "leaders": _leader_fields,
    "sources": _source_fields,
    "summits": _summit_fields,
    "attendances": _attendance_fields,
    "status_changes": _status_change_fields,
}
