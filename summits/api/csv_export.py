"""Every list as CSV (`Accept: text/csv` or `?format=csv`): the list's filters, search and
ordering, every matching row rather than one page, with a header row (streamed when they are
many).

Rows render exactly as the JSON list renders them (the same serializer, the same keys in the
same order); a cell is text as the JSON would show it: null is empty, true and false are
`true` and `false`. A cell a spreadsheet would read as a formula gets a leading apostrophe,
as the admin's CSV export writes it (summits.resources.spreadsheet_safe).
"""

import copy
import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from rest_framework import renderers, serializers
from rest_framework.request import Request
from rest_framework.settings import api_settings

from summits.api.conditional import RESPONSE_VARY
from summits.api.streaming import rows_response
from summits.resources import spreadsheet_safe

# Rows written to the response at a time.
_LINES_PER_WRITE = 500


class CSVRenderer(renderers.BaseRenderer):
    """Chooses text/csv in content negotiation for a list; the list streams the bytes itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


def csv_response(
    request: HttpRequest,
    serializer: serializers.BaseSerializer,
    rows: QuerySet,
    *,
    name: str,
    localize: Callable[[Iterable[dict[str, Any]]], Iterable[dict[str, Any]]] | None = None,
) -> HttpResponse | StreamingHttpResponse:
    """The rows of a filtered, ordered list queryset as a CSV file named `name`.csv, streamed
    when one fetch does not hold them (summits.api.streaming.rows_response); `localize` puts
    rendered rows' names into the client's language (summits.api.languages)."""
    fields = serializer.fields if isinstance(serializer, serializers.Serializer) else {}
    columns = [name for name, field in fields.items() if not field.write_only]

    def render(everything: Iterable[Any]) -> Iterator[str]:
        objects: Iterable[dict[str, Any]] = (
            serializer.to_representation(row) for row in everything
        )
        if localize is not None:
            objects = localize(objects)
        return _lines(columns, objects)

    response = rows_response(
        request,
        rows,
        render,
        content_type=f"{CSVRenderer.media_type}; charset={CSVRenderer.charset}",
        vary=RESPONSE_VARY,
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


def without_format(request: Request) -> HttpRequest:
    """The request as links are built from it, without the `format` that chose CSV (DRF's
    `reverse` carries it over into every link)."""
    plain = copy.copy(request._request)
    query = plain.GET.copy()
    query.pop(api_settings.URL_FORMAT_OVERRIDE, None)
    plain.GET = QueryDict(query.urlencode())
    return plain


def _lines(columns: list[str], objects: Iterable[dict[str, Any]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    # The header alone first: it reads nothing, so the status goes out before any row is read.
    yield _drained(buffer)
    for count, data in enumerate(objects, start=1):
        writer.writerow([_cell(data[column]) for column in columns])
        if count % _LINES_PER_WRITE == 0:
            yield _drained(buffer)
    yield _drained(buffer)


def _drained(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    return spreadsheet_safe(value)
