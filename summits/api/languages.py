"""Names in the language a client asks for (`Accept-Language`).

A response's names are the records' own (English) ones unless the client prefers another
language: then each country's, leader's, organization's and summit's name is given in the
first of the client's languages it is known in (summits.languages for countries, the
other-names tables for the rest), and in English where it is known in none of them. Only names
change; every other value (a date as words, an office, a note) stays as stored.
`Content-Language` lists the languages the names came out in, English last, and every API
response varies on `Accept-Language`.

A name serves a language when its tag names that language with no other script or region
(summits.languages.best_match: `ja` serves `ja-JP`, `zh-Hant-TW` serves `zh-TW` and `zh`).
Localizing a response costs one query per kind of record named in it, whatever its length.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model

from summits.languages import (
    ENGLISH,
    best_match,
    canonical_tag,
    country_names,
    is_english,
    without_variants,
)
from summits.models import LeaderName, OrganizationName, SummitName

# An Accept-Language header's ranges read at most (the rest are ignored).
MAX_RANGES = 16
# Languages a streamed body's Content-Language names at most, before English.
_MAX_CONTENT_LANGUAGES = 4

# In a JSON object, a key naming a record beside the key that names it in words.
_NAME_BESIDE = {
    "country": "country_name",
    "leader": "leader_name",
    "summit": "summit_name",
    "organization": "organization_name",
}
_NAME_TABLES: dict[str, tuple[type[Model], str]] = {
    "leader": (LeaderName, "leader__slug"),
    "organization": (OrganizationName, "organization__slug"),
    "summit": (SummitName, "summit__slug"),
}


def accepted_languages(header: str) -> list[str]:
    """The language tags of an Accept-Language header, preferred first: ranges with q = 0,
    the wildcard and malformed ranges are left out."""
    ranges = []
    for position, item in enumerate(header.split(",")[:MAX_RANGES]):
        tag, _, parameters = item.partition(";")
        quality = _quality(parameters)
        canonical = canonical_tag(tag)
        if canonical is not None and quality > 0:
            ranges.append((-quality, position, canonical))
    return list(dict.fromkeys(tag for _, _, tag in sorted(ranges)))


def _quality(parameters: str) -> float:
    name, _, value = parameters.strip().partition("=")
    if not parameters.strip():
        return 1.0
    if name.strip().lower() != "q":
        return 0.0
    try:
        quality = float(value)
    except ValueError:
        return 0.0
    return quality if 0 <= quality <= 1 else 0.0


@dataclass
class Localizer:
    """Puts a response's names into the client's languages; `used` collects the tags that
    names came out in."""

    languages: list[str]
    # Each tag a name came out in, with the rank of the client's language it served.
    used: dict[str, int] = field(default_factory=dict)

    @classmethod
    def for_header(cls, header: str) -> "Localizer":
        return cls(accepted_languages(header))

    @property
    def active(self) -> bool:
        """Whether any name could change: the client prefers a language before English."""
        return bool(self.languages) and not is_english(self.languages[0])

    @property
    def content_language(self) -> str:
        """The languages a localized body's names came out in, English last."""
        return ", ".join([*sorted(self.used, key=lambda tag: (self.used[tag], tag)), ENGLISH])

    @property
    def accepted_before_english(self) -> str:
        """The languages a body streamed in the client's languages may hold names in: the
        first few the client prefers to English, without variants."""
        languages: list[str] = []
        for language in self.languages:
            if is_english(language) or len(languages) == _MAX_CONTENT_LANGUAGES:
                break
            languages.append(without_variants(language))
        return ", ".join([*dict.fromkeys(languages), ENGLISH])

    def localize(self, data: Any, *, named_by_slug: str | None) -> Any:
        """`data` (JSON-ready) with its names in the client's languages, changed in place.

        A record is recognised by its keys: `country` beside `country_name` (and so on for
        leader, summit and organization); `name` beside `code` is a country's, and `name`
        beside `slug` a record of kind `named_by_slug`.
        """
        if not self.active:
            return data
        places = list(_name_places(data, named_by_slug))
        names = self._names({(kind, key) for _, _, kind, key in places})
        for container, name_key, kind, key in places:
            found = names.get((kind, key))
            if found is not None:
                container[name_key], tag, rank = found
                self.used.setdefault(tag, rank)
        return data

    def localize_each(self, objects: Iterable[dict], *, named_by_slug: str | None, batch: int):
        """Rendered rows streamed in batches, each batch localized with one query per kind."""
        if not self.active:
            yield from objects
            return
        chunk: list[dict] = []
        for item in objects:
            chunk.append(item)
            if len(chunk) == batch:
                yield from self.localize(chunk, named_by_slug=named_by_slug)
                chunk = []
        yield from self.localize(chunk, named_by_slug=named_by_slug)

    def _names(self, records: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str, int]]:
        """(kind, key) -> (name, its tag, the rank of the client's language it serves) for each
        record with a name in the client's languages."""
        known: dict[tuple[str, str], dict[str, str]] = {
            record: country_names(record[1]) for record in records if record[0] == "country"
        }
        keys_by_kind: dict[str, set[str]] = defaultdict(set)
        for kind, key in records:
            if kind != "country":
                keys_by_kind[kind].add(key)
        for kind, keys in keys_by_kind.items():
            known.update(self._names_in_table(kind, keys))
        chosen = {}
        for record, names in known.items():
            found = self._choose(names)
            if found is not None:
                chosen[record] = found
        return chosen

    def _names_in_table(self, kind: str, keys: set[str]) -> dict[tuple[str, str], dict[str, str]]:
        model, key_path = _NAME_TABLES[kind]
        languages = {part.split("-", 1)[0] for part in self.languages}
        rows = model._base_manager.filter(**{f"{key_path}__in": keys}).exclude(language="")
        found: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
        for key, language, name in rows.values_list(key_path, "language", "name"):
            if language.split("-", 1)[0] in languages:
                found[(kind, key)][language] = name
        return found

    def _choose(self, names: dict[str, str]) -> tuple[str, str, int] | None:
        """The name in the first of the client's languages it is known in; None for English."""
        for rank, language in enumerate(self.languages):
            if is_english(language):
                return None
            tag = best_match(language, names)
            if tag is not None:
                return names[tag], tag, rank
        return None


def _name_places(data: Any, named_by_slug: str | None) -> Iterator[tuple[dict, str, str, str]]:
    """(object, key of the name, kind, record key) for every name in `data`."""
    if isinstance(data, list):
        for item in data:
            yield from _name_places(item, named_by_slug)
    elif isinstance(data, dict):
        yield from _own_names(data, named_by_slug)
        for value in data.values():
            if isinstance(value, list | dict):
                yield from _name_places(value, named_by_slug)


def _own_names(data: dict, named_by_slug: str | None) -> Iterator[tuple[dict, str, str, str]]:
    for kind, name_key in _NAME_BESIDE.items():
        if isinstance(data.get(kind), str) and isinstance(data.get(name_key), str):
            yield data, name_key, kind, data[kind]
    if not isinstance(data.get("name"), str):
        return
    if isinstance(data.get("code"), str):
        yield data, "name", "country", data["code"]
    elif named_by_slug is not None and isinstance(data.get("slug"), str):
        yield data, "name", named_by_slug, data["slug"]
