"""How many keys one query names: below SQLite's oldest limit on query parameters (999)."""

from collections.abc import Iterator, Sequence
from typing import TypeVar

LOOKUP_BATCH = 900

Key = TypeVar("Key")


def in_batches(keys: Sequence[Key], size: int = LOOKUP_BATCH) -> Iterator[Sequence[Key]]:
    """`keys` in consecutive slices of at most `size`."""
    for offset in range(0, len(keys), size):
        yield keys[offset : offset + size]
