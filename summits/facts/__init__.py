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

from summits.facts.building import (
    FACTS_DIRNAME,
    fixture_build,
    fixtures_build,
    fixtures_stale,
    fixtures_write,
)
from summits.facts.tables import CITATION_TARGET_FIELDS, KINDS, MODELS, FactsError

__all__ = [
    "CITATION_TARGET_FIELDS",
    "FACTS_DIRNAME",
    "KINDS",
    "MODELS",
    "FactsError",
    "fixture_build",
    "fixtures_build",
    "fixtures_stale",
    "fixtures_write",
]
