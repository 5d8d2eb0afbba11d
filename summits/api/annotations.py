"""Citations as W3C Web Annotations (JSON-LD): `GET /api/citations/{id}/` and the list, asked
for with `Accept: application/ld+json` (the Web Annotation profile or none) or `?format=jsonld`.

A citation is one `Annotation` whose target is the passage it quotes and whose body is the
record field it supports; the list is an `AnnotationPage` of them, with the list's filters,
search, ordering and cursor pages (`next`, `prev`).

- The target is a `SpecificResource` of the source. Where the tracker holds the source's text,
  its `source` is that text's URL (`/api/sources/{key}/text/`): the selectors count code points
  in it, so they select the quote from the text at that URL and no other; a web page the text
  was read from is the target's `scope`. A `TextQuoteSelector` gives the quote with up to
  `QUOTE_CONTEXT` code points on either side, a `TextPositionSelector` its offsets. A source
  the tracker holds no text of (basis `external`) is targeted at its URL, with no selector.
- The body is a `SpecificResource` of the record (its API URL; a status change, which has no
  URL of its own, is `#<id>` in its attendance's timeline), with the cited `field` and the
  citation's `basis`. The Web Annotation vocabulary has no terms for those: the second
  `@context` item maps them to IRIs under this API's schema URL, so that JSON-LD processors
  keep them.
- The motivation is `linking`: the annotation links a passage to the record it is evidence
  for; it neither comments on, describes nor assesses the passage.

A list page reads its prefixes and suffixes in its one query, as substrings of the text
column, and never loads a whole text.
"""

import copy
from typing import Any

from django.db.models import F, IntegerField, QuerySet, Value
from django.db.models.functions import Least, Substr
from drf_orjson_renderer.renderers import ORJSONRenderer
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.reverse import reverse

from summits.api.csv_export import without_format
from summits.api.fields import identity_url
from summits.models import Citation, CitationBasis

ANNOTATION_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MEDIA_TYPE = f'application/ld+json; profile="{ANNOTATION_CONTEXT}"'
MOTIVATION = "linking"
# Code points of the source's text shown before and after a quote.
QUOTE_CONTEXT = 32
# The extension terms, each at `<schema URL>#<term>`.
EXTENSION_TERMS = ("field", "basis")

Row = dict[str, Any]

_COLUMNS = (
    "id",
    "field",
    "quote",
    "start",
    "end",
    "basis",
    "source__key",
    "source__url",
    "source__sha256",
    "summit__slug",
    "attendance_id",
    "status_change_id",
    "status_change__attendance_id",
)


class AnnotationRenderer(ORJSONRenderer):
    """Chooses JSON-LD in content negotiation for a citation or the citation list, whatever
    profile the Accept header names; the view answers with the Web Annotation profile."""

    media_type = "application/ld+json"
    format = "jsonld"


def annotations_asked(request: Request) -> bool:
    return isinstance(getattr(request, "accepted_renderer", None), AnnotationRenderer)


def annotation_rows(citations: QuerySet[Citation]) -> QuerySet[Citation, Row]:
    """The citations as the rows an annotation renders: the columns it shows, and the text's
    code points just before and after the quote, cut out by the database."""
    before = Least(F("start"), Value(QUOTE_CONTEXT), output_field=IntegerField())
    return citations.values(
        *_COLUMNS,
        text_prefix=Substr("source__text", F("start") - before + 1, before),
        text_suffix=Substr("source__text", F("end") + 1, Value(QUOTE_CONTEXT)),
    )


def annotation_response(request: Request, row: Row) -> Response:
    """One citation as an Annotation."""
    links = _Links(request)
    return Response(
        {"@context": links.context(), **_annotation(row, links)}, content_type=MEDIA_TYPE
    )


def annotation_page_response(
    request: Request, rows: list[Row], paginator: CursorPagination
) -> Response:
    """A page of the citation list as an AnnotationPage."""
    links = _Links(request)
    page: dict[str, Any] = {
        "@context": links.context(),
        "id": request.build_absolute_uri(),
        "type": "AnnotationPage",
    }
    for key, link in (("next", paginator.get_next_link()), ("prev", paginator.get_previous_link())):
        if link is not None:
            page[key] = link
    page["items"] = [_annotation(row, links) for row in rows]
    return Response(page, content_type=MEDIA_TYPE)


class _Links:
    """The URLs an annotation names, from templates resolved once per request; without the
    `format` that chose JSON-LD, since they name the resources themselves."""

    def __init__(self, request: Request) -> None:
        self.request = without_format(request)

    def url(self, view_name: str, kwarg: str, value: object) -> str:
        url = identity_url(self.request, view_name, kwarg, value)
        return (
            url
            if url is not None
            else reverse(view_name, kwargs={kwarg: value}, request=self.request)
        )

    def context(self) -> list[Any]:
        vocabulary = reverse("schema", request=self.request)
        return [ANNOTATION_CONTEXT, {term: f"{vocabulary}#{term}" for term in EXTENSION_TERMS}]


