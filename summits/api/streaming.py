"""Rows for a streamed response (a calendar, a CSV file): as many as match, in flat memory.

The first chunk is read before the first byte, so that a database that is down or locked
answers 503 in JSON rather than a 200 whose body stops after its header. The rest are read
from a server-side cursor (PostgreSQL) as the body is sent, in a transaction of their own: the
request's own transaction has committed by then, and outside one PostgreSQL holds the cursor
WITH HOLD, which reads the whole result before the first row (a 1,000,000-row list waited
longer than any statement may). A response never sent never opens that cursor.
"""

import itertools
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import QuerySet

# Rows fetched at a time.
STREAM_CHUNK = 2_000

_Row = TypeVar("_Row")


def streamed_rows(rows: QuerySet[Any, _Row]) -> Iterable[_Row]:
    """Every row of `rows`: the first chunk read now, the rest as they are iterated."""
    first = list(rows[:STREAM_CHUNK])
    if len(first) < STREAM_CHUNK:
        return first
    return itertools.chain(first, _rest(rows[STREAM_CHUNK:]))


def _rest(rows: QuerySet[Any, _Row]) -> Iterator[_Row]:
    with transaction.atomic(using=rows.db):
        yield from rows.iterator(chunk_size=STREAM_CHUNK)
