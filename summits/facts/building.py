"""Building fixtures: the JSON of each facts file, written when it changed or checked against
what is committed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from summits.facts.fields import ROW_FIELDS, Seeds, citation_fields
from summits.facts.reading import Catalog, FactsFile, catalog_add, facts_chain
from summits.facts.tables import KINDS, MODELS, NAME_MODELS, FactsError, Key, Row
from summits.languages import canonical_tag

FACTS_DIRNAME = "facts"


def fixture_build(*, facts_path: Path, seeds_dir: Path) -> str:
    """The fixture JSON for one facts file: deterministic, indented, with a trailing newline."""
    chain = facts_chain(facts_path=facts_path)
    catalog = Catalog()
    for facts in chain:
        catalog_add(catalog=catalog, facts=facts)
    own = chain[-1]
    seeds = Seeds(seeds_dir=seeds_dir)
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


def _fixture_entries(*, facts: FactsFile, catalog: Catalog, seeds: Seeds) -> list[dict[str, Any]]:
    entries: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    cited: dict[tuple[Any, ...], str] = {}
    other_names: list[dict[str, Any]] = []
    for declaration in facts.declarations:
        row = Row(catalog.get(declaration.kind, declaration.key), declaration.where)
        fields = ROW_FIELDS[declaration.kind](
            row=row, key=declaration.key, catalog=catalog, seeds=seeds
        )
        names = _name_entries(kind=declaration.kind, key=declaration.key, row=row)
        row.check_all_used()
        entries[declaration.kind].append(_entry(kind=declaration.kind, fields=fields))
        other_names.extend(names)
        for citation in declaration.citations:
            fields = citation_fields(
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
    return [*(entry for kind in KINDS for entry in entries[kind]), *other_names]


def _name_entries(*, kind: str, key: Key, row: Row) -> list[dict[str, Any]]:
    """A record's names in other languages (`names = { ja = "岸田文雄" }`), as entries of its
    other-names table, each under its natural key (the record's slug, the name, the tag)."""
    names = row.get("names")
    if names is None:
        return []
    if kind not in NAME_MODELS:
        raise row.fail("only leaders, organizations and summits carry `names`.")
    if not isinstance(names, dict) or not all(isinstance(v, str) and v for v in names.values()):
        raise row.fail('`names` must be a table of language tag = name, e.g. { ja = "岸田文雄" }.')
    model = NAME_MODELS[kind]
    entries = []
    for language, name in sorted(names.items()):
        if canonical_tag(language) != language:
            raise row.fail(f"`names` has {language!r}, not a BCP 47 tag in canonical form.")
        fields = {model.named: list(key), "name": name, "language": language}
        entries.append({"model": model._meta.label_lower, "fields": fields})
    return entries


def _entry(*, kind: str, fields: dict[str, Any]) -> dict[str, Any]:
    """A fixture entry with every concrete field of the model, in the model's field order, but
    those the database keeps."""
    model = MODELS[kind]
    kept_by_database = getattr(model, "kept_by_database", ())
    names = [
        f.name
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name not in kept_by_database
    ]
    if set(names) != set(fields):
        raise FactsError(
            f"The builder for {model._meta.label} is out of date with the model: it writes "
            f"{sorted(fields)}, the model has {sorted(names)}; update summits/facts/fields.py."
        )
    return {"model": model._meta.label_lower, "fields": {name: fields[name] for name in names}}
