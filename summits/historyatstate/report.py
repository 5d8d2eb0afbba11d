"""What an import of the visits or travels dataset did, or (dry run) would do: counts, then what
could not be placed, as a person reads them."""

from collections import Counter
from dataclasses import dataclass, field

# How many problems of each kind a report lists; the counts cover all of them.
_LISTED = 50


@dataclass
class ImportReport:
    """What an import did, or (dry run) would do."""

    dry_run: bool = False
    records: int = 0
    about_a_summit: int = 0
    sources_created: int = 0
    summits_matched: set[int] = field(default_factory=set)
    summits_created: set[int] = field(default_factory=set)
    attendances_added: set[int] = field(default_factory=set)
    attendances_confirmed: set[int] = field(default_factory=set)
    leaders_matched: set[int] = field(default_factory=set)
    leaders_created: set[int] = field(default_factory=set)
    about_no_summit: int = 0
    visits_without_summit: int = 0
    steps_added: int = 0
    citations_added: int = 0
    unmapped_countries: Counter[str] = field(default_factory=Counter)
    other_names_added: int = 0
    conflicts: list[str] = field(default_factory=list)
    ambiguous: list[str] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "records read": self.records,
            "records about a summit": self.about_a_summit,
            "records about no summit": self.about_no_summit,
            "visits without a summit": self.visits_without_summit,
            "records not placed": len(self.unplaced),
            "sources created": self.sources_created,
            "summits matched": len(self.summits_matched),
            "summits created": len(self.summits_created),
            "attendances added": len(self.attendances_added),
            "attendances confirmed": len(self.attendances_confirmed),
            "leaders matched": len(self.leaders_matched),
            "leaders created": len(self.leaders_created),
            "attended steps added": self.steps_added,
            "citations added": self.citations_added,
            "unmapped countries": len(self.unmapped_countries),
            "ambiguous leaders": len(self.ambiguous),
            "conflicts": len(self.conflicts),
        }

    @property
    def changed(self) -> bool:
        """Whether the import wrote (or, dry, would write) anything at all."""
        return bool(
            self.sources_created
            or self.summits_created
            or self.attendances_added
            or self.leaders_created
            or self.steps_added
            or self.citations_added
            or self.other_names_added
        )

    def lines(self) -> list[str]:
        """The report as a person reads it: the counts, then what could not be placed."""
        out = [f"{name}: {count:,}" for name, count in self.counts().items()]
        sections = [
            (
                "Unmapped countries",
                [f"{slug} ({count} records)" for slug, count in self.unmapped_countries.items()],
            ),
            ("Ambiguous leaders", self.ambiguous),
            ("Conflicts", self.conflicts),
            ("Records not placed", self.unplaced),
        ]
        for title, items in sections:
            if items:
                out.append(f"{title}:")
                out.extend(f"  {item}" for item in items[:_LISTED])
                if len(items) > _LISTED:
                    out.append(f"  ... and {len(items) - _LISTED:,} more")
        if not self.changed:
            out.append("Nothing new: the tracker already held everything these records say.")
        if self.dry_run:
            out.append("Dry run: nothing was written.")
        return out