def _annotation(row: Row, links: _Links) -> dict[str, Any]:
    return {
        "id": links.url("api:citation-detail", "pk", row["id"]),
        "type": "Annotation",
        "motivation": MOTIVATION,
        "body": {
            "type": "SpecificResource",
            "source": _record_url(row, links),
            "field": row["field"],
            "basis": row["basis"],
        },
        "target": _target(row, links),
    }


def _record_url(row: Row, links: _Links) -> str:
    if row["summit__slug"] is not None:
        return links.url("api:summit-detail", "slug", row["summit__slug"])
    if row["attendance_id"] is not None:
        return links.url("api:attendance-detail", "pk", row["attendance_id"])
    # A status change is listed, by its id, in its attendance's timeline.
    timeline = links.url("api:attendance-statuses", "pk", row["status_change__attendance_id"])
    return f"{timeline}#{row['status_change_id']}"


def _target(row: Row, links: _Links) -> dict[str, Any]:
    target: dict[str, Any] = {"type": "SpecificResource"}
    page = row["source__url"] or None
    if row["source__sha256"]:
        target["source"] = links.url("api:source-text", "key", row["source__key"])
        if page is not None:
            target["scope"] = page
    else:
        target["source"] = page
    selectors = _selectors(row)
    if selectors:
        target["selector"] = selectors
    return target


def _selectors(row: Row) -> list[dict[str, Any]]:
    """Two ways to select the same quote, as the model allows: by its words, and by place."""
    selectors: list[dict[str, Any]] = []
    if row["quote"]:
        quote = {"type": "TextQuoteSelector", "exact": row["quote"]}
        if row["start"] is not None:
            quote.update(prefix=row["text_prefix"], suffix=row["text_suffix"])
        selectors.append(quote)
    if row["start"] is not None:
        selectors.append({"type": "TextPositionSelector", "start": row["start"], "end": row["end"]})
    return selectors


# The representations as the OpenAPI schema documents them (summits.api.schema).
_URI = {"type": "string", "format": "uri"}


def _kind(name: str) -> dict[str, Any]:
    return {"type": "string", "enum": [name]}


def _object(required: list[str], **properties: Any) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


_CONTEXT_SCHEMA = {
    "type": "array",
    "items": {},
    "description": f'"{ANNOTATION_CONTEXT}", then the extension terms `field` and `basis`, '
    "each mapped to `<this API's schema URL>#<term>`.",
}
_ANNOTATION = _object(
    ["id", "type", "motivation", "body", "target"],
    id={**_URI, "description": "The citation's URL."},
    type=_kind("Annotation"),
    motivation=_kind(MOTIVATION),
    body=_object(
        ["type", "source", "field", "basis"],
        type=_kind("SpecificResource"),
        source={
            **_URI,
            "description": "The cited record's URL: a summit's, an attendance's, or for a status "
            "change its attendance's timeline with `#<the change's id>`.",
        },
        field={"type": "string", "description": "The cited field of the record."},
        basis={"type": "string", "enum": list(CitationBasis.values)},
    ),
    target=_object(
        ["type", "source"],
        type=_kind("SpecificResource"),
        source={
            **_URI,
            "description": "The source's text as the tracker holds it (text/plain), which the "
            "selectors select in; for a source without text, its URL.",
        },
        scope={**_URI, "description": "The page the source's text was read from, if any."},
        selector={
            "type": "array",
            "items": {
                "oneOf": [
                    _object(
                        ["type", "exact"],
                        type=_kind("TextQuoteSelector"),
                        exact={"type": "string"},
                        prefix={"type": "string", "maxLength": QUOTE_CONTEXT},
                        suffix={"type": "string", "maxLength": QUOTE_CONTEXT},
                    ),
                    _object(
                        ["type", "start", "end"],
                        type=_kind("TextPositionSelector"),
                        start={"type": "integer", "minimum": 0},
                        end={"type": "integer", "minimum": 0},
                    ),
                ]
            },
        },
    ),
)


def annotation_schema(*, many: bool) -> dict[str, Any]:
    """The JSON Schema of a citation (or a page of them) as a Web Annotation: a new copy for
    each operation that documents it."""
    if not many:
        return copy.deepcopy(
            {
                **_ANNOTATION,
                "required": ["@context", *_ANNOTATION["required"]],
                "properties": {"@context": _CONTEXT_SCHEMA, **_ANNOTATION["properties"]},
            }
        )
    page = _object(
        ["@context", "id", "type", "items"],
        **{
            "@context": _CONTEXT_SCHEMA,
            "id": {**_URI, "description": "This page's URL."},
            "type": _kind("AnnotationPage"),
            "next": {**_URI, "description": "The next page, if any."},
            "prev": {**_URI, "description": "The previous page, if any."},
            "items": {"type": "array", "items": _ANNOTATION},
        },
    )
    return copy.deepcopy(page)
