"""Names in other languages: BCP 47 language tags, and countries' names in every language
pycountry ships.

A tag is kept in its canonical case (RFC 5646, section 2.1.1: `ja`, `zh-Hant-TW`, `sr-Latn`),
its language subtag one ISO 639 knows. Tags this module accepts are the common subset of BCP 47:
language, then optionally script, region and variants; extensions and private use are refused.

Countries' names come from pycountry's translations of ISO 3166 (159 languages for current
countries, 112 for former ones), read from its gettext catalogs once per process; they change
with the pinned pycountry, never with the data.
"""

import gettext
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import pycountry

ENGLISH = "en"

_TAG = re.compile(
    r"^(?P<language>[a-z]{2,3})"
    r"(?:-(?P<script>[a-z]{4}))?"
    r"(?:-(?P<region>[a-z]{2}|[0-9]{3}))?"
    r"(?P<variants>(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*)$",
    re.IGNORECASE,
)
# The canonical form the database holds (summits_*name_language_tag constraints).
CANONICAL_TAG = (
    r"^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?(-([a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*$"
)


def canonical_tag(tag: str) -> str | None:
    """`tag` in its canonical case, or None when it is not a language tag this tracker takes
    (malformed, or a language ISO 639 does not list)."""
    found = _TAG.match(tag.strip())
    if found is None:
        return None
    language = found["language"].lower()
    variants = [variant.lower() for variant in found["variants"].split("-") if variant]
    if language in _NO_LANGUAGE or not _known_language(language):
        return None
    if len(set(variants)) != len(variants):  # RFC 5646 2.2.5: a variant once
        return None
    parts = [language]
    if found["script"]:
        parts.append(found["script"].title())
    if found["region"]:
        parts.append(found["region"].upper())
    parts.extend(variants)
    return "-".join(parts)


# ISO 639's codes for no particular language: a name in none of them is a spelling (no tag).
_NO_LANGUAGE = {"mis", "mul", "und", "zxx"}


@cache
def _known_language(code: str) -> bool:
    if len(code) == 2:
        return pycountry.languages.get(alpha_2=code) is not None
    return pycountry.languages.get(alpha_3=code) is not None


def without_variants(tag: str) -> str:
    """A canonical tag's language, script and region only: de-CH-1996 is de-CH."""
    found = _TAG.match(tag)
    if found is None:
        return tag
    return "-".join(part for part in (found["language"], found["script"], found["region"]) if part)


def is_english(tag: str) -> bool:
    """Whether `tag` names English, the language of the records' own names."""
    return tag.split("-", 1)[0] == ENGLISH


def best_match(wanted: str, available: Iterable[str]) -> str | None:
    """The tag of `available` that serves a reader of `wanted` best, or None.

    A tag serves when its language is the one wanted and its script and region, where both tags
    give one, are the ones wanted: `ja` serves `ja-JP`, `zh-Hant-TW` serves `zh-TW` and `zh`,
    `zh-Hans-CN` never serves `zh-Hant`. The closest wins (the tag itself, then the most subtags
    in common), then the first in alphabetical order.
    """
    want = _subtags(wanted)
    scored = []
    for tag in available:
        have = _subtags(tag)
        if have[0] != want[0]:
            continue
        if any(w and h and w != h for w, h in zip(want[1:], have[1:], strict=True)):
            continue
        common = sum(1 for w, h in zip(want[1:], have[1:], strict=True) if w and w == h)
        scored.append((tag != wanted, -common, tag))
    return min(scored)[2] if scored else None


def _subtags(tag: str) -> tuple[str, str, str]:
    """A canonical tag's language, script and region ("" where it gives none); Chinese with a
    region and no script takes the region's script (CLDR's likely subtags), so that zh-CN is
    never served a name in zh-Hant."""
    found = _TAG.match(tag)
    if found is None:
        return (tag, "", "")
    language, region = found["language"], found["region"] or ""
    script = found["script"] or _LIKELY_SCRIPTS.get((language, region), "")
    return (language, script, region)


_LIKELY_SCRIPTS = {
    ("zh", "CN"): "Hans",
    ("zh", "SG"): "Hans",
    ("zh", "MY"): "Hans",
    ("zh", "TW"): "Hant",
    ("zh", "HK"): "Hant",
    ("zh", "MO"): "Hant",
}


# pycountry's catalogs are named by gettext locale (zh_TW, sr@latin); their tags name the
# script where the locale implies one, so that a reader of zh-Hant is never served zh-CN.
_MODIFIER_SCRIPTS = {"latin": "Latn", "iqtelif": "Latn"}
_LOCALE_SCRIPTS = {"zh_CN": "Hans", "zh_HK": "Hant", "zh_TW": "Hant"}


def _tag_of_locale(locale: str) -> str:
    locale, _, modifier = locale.partition("@")
    language, _, region = locale.partition("_")
    script = _MODIFIER_SCRIPTS.get(modifier) or _LOCALE_SCRIPTS.get(locale, "")
    return "-".join(part for part in (language, script, region) if part)


@cache
def _catalogs(domain: str) -> dict[str, gettext.NullTranslations]:
    """The pycountry catalogs of `domain` (iso3166-1, iso3166-3), by language tag."""
    root = Path(pycountry.LOCALES_DIR)
    catalogs: dict[str, gettext.NullTranslations] = {}
    for directory in sorted(root.iterdir()):
        if (directory / "LC_MESSAGES" / f"{domain}.mo").exists():
            catalog = gettext.translation(domain, root, languages=[directory.name])
            catalogs[_tag_of_locale(directory.name)] = catalog
    return catalogs


def _iso_record(code: str):
    """pycountry's record of a current (alpha-2) or former (alpha-4) country, and its domain."""
    if len(code) == 2:
        return pycountry.countries.get(alpha_2=code), "iso3166-1"
    return pycountry.historic_countries.get(alpha_4=code), "iso3166-3"


@cache
def country_names(code: str) -> dict[str, str]:
    """The country's name in every language pycountry translates it into, by language tag
    (English left out: the country's own `name` is the English one)."""
    record, domain = _iso_record(code)
    if record is None:
        return {}
    names = {}
    for tag, catalog in _catalogs(domain).items():
        translated = catalog.gettext(record.name)
        if translated != record.name and not is_english(tag):
            names[tag] = translated
    return names


@cache
def _country_name_index() -> tuple[tuple[str, str], ...]:
    """(casefolded name, code) for every country's name in every language."""
    codes = [country.alpha_2 for country in pycountry.countries]
    codes += [country.alpha_4 for country in pycountry.historic_countries]
    return tuple((name.casefold(), code) for code in codes for name in country_names(code).values())


def countries_named(term: str) -> set[str]:
    """The codes of countries whose name in some language pycountry ships contains `term`."""
    term = term.casefold()
    return {code for name, code in _country_name_index() if term in name}
