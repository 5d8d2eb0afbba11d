"""The ISO 3166 code for a country as the Office of the Historian's records name it.

Each record names its country by the site's own slug and a display label
(`<from id="korea-south">South Korea</from>`). Most slugs are an ISO short name written as a
slug; the rest are in `ALIASES`, and states ISO never coded are in `NO_ISO_CODE`. Nothing is
guessed: a name either matches exactly or the record is reported as unmapped.
"""

import functools
import unicodedata

import pycountry

# Slugs whose words and label miss every ISO name, or would match the wrong one.
ALIASES: dict[str, str] = {
    "antigua-barbuda": "AG",
    "bosnia-herzegovina": "BA",
    "brunei": "BN",  # ISO: Brunei Darussalam
    "burma": "MM",  # Myanmar since 1989: the same state under a new name
    "cape-verde": "CV",  # ISO: Cabo Verde
    "congo-democratic-republic": "CD",  # Kinshasa
    "congo-republic": "CG",  # Brazzaville
    "cote-divoire": "CI",
    "holy-see": "VA",  # labelled "Vatican City"
    "korea-north": "KP",
    "korea-south": "KR",  # labelled "Korea" in some years; "korea" alone is the pre-1910 kingdom
    "macedonia": "MK",  # North Macedonia since 2019
    "micronesia": "FM",  # the Federated States of Micronesia
    "russia": "RU",  # ISO: Russian Federation; the Soviet Union has a slug of its own
    "saint-kitts-nevis": "KN",
    "saint-vincent-grenadines": "VC",
    "somoa": "WS",  # the visits data's misspelling of Samoa, labelled "Somoa"
    "swaziland": "SZ",  # Eswatini since 2018
    "turkey": "TR",  # ISO: Türkiye
    # Renamed, not dissolved: the state's current code. Exact matching alone would give Dahomey
    # ISO 3166-3's DYBJ, splitting one country's visits between two rows.
    "dahomey": "BJ",  # Benin since 1975
    "upper-volta": "BF",  # Burkina Faso since 1984
    "zaire": "CD",  # the Democratic Republic of the Congo since 1997
    # The Palestinian Authority's leaders, whichever name the record gives their territory.
    "palestinian-authority": "PS",
    "west-bank": "PS",
    # ISO has no code for Kosovo. XK is the user-assigned code the EU, the IMF and Unicode's CLDR
    # use; the United States has recognised Kosovo since 2008 and its leaders' visits are in the
    # records, so they are kept rather than reported as unmapped.
    "kosovo": "XK",
    # Dissolved states, by their ISO 3166-3 code.
    "czechoslovakia": "CSHH",
    "kingdom-of-yugoslavia": "YUCS",  # the site's one article for Serbia from 1881 to the SFRY
    "soviet-union": "SUHH",
    "yugoslavia": "YUCS",
}

# States in the site's gazetteer that ISO 3166 never coded and that no current code stands for:
# German and Italian states before unification, republics and kingdoms later annexed. A record
# from one of them is reported as unmapped, not filed under a successor.
NO_ISO_CODE: frozenset[str] = frozenset(
    {
        "austrian-empire",
        "baden",
        "bavaria",
        "brunswick-luneburg",
        "central-american-federation",
        "congo-free-state",
        "federal-government-germany",  # the Frankfurt Parliament's government, 1848-49
        "genoa",
        "grand-duchy-tuscany",
        "hanover",
        "hanseatic-republics",
        "hawaii",
        "hesse",
        "korea",  # the Kingdom of Korea, 1882-1910, before the division
        "lew-chew",  # the Ryukyu Kingdom
        "mecklenburg-schwerin",
        "mecklenburg-strelitz",
        "nassau",
        "north-german-confederation",
        "north-german-union",
        "oldenburg",
        "orange-free-state",
        "papal-states",
        "parma",
        "piedmont-sardinia",
        "schaumburg-lippe",
        "texas",
        "two-sicilies",
        "wurttemberg",
    }
)


def country_code(slug: str, label: str) -> str | None:
    """The ISO 3166 code for a record's country, or None when it has none.

    `ALIASES` first; then the slug's words or the label, matched exactly (ignoring case,
    accents and hyphens) against a current country's name, common name or official name;
    then against a former country's ISO 3166-3 name.
    """
    if slug in NO_ISO_CODE:
        return None
    if slug in ALIASES:
        return ALIASES[slug]
    names = (slug, label)
    for index in (_current_countries(), _former_countries()):
        for name in names:
            code = index.get(_folded(name))
            if code is not None:
                return code
    return None


def _folded(name: str) -> str:
    """A name as compared: accents dropped, case folded, hyphens as spaces, one space apart."""
    decomposed = unicodedata.normalize("NFKD", name.replace("\u2019", "'"))
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(plain.replace("-", " ").casefold().split())


@functools.cache
def _current_countries() -> dict[str, str]:
    return {
        _folded(name): country.alpha_2
        for country in pycountry.countries
        for name in (
            country.name,
            getattr(country, "common_name", None),
            getattr(country, "official_name", None),
        )
        if name
    }


@functools.cache
def _former_countries() -> dict[str, str]:
    return {_folded(country.name): country.alpha_4 for country in pycountry.historic_countries}
