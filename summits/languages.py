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
    if not _known_language(language):
        return None
    parts = [language]
    if found["script"]:
        parts.append(found["script"].title())
    if found["region"]:
        parts.append(found["region"].upper())
    parts.extend(variant.lower() for variant in found["variants"].split("-") if variant)
    return "-".join(parts)


@cache
def _known_language(code: str) -> bool:
    if len(code) == 2:
        return pycountry.languages.get(alpha_2=code) is not None
    return pycountry.languages.get(alpha_3=code) is not None


def is_english(tag: str) -> bool:
    """Whether `tag` names English, the language of the records' own names."""
    return tag.split("-", 1)[0] == ENGLISH


def fallbacks(tag: str) -> list[str]:
    """`tag`, then each shorter tag it extends (RFC 4647 lookup): zh-Hant-TW, zh-Hant, zh."""
    parts = tag.split("-")
    return ["-".join(parts[:length]) for length in range(len(parts), 0, -1)]


# pycountry's catalogs are named by gettext locale: zh_CN, sr@latin.
_LOCALE_SCRIPTS = {"latin": "Latn", "iqtelif": "Latn"}


def _tag_of_locale(locale: str) -> str:
    locale, _, modifier = locale.partition("@")
    language, _, region = locale.partition("_")
    parts = [language, _LOCALE_SCRIPTS.get(modifier, ""), region]
    return "-".join(part for part in parts if part)


@cache
def _catalogs(domain: str) -> dict[str, gettext.NullTranslations]:
    """The pycountry catalogs of `domain` (iso3166-1, iso3166-3), by language tag."""
    root = Path(pycountry.LOCALES_DIR)
    catalogs = {}
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
