"""Streamed responses (a calendar, a CSV file, the Popolo document): rows in flat memory, and
the headers of a GET for a HEAD without reading them.

A calendar or a CSV file of rows that one fetch holds is not streamed (`rows_response`): its rows
are read in the view's snapshot and its body answered whole, as a JSON list is, so that it is
tagged by its bytes and kept in the shared cache like one (summits.api.response_cache).

The first chunk of rows is read before the first byte, so that a database that is down or
locked answers 503 in JSON rather than a 200 whose body stops after its header. The rest are read
from a server-side cursor (PostgreSQL) as the body is sent, in a transaction of their own: the
request's own transaction has committed by then, and outside one PostgreSQL holds the cursor
WITH HOLD, which reads the whole result before the first row (a 1,000,000-row list waited
longer than any statement may). A response never sent never opens that cursor.

A body's first piece needs no database (a CSV header, a calendar's envelope, the document's
`{`), so the status and headers go out before anything read later can fail. A failure after
that is logged and raised on to the server, which closes the connection without ending the
body: a chunked body that stops without its last chunk is the one sign HTTP/1.1 has that it
was cut; ending it cleanly would tell the client it had everything.
"""

import itertools
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified, StreamingHttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.http import parse_etags

from summits.api.conditional import streamed_etag

logger = logging.getLogger(__name__)

# Rows fetched at a time.
STREAM_CHUNK = 2_000

_Row = TypeVar("_Row")
Body = Iterable[bytes] | Iterable[str]


def streamed_rows(rows: QuerySet[Any, _Row]) -> Iterable[_Row]:
    """Every row of `rows`: the first chunk read now, the rest as they are iterated; a list of
    them all when the first chunk holds them (`rows_response` answers those whole)."""
    first = list(rows[:STREAM_CHUNK])
    if len(first) < STREAM_CHUNK:
        return first
    return itertools.chain(first, _rest(rows[STREAM_CHUNK:]))


def rows_response(
    request: HttpRequest,
    rows: QuerySet[Any, _Row],
    render: Callable[[Iterable[_Row]], Body],
    *,
    content_type: str,
    vary: Iterable[str] = (),
) -> HttpResponse | StreamingHttpResponse:
    """The response whose body `render` makes of `rows`, varying on the request headers `vary`.

    Rows that one fetch holds are all read now, in the view's snapshot, and their body answered
    whole: tagged by its bytes, as a JSON response is (tracker.middleware), and kept in the
    shared cache like one. More are streamed (`streamed_response`), tagged by the data version
    and the request's variant (`streamed_etag`), read in that snapshot before the rest of the
    rows, which their own transaction reads later: the body is never older than its tag."""
    everything = streamed_rows(rows)
    if isinstance(everything, list):
        response: HttpResponse | StreamingHttpResponse = HttpResponse(
            render(everything), content_type=content_type
        )
        patch_vary_headers(response, vary)
        return response
    return streamed_response(
        request,
        render(everything),
        content_type=content_type,
        etag=streamed_etag(request),
        vary=vary,
    )


def _rest(rows: QuerySet[Any, _Row]) -> Iterator[_Row]:
    with transaction.atomic(using=rows.db):
        yield from rows.iterator(chunk_size=STREAM_CHUNK)


def streamed_response(
    request: HttpRequest, body: Body, *, content_type: str, etag: str, vary: Iterable[str] = ()
) -> StreamingHttpResponse:
    """The response that streams `body`, tagged `etag`, varying on the request headers `vary`
    (those the tag hashes). A HEAD gets the same status and headers and no body: `body` is
    closed unread, so the rows a GET reads after its first byte are never read."""
    pieces: Iterable[bytes | str] = ()
    if request.method == "HEAD":
        close = getattr(body, "close", None)
        if close is not None:
            close()
    else:
        pieces = _logged(body, request)
    response = StreamingHttpResponse(pieces, content_type=content_type)
    response["ETag"] = etag
    patch_vary_headers(response, vary)
    return response


def _logged(body: Body, request: HttpRequest) -> Iterator[bytes | str]:
    try:
        yield from body
    except Exception:
        # Past the first byte the status is sent: the log is the only one to say what happened.
        logger.exception(
            "%s %s failed after its first byte; the body is cut short",
            request.method,
            request.get_full_path(),
        )
        raise


def not_modified(request: HttpRequest, etag: str) -> HttpResponseNotModified | None:
    """A 304 for a GET or HEAD whose If-None-Match names `etag` (compared weakly, as RFC 9110
    compares that header) or is `*`; None otherwise."""
    offered = parse_etags(request.headers.get("If-None-Match", ""))
    if "*" not in offered and etag not in {tag.removeprefix("W/") for tag in offered}:
        return None
    response = HttpResponseNotModified()
    response["ETag"] = etag
    return response
