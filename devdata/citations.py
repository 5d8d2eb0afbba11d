"""The generated evidence: citations of the summits' dates, of some leaders or roles and of
some status changes, each quoting a sentence of a source's text at its offsets."""

import random
from collections.abc import Sequence

from devdata.rows import CitationRow
from devdata.vocabulary import SOURCE_SENTENCES, source_sentence_spans
from devdata.world import World
from summits.models import CitationBasis

# A quote of a source's text is stated or implied by it, never external.
BASES = [CitationBasis.STATED.value] * 6 + [CitationBasis.IMPLIED.value] * 2


def citations_build(world: World, rng: random.Random) -> None:
    """Every summit's dates, a quarter of the leaders or roles, a tenth of the status changes."""
    quotes = _Quotes(rng, spans=source_sentence_spans(world.prefix), sources=len(world.sources))
    for summit in range(len(world.summits)):
        basis = CitationBasis.STATED.value
        world.citations.append(quotes.cite(basis, "start_date", summit=summit))
    for attendance, row in enumerate(world.attendances):
        if rng.random() < 0.25:
            field = "leader" if row.leader is not None else "role"
            world.citations.append(quotes.cite(rng.choice(BASES), field, attendance=attendance))
    for change in range(len(world.changes)):
        if rng.random() < 0.1:
            world.citations.append(quotes.cite(rng.choice(BASES), "status", status_change=change))


class _Quotes:
    """Draws a sentence of the sources' texts, then the source that it is quoted from."""

    def __init__(self, rng: random.Random, *, spans: Sequence[tuple[int, int]], sources: int):
        self.rng = rng
        self.spans = list(spans)
        self.sources = range(sources)

    def cite(
        self,
        basis: str,
        field: str,
        *,
        summit: int | None = None,
        attendance: int | None = None,
        status_change: int | None = None,
    ) -> CitationRow:
        start, end = self.rng.choice(self.spans)
        return CitationRow(
            quote=SOURCE_SENTENCES[self.spans.index((start, end))],
            start=start,
            end=end,
            source=self.rng.choice(self.sources),
            summit=summit,
            attendance=attendance,
            status_change=status_change,
            field=field,
            basis=basis,
        )
